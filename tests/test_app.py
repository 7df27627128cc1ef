"""The Streamlit app, section by section, through AppTest and the widgets' keys, in Korean and English.

Tiny data (conftest: 14140 synthetic digits, so the test split has an index 2018) and tiny
checkpoints keep every test to about a second. The drawing canvas is a custom component AppTest
cannot draw on; its value (what the browser would send: the canvas as a PNG data URL) is set through
session_state, so the real path from canvas picture to prediction runs. tests/test_e2e_browser.py
draws with a real mouse.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from helpers_app import (
    LANGS,
    ONE,
    T,
    assert_clean,
    draw,
    drawing,
    markdown_text,
    open_section,
    predicted_digit,
    saved_names,
    set_training_options,
    shown_test_image,
    train_tiny,
    training_job,
    wait_for_training,
)  # fmt: skip
from mnist_app.state import OWN_MODEL, Key

# ---------------------------------------------------------------------------------------------------
# Start and Draw


@pytest.mark.parametrize("lang", LANGS)
def test_starts_without_data_on_draw_with_a_prompt_in_the_sessions_language(app_test, no_data, lang):
    at = app_test(lang)
    assert_clean(at)
    assert T(lang, "draw.prompt") in markdown_text(at) and predicted_digit(at) is None
    assert at.caption[0].value == T(lang, "header.active", model=T(lang, "model.label", name="tutorial", architecture="784-16-10", accuracy="10.00"))
    assert at.session_state[Key.LANG] == lang and at.query_params["lang"] == lang


def test_without_lang_the_browser_language_is_used_else_korean(app_test, no_data):
    at = app_test(None)
    assert at.session_state[Key.LANG] == "ko"  # AppTest's browser has no locale: Korean, the tutorial's language
    at.segmented_control(key=Key.LANG).set_value("en").run()
    assert_clean(at)
    assert T("en", "draw.prompt") in markdown_text(at)


@pytest.mark.parametrize("lang", LANGS)
def test_a_drawing_is_predicted_with_the_active_model_and_its_stages_shown(app_test, no_data, checkpoint_dir, lang):
    from mnist_core.checkpoints import load_checkpoint
    from mnist_core.model import predict_proba
    from mnist_core.preprocess import prepare

    at = draw(app_test(lang), ONE)
    assert_clean(at)
    model = load_checkpoint(checkpoint_dir / "tutorial.pt").model  # untrained: about 10% for each digit
    probs = predict_proba(model, torch.from_numpy(prepare(ONE).flat[None]))[0].numpy()
    assert predicted_digit(at) == int(probs.argmax())
    first, second = probs.argsort()[::-1][:2]
    assert 'data-unsure="1"' in markdown_text(at) and T(lang, "draw.unsure") in markdown_text(at)
    assert f'{second}<small>{100 * probs[second]:.0f}%</small>' in markdown_text(at)  # the runner-up too
    assert T(lang, "draw.unsure_note", model="tutorial") in markdown_text(at)  # the active model is named
    assert len(at.get("vega_lite_chart")) == 1  # the ten probabilities
    assert [i.proto.imgs[0].caption for i in at.get("image")] == [T(lang, "draw.crop"), T(lang, "draw.input")]


@pytest.mark.parametrize("lang", LANGS)
def test_a_digit_drawn_small_with_the_marker_is_shown_thinned(app_test, no_data, lang):
    at = draw(app_test(lang), drawing((120, 200, 150, 182)))  # a "1" 80 px tall, 32 wide: 8 px of the 20-px box
    assert_clean(at)
    assert predicted_digit(at) is not None
    assert [i.proto.imgs[0].caption for i in at.get("image")] == [T(lang, "draw.crop"), T(lang, "draw.input_thinned")]


def test_the_shipped_checkpoint_reads_a_drawn_one_and_is_sure(app_test, no_data, monkeypatch):
    monkeypatch.delenv("MNIST_CHECKPOINT_DIR")  # the repository's checkpoints/
    at = draw(app_test(), ONE)
    assert_clean(at)
    assert predicted_digit(at) == 1
    assert "data-unsure" not in markdown_text(at) and T("en", "draw.prediction") in markdown_text(at)


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize(
    ("picture", "problem"),
    [(drawing((160, 166, 160, 166)), "too_small"), (drawing((10, 326, 10, 326)), "scribble")],
    ids=["dot", "scribble"],
)
def test_drawings_that_are_not_digits_get_a_message_not_a_prediction(app_test, no_data, picture, problem, lang):
    at = draw(app_test(lang), picture)
    assert not at.exception and not at.error
    assert predicted_digit(at) is None
    assert [w.value for w in at.warning] == [T(lang, f"draw.problem.{problem}")]


def test_an_empty_canvas_and_a_cleared_one_give_the_prompt(app_test, no_data):
    at = draw(app_test(), drawing(), strokes=0)
    assert T("en", "draw.prompt") in markdown_text(at) and predicted_digit(at) is None
    at = draw(at, ONE)
    assert predicted_digit(at) is not None
    at = draw(at, drawing(), strokes=0)  # what the canvas sends after Clear (tests/test_e2e_browser.py clicks it)
    assert T("en", "draw.prompt") in markdown_text(at) and predicted_digit(at) is None
    assert_clean(at)


def test_the_drawing_survives_a_visit_to_another_section(app_test, no_data):
    at = draw(app_test(), ONE)
    digit = predicted_digit(at)
    at = open_section(at, "model")
    assert predicted_digit(at) is None and at.session_state["draw_canvas"]  # hidden, not forgotten
    at = open_section(at, "draw")
    assert predicted_digit(at) == digit
    assert_clean(at)


def test_switching_language_keeps_the_section_and_the_drawing(app_test, no_data):
    at = draw(app_test("en"), ONE)
    digit = predicted_digit(at)
    at.segmented_control(key=Key.LANG).set_value("ko").run()
    assert_clean(at)
    assert predicted_digit(at) == digit and T("ko", "draw.unsure") in markdown_text(at)  # tiny untrained model
    assert at.session_state[Key.SECTION] == "draw"


# ---------------------------------------------------------------------------------------------------
# The URL holds the view


def test_a_bookmarked_url_opens_its_section_language_index_and_model(app_test, tiny_data):
    at = app_test("ko", section="test", index=2017, model="wide")
    assert_clean(at)
    assert shown_test_image(at)["index"] == 2017
    assert at.session_state[Key.ACTIVE] == "wide"
    assert T("ko", "test.true_label") in markdown_text(at)
    assert at.query_params == {"lang": "ko", "section": "test", "index": "2017", "model": "wide"}
    at.button(key="test_next").click().run()
    assert shown_test_image(at)["index"] == 2018
    assert at.query_params["index"] == "2018"  # the URL follows the view


def test_an_unknown_model_or_section_in_the_url_falls_back(app_test, no_data):
    at = app_test("en", section="nowhere", model="../etc", index="x")
    assert_clean(at)
    assert at.session_state[Key.SECTION] == "draw" and at.session_state[Key.ACTIVE] == "tutorial"


def test_presenter_mode_from_the_url_and_the_toggle(app_test, no_data):
    from mnist_app.style import css

    presenter_css = css("presenter")
    at = app_test("en", presenter=1)
    assert at.toggle(key=Key.PRESENTER).value is True
    assert any(presenter_css in h.proto.body for h in at.get("html"))  # larger type, Streamlit's chrome hidden
    at.toggle(key=Key.PRESENTER).set_value(False).run()
    assert not any(presenter_css in h.proto.body for h in at.get("html"))
    assert "presenter" not in at.query_params
    assert_clean(at)


# ---------------------------------------------------------------------------------------------------
# Test images


@pytest.mark.parametrize("lang", LANGS)
def test_test_images_open_on_index_2018_with_label_and_prediction(app_test, tiny_data, lang):
    at = open_section(app_test(lang), "test")
    assert_clean(at)
    shown = shown_test_image(at)
    assert shown["index"] == 2018 and shown["true"] == tiny_data.y_test[2018]
    assert at.number_input(key=Key.TEST_INDEX).value == 2018
    assert len(at.get("image")) == 1 and len(at.get("vega_lite_chart")) == 1
    assert T(lang, "test.true_label") in markdown_text(at)


def test_previous_and_next_step_one_image_and_stop_at_the_ends(app_test, tiny_data):
    at = open_section(app_test(), "test")
    at.button(key="test_next").click().run()
    assert shown_test_image(at)["index"] == 2019
    at.button(key="test_prev").click().run().button(key="test_prev").click().run()
    assert shown_test_image(at)["index"] == 2017
    at.number_input(key=Key.TEST_INDEX).set_value(0).run()
    at.button(key="test_prev").click().run()
    assert shown_test_image(at)["index"] == 0
    last = len(tiny_data.y_test) - 1
    at.number_input(key=Key.TEST_INDEX).set_value(last).run()
    at.button(key="test_next").click().run()
    assert shown_test_image(at)["index"] == last
    assert_clean(at)


def test_an_index_past_the_end_lands_on_the_last_image(app_test, tiny_data):
    at = open_section(app_test(), "test")
    at.number_input(key=Key.TEST_INDEX).set_value(999_999).run()
    last = len(tiny_data.y_test) - 1
    assert shown_test_image(at)["index"] == last and at.number_input(key=Key.TEST_INDEX).value == last
    assert_clean(at)


@pytest.fixture
def trained_checkpoint(checkpoint_dir, tiny_data):
    """A tiny model trained on the tiny data to about 93% (seed 2): its wrong test images are not consecutive."""
    from mnist_core.checkpoints import save_checkpoint
    from mnist_core.config import ModelConfig, TrainConfig
    from mnist_core.run import run_training

    config, train_config = ModelConfig(hidden=(3,)), TrainConfig(epochs=1, lr=0.01, seed=2)
    result = run_training(config, train_config, tiny_data, device=torch.device("cpu"))
    path = checkpoint_dir / "trained.pt"
    save_checkpoint(path, result.model, model_config=config, train_config=train_config, metrics=result.metrics())
    return result


def test_only_misclassified_steps_through_the_wrong_ones(app_test, tiny_data, trained_checkpoint):
    from mnist_core.model import predict_proba

    predicted = predict_proba(trained_checkpoint.model, torch.from_numpy(tiny_data.x_test)).argmax(1).numpy()
    wrong = np.flatnonzero(predicted != tiny_data.y_test)
    # From 2018 on, wrapping round to the start: the order Next must visit them in.
    expected = [int(i) for i in np.concatenate([wrong[wrong >= 2018], wrong[wrong < 2018]])[:4]]
    assert 4 <= len(wrong) < len(tiny_data.y_test) / 3 and np.diff(expected).max() > 1  # not plain stepping
    at = app_test("en", model="trained", section="test")
    at.toggle(key=Key.TEST_ONLY_WRONG).set_value(True).run()
    seen = []
    for _ in range(4):
        shown = shown_test_image(at)
        assert shown["true"] != shown["predicted"]
        seen.append(shown["index"])
        at.button(key="test_next").click().run()
    assert seen == expected
    at.button(key="test_prev").click().run()
    assert shown_test_image(at)["index"] == seen[-1]
    at.toggle(key=Key.TEST_ONLY_WRONG).set_value(False).run()
    at.button(key="test_next").click().run()
    assert shown_test_image(at)["index"] == seen[-1] + 1  # one by one again
    assert_clean(at)


def test_a_misclassified_image_marks_the_true_labels_bar(app_test, tiny_data, trained_checkpoint):
    import json

    from mnist_core.model import predict_proba

    predicted = predict_proba(trained_checkpoint.model, torch.from_numpy(tiny_data.x_test)).argmax(1).numpy()
    index = int(np.flatnonzero(predicted != tiny_data.y_test)[0])
    at = app_test("en", model="trained", section="test", index=index)
    spec = at.get("vega_lite_chart")[0].proto
    colours = {row["digit"]: row["colour"] for row in _chart_rows(spec)}
    assert colours[str(tiny_data.y_test[index])] == "#2e7d32" and colours[str(predicted[index])] == "#e4572e"
    assert json.loads(spec.spec)["encoding"]["color"]["field"] == "colour"


def _chart_rows(proto) -> list[dict]:
    import pyarrow as pa

    table = pa.ipc.open_stream(proto.data.data).read_all() if proto.data.data else pa.ipc.open_stream(proto.datasets[0].data.data).read_all()
    return table.to_pylist()


def test_the_test_image_index_survives_a_visit_to_another_section(app_test, tiny_data):
    at = open_section(app_test(), "test")
    at.button(key="test_next").click().run()
    at = open_section(open_section(at, "draw"), "test")
    assert shown_test_image(at)["index"] == 2019


# ---------------------------------------------------------------------------------------------------
# Train


@pytest.mark.parametrize("lang", LANGS)
def test_training_shows_accuracy_before_and_after_and_becomes_the_active_model(app_test, tiny_data, lang):
    at = train_tiny(app_test(lang))
    assert_clean(at)
    metrics = {m.label: m.value for m in at.metric}
    before, after = (float(metrics[T(lang, f"train.{w}")].rstrip("%")) for w in ("before", "after"))
    assert before < 30 < 90 < after  # untrained ~10% on ten classes; the synthetic digits are easy
    assert at.session_state[Key.ACTIVE] == OWN_MODEL
    assert T(lang, "model.own") in at.caption[0].value
    assert len(at.get("vega_lite_chart")) == 3  # loss and accuracy curves, the replay's confusion matrix
    assert [s.key for s in at.slider] == [Key.LIVE_STEP] and at.slider[0].value == at.slider[0].max  # the replay, at its end
    job = training_job(at)
    assert job.status == "finished" and job.points
    assert T(lang, "train.status.finished", seconds=f"{job.metrics['train_seconds']:.1f}") == at.get("progress")[0].proto.text


def test_a_training_that_ends_elsewhere_is_announced(app_test, tiny_data):
    at = open_section(app_test(), "train")
    set_training_options(at, epochs=2)
    at.button(key="train_button").click().run()
    at = open_section(at, "draw")
    at = wait_for_training(at)
    assert at.session_state[Key.ACTIVE] == OWN_MODEL
    percent = f"{100 * training_job(at).after.accuracy:.2f}"
    assert [s.value for s in at.success] == [T("en", "train.toast", percent=percent)]  # under the header, not over it
    assert not at.toast


def test_save_adds_the_model_to_the_list_and_makes_it_active(app_test, tiny_data, checkpoint_dir):
    at = train_tiny(app_test())
    at.text_input(key=Key.SAVE_NAME).set_value("my-model").run()
    at.button(key="save_button").click().run()
    assert_clean(at)
    assert "my-model" in saved_names() and not (checkpoint_dir / "my-model.pt").exists()  # in the room, for every server
    assert at.session_state[Key.ACTIVE] == "my-model"
    assert [s.value for s in at.success] == [T("en", "train.saved", name="my-model")]
    at = open_section(at, "model")
    names = list(at.dataframe[0].value[T("en", "model.col.name")])
    assert "my-model" in names and T("en", "model.own") not in names
    assert at.selectbox(key=Key.MODEL_SELECT).value == "my-model"


@pytest.mark.parametrize(("name", "reason"), [("../x", "bad_name"), ("a/b", "bad_name"), ("", "empty_name"), ("  ", "empty_name"), ("..", "bad_name"), ("tutorial", "name_taken")])
def test_bad_or_taken_checkpoint_names_are_refused(app_test, tiny_data, checkpoint_dir, name, reason):
    before = sorted(p.name for p in checkpoint_dir.rglob("*"))
    at = train_tiny(app_test())
    at.text_input(key=Key.SAVE_NAME).set_value(name).run()
    at.button(key="save_button").click().run()
    assert not at.exception
    assert [e.value for e in at.error] == [T("en", "train.not_saved", reason=T("en", f"train.{reason}"))]
    assert sorted(p.name for p in checkpoint_dir.rglob("*")) == before and saved_names() == []
    assert at.session_state[Key.ACTIVE] == OWN_MODEL  # still there to save


@pytest.mark.parametrize(
    ("option", "value", "field"),
    [("hidden", "0", "hidden"), ("hidden", "100, -5", "hidden"), ("hidden", "big", "hidden"), ("hidden", "", "hidden"),
     ("hidden", "1, 2, 3, 4, 5, 6, 7", "hidden"), ("hidden", "5000", "hidden")],
)  # fmt: skip
@pytest.mark.parametrize("lang", LANGS)
def test_out_of_range_options_are_refused_in_the_sessions_words(app_test, no_data, option, value, field, lang):
    from mnist_app.settings import LIMITS

    at = open_section(app_test(lang), "train")
    set_training_options(at, **{option: value})
    at.button(key="train_button").click().run()
    assert not at.exception
    assert [e.value for e in at.error] == [T(lang, "train.cannot", reason=T(lang, f"train.invalid.{field}", **LIMITS))]
    assert at.session_state[Key.TRAIN_JOB] is None


def test_stop_ends_training_and_keeps_the_active_model(app_test, tiny_data):
    at = open_section(app_test(), "train")
    set_training_options(at, epochs=100)
    at.button(key="train_button").click().run()
    assert training_job(at).running
    at.button(key="stop_button").click().run()
    at = wait_for_training(at, timeout=30)
    assert_clean(at)
    assert training_job(at).status == "stopped"
    assert at.session_state[Key.ACTIVE] == "tutorial" and at.session_state[Key.TRAINED] is None
    assert at.get("progress")[0].proto.text == T("en", "train.status.stopped")
    assert not at.button(key="train_button").disabled  # ready for another go
    at = draw(open_section(at, "draw"), ONE)
    assert predicted_digit(at) is not None and "model: tutorial" in markdown_text(at)


def test_a_trained_model_is_its_sessions_alone(app_test, tiny_data):
    mine, theirs = app_test(), app_test()
    train_tiny(mine)
    open_section(theirs, "model")
    assert T("en", "model.own") not in list(theirs.dataframe[0].value[T("en", "model.col.name")])
    assert theirs.session_state[Key.ACTIVE] == "tutorial"


def test_training_options_survive_a_visit_to_another_section(app_test, no_data):
    at = open_section(app_test(), "train")
    set_training_options(at, epochs=5, hidden="64, 32")
    at = open_section(open_section(at.run(), "draw"), "train")
    assert at.number_input(key=Key.TRAIN_EPOCHS).value == 5
    assert at.text_input(key=Key.TRAIN_HIDDEN).value == "64, 32"


def test_training_defaults_are_the_tutorials(app_test, no_data):
    at = open_section(app_test(), "train")
    keys = (Key.TRAIN_EPOCHS, Key.TRAIN_LR, Key.TRAIN_BATCH, Key.TRAIN_SEED)
    assert [at.number_input(key=k).value for k in keys] == [3, 0.01, 64, 0]
    assert at.text_input(key=Key.TRAIN_HIDDEN).value == "100, 100"
    assert not at.warning and not at.error and not at.exception


def test_a_failing_training_ends_in_a_message_and_the_app_stays_usable(app_test, tiny_data, monkeypatch):
    import mnist_core.run as mrun

    def broken(*args, **kwargs):
        raise RuntimeError("out of memory\nwith a second line")

    monkeypatch.setattr(mrun, "train", broken)
    at = train_tiny(app_test())
    assert not at.exception
    job = training_job(at)
    assert job.status == "failed" and job.error == "out of memory with a second line"  # one line, for the log
    assert [e.value for e in at.error] == [T("en", "train.status.failed")]
    assert at.session_state[Key.ACTIVE] == "tutorial" and not at.button(key="train_button").disabled


# ---------------------------------------------------------------------------------------------------
# Data


@pytest.mark.parametrize("lang", LANGS)
def test_data_shows_the_source_a_labelled_row_and_where_it_went(app_test, tiny_data, tiny_mnist, lang):
    from mnist_core.data import split_rows

    at = open_section(app_test(lang), "data")
    assert_clean(at)
    assert "tiny synthetic test data" in markdown_text(at)
    assert f'data-row="0">{T(lang, "data.label")}: <b>{tiny_mnist.labels[0]}</b>' in markdown_text(at)
    test_rows = split_rows(len(tiny_mnist.labels))[1]
    row = int(test_rows[2018])  # the data set row that became test image 2018
    at.number_input(key=Key.DATA_INDEX).set_value(row).run()
    assert f'data-row="{row}">{T(lang, "data.label")}: <b>{tiny_mnist.labels[row]}</b>' in markdown_text(at)
    assert T(lang, "data.in_test", index=2018) in [c.value for c in at.caption]


@pytest.mark.parametrize("section", ["test", "data", "train"])
def test_missing_data_gives_instructions_and_the_rest_keeps_working(app_test, no_data, section):
    at = open_section(app_test(), section)
    if section == "train":  # the worker has no data either: the training fails with the reason
        at.button(key="train_button").click().run()
        at = wait_for_training(at)
    assert not at.exception
    assert [e.value for e in at.error] == [T("en", "data.error.missing")]
    assert str(no_data) not in markdown_text(at)  # no server path on the page
    assert [i.value for i in at.info] == [T("en", "data.help")]
    at = draw(open_section(at, "draw"), ONE)
    assert predicted_digit(at) is not None
    assert_clean(at)


def test_unreachable_openml_gives_a_message(app_test, monkeypatch):
    import mnist_core.data as mdata
    from conftest import clear_streamlit_caches

    def offline(**kwargs):
        raise mdata.DataError(f"OpenML cannot be reached (no network); {mdata.OPENML_HINT}", "offline")

    monkeypatch.delenv("MNIST_DATA_DIR", raising=False)
    monkeypatch.setattr(mdata, "fetch_openml_mnist", offline)
    clear_streamlit_caches()
    at = open_section(app_test("ko"), "test")
    assert not at.exception
    assert [e.value for e in at.error] == [T("ko", "data.error.offline")]
    at.button(key="data_retry_test").click().run()  # tries again, fails again, still a message
    assert [e.value for e in at.error] == [T("ko", "data.error.offline")] and not at.exception


# ---------------------------------------------------------------------------------------------------
# Model


@pytest.mark.parametrize("lang", LANGS)
def test_model_lists_checkpoints_and_unloadable_files(app_test, no_data, lang):
    at = open_section(app_test(lang), "model")
    assert not at.exception and not at.error
    table = at.dataframe[0].value
    assert list(table[T(lang, "model.col.name")]) == ["wide", "tutorial"]  # best first
    assert list(table[T(lang, "model.col.architecture")]) == ["784-32-10", "784-16-10"]
    assert list(table[T(lang, "model.col.active")]) == ["", "●"]  # a mark, not a checkbox that looks clickable
    assert [w.value for w in at.warning] == [T(lang, "model.unusable", name="broken.pt")]


def test_choosing_a_model_makes_it_active_for_this_session_only(app_test, no_data):
    at, other = open_section(app_test(), "model"), app_test()
    at.selectbox(key=Key.MODEL_SELECT).set_value("wide").run()
    assert at.session_state[Key.ACTIVE] == "wide"
    assert "wide" in at.caption[0].value and at.query_params["model"] == "wide"
    at = draw(open_section(at, "draw"), ONE)
    assert "model: wide" in markdown_text(at)
    assert other.run().session_state[Key.ACTIVE] == "tutorial"


def test_no_usable_checkpoint_is_an_error_line_not_an_exception(app_test, no_data, checkpoint_dir):
    for path in checkpoint_dir.glob("*.pt"):
        path.unlink()
    at = app_test()
    assert not at.exception
    assert [e.value for e in at.error] == [T("en", "model.none")]
    at = open_section(at, "model")
    assert not at.exception and [e.value for e in at.error] == [T("en", "model.none")]


def test_an_unexpected_error_in_a_section_is_one_catalogue_line(app_test, no_data, monkeypatch):
    import mnist_app.sections.model as section

    monkeypatch.setattr(section, "table", lambda *a: 1 / 0)
    at = open_section(app_test("ko"), "model")
    assert not at.exception and [e.value for e in at.error] == [T("ko", "error.section")]
    assert_clean(open_section(at, "draw"))

"""The Streamlit app, section by section, through AppTest and the widgets' keys.

Tiny data (conftest: 14140 synthetic digits, so the test split has an index 2018) and tiny
checkpoints keep every test to about a second. The drawing canvas is a custom component AppTest
cannot draw on; its value (what the browser would send: the canvas as a PNG data URL) is set through
session_state, so the real path from canvas picture to prediction runs. tests/test_e2e_browser.py
draws with a real mouse.
"""

from __future__ import annotations

import base64
import io
import re
import time

import numpy as np
import pytest
import torch
from PIL import Image

from conftest import REPO

CANVAS = 336


def canvas_value(rgba: np.ndarray) -> dict:
    """The component's value as the browser sends it after a stroke."""
    buf = io.BytesIO()
    Image.fromarray(rgba, "RGBA").save(buf, format="PNG")
    url = "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()
    return {"drawing": {"raw": {"objects": [], "background": "#000000"}, "data": url}}


def drawing(*boxes: tuple[int, int, int, int]) -> np.ndarray:
    """A black canvas with white rectangles (top, bottom, left, right), as the app's canvas exports it."""
    rgba = np.zeros((CANVAS, CANVAS, 4), np.uint8)
    rgba[..., 3] = 255
    for top, bottom, left, right in boxes:
        rgba[top:bottom, left:right, :3] = 255
    return rgba


ONE = drawing((40, 300, 156, 180))  # a vertical stroke: a "1"


def draw(at, rgba: np.ndarray):
    gen = at.session_state["canvas_gen"] if "canvas_gen" in at.session_state else 0
    at.session_state[f"draw_canvas_{gen}"] = canvas_value(rgba)
    return at.run()


def open_tab(at, name: str):
    at.session_state["section"] = name
    return at.run()


def markdown_text(at) -> str:
    return "\n".join(m.value for m in at.markdown)


def predicted_digit(at) -> int | None:
    found = re.search(r'class="prediction" id="prediction" data-digit="(\d)"', markdown_text(at))
    return None if found is None else int(found.group(1))


def shown_test_image(at) -> dict:
    found = re.search(r'data-index="(\d+)" data-true="(\d)" data-predicted="(\d)"', markdown_text(at))
    assert found, "no test image shown"
    return dict(zip(("index", "true", "predicted"), map(int, found.groups())))


def assert_clean(at) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def wait_for_training(at, timeout: float = 90):
    job = at.session_state["train_job"]
    deadline = time.monotonic() + timeout
    while job.running:
        assert time.monotonic() < deadline, f"training still {job.status} after {timeout} s"
        time.sleep(0.05)
    return at.run()


def set_training_options(at, epochs=1, lr=0.01, batch=64, hidden="16", seed=0):
    at.number_input(key="train_epochs").set_value(epochs)
    at.number_input(key="train_lr").set_value(lr)
    at.number_input(key="train_batch").set_value(batch)
    at.text_input(key="train_hidden").set_value(hidden)
    at.number_input(key="train_seed").set_value(seed)


def train_tiny(at, **options):
    open_tab(at, "Train")
    set_training_options(at, **options)
    at.button(key="train_button").click().run()
    assert "train_job" in at.session_state, [e.value for e in at.error]
    return wait_for_training(at)


# ---------------------------------------------------------------------------------------------------
# Start and Draw


def test_starts_without_data_on_the_draw_tab_with_a_prompt(app_test, no_data):
    at = app_test()
    assert_clean(at)
    assert 'id="draw-prompt"' in markdown_text(at)
    assert predicted_digit(at) is None
    assert "**Active model:** tutorial" in markdown_text(at)  # the default checkpoint, loaded at once


def test_a_drawing_is_predicted_with_the_active_model_and_its_stages_shown(app_test, no_data, checkpoint_dir):
    from mnist_core.checkpoints import load_checkpoint
    from mnist_core.model import predict_proba
    from mnist_core.preprocess import prepare

    at = draw(app_test(), ONE)
    assert_clean(at)
    model = load_checkpoint(checkpoint_dir / "tutorial.pt").model
    expected = int(predict_proba(model, torch.from_numpy(prepare(ONE).flat[None])).argmax())
    assert predicted_digit(at) == expected
    assert "model: tutorial" in markdown_text(at)  # the active model is named at the prediction
    assert len(at.get("vega_lite_chart")) == 1  # the ten probabilities
    assert len(at.get("image")) == 2  # the crop, the 28x28 input


def test_the_shipped_checkpoint_reads_a_drawn_one(app_test, no_data, monkeypatch):
    monkeypatch.delenv("MNIST_CHECKPOINT_DIR")  # the repository's checkpoints/
    at = draw(app_test(), ONE)
    assert_clean(at)
    assert predicted_digit(at) == 1


@pytest.mark.parametrize(
    ("picture", "message"),
    [
        (drawing((160, 166, 160, 166)), "too small to read"),  # a single dot
        (drawing((10, 326, 10, 326)), "scribble"),  # ink over the whole canvas
    ],
    ids=["dot", "scribble"],
)
def test_drawings_that_are_not_digits_get_a_message_not_a_prediction(app_test, no_data, picture, message):
    at = draw(app_test(), picture)
    assert_clean(at)
    assert predicted_digit(at) is None
    assert any(message in w.value for w in at.warning), [w.value for w in at.warning]


def test_an_empty_canvas_and_clear_give_the_prompt(app_test, no_data):
    at = draw(app_test(), drawing())
    assert 'id="draw-prompt"' in markdown_text(at) and predicted_digit(at) is None
    at = draw(at, ONE)
    assert predicted_digit(at) is not None
    at.button(key="draw_clear").click().run()
    assert at.session_state["canvas_gen"] == 1  # a new, empty canvas
    assert 'id="draw-prompt"' in markdown_text(at) and predicted_digit(at) is None
    assert_clean(at)


# ---------------------------------------------------------------------------------------------------
# Test images


def test_test_images_open_on_index_2018_with_label_and_prediction(app_test, tiny_data):
    at = open_tab(app_test(), "Test images")
    assert_clean(at)
    shown = shown_test_image(at)
    assert shown["index"] == 2018 and shown["true"] == tiny_data.y_test[2018]
    assert at.number_input(key="test_index").value == 2018
    assert len(at.get("image")) == 1 and len(at.get("vega_lite_chart")) == 1


def test_previous_and_next_step_one_image_and_stop_at_the_ends(app_test, tiny_data):
    at = open_tab(app_test(), "Test images")
    at.button(key="test_next").click().run()
    assert shown_test_image(at)["index"] == 2019
    at.button(key="test_prev").click().run().button(key="test_prev").click().run()
    assert shown_test_image(at)["index"] == 2017
    at.number_input(key="test_index").set_value(0).run()
    at.button(key="test_prev").click().run()
    assert shown_test_image(at)["index"] == 0
    last = len(tiny_data.y_test) - 1
    at.number_input(key="test_index").set_value(last).run()
    at.button(key="test_next").click().run()
    assert shown_test_image(at) == dict(shown_test_image(at), index=last)
    assert_clean(at)


def test_only_misclassified_steps_through_the_wrong_ones(app_test, tiny_data, checkpoint_dir):
    from mnist_core.checkpoints import load_checkpoint
    from mnist_core.model import predict_proba

    model = load_checkpoint(checkpoint_dir / "tutorial.pt").model
    wrong = np.flatnonzero(predict_proba(model, torch.from_numpy(tiny_data.x_test)).argmax(1).numpy() != tiny_data.y_test)
    # From 2018 on, wrapping round to the start: the order Next must visit them in.
    expected = [int(i) for i in np.concatenate([wrong[wrong >= 2018], wrong[wrong < 2018]])[:4]]
    at = open_tab(app_test(), "Test images")
    at.toggle(key="test_only_wrong").set_value(True).run()
    seen = []
    for _ in range(4):
        shown = shown_test_image(at)
        assert shown["true"] != shown["predicted"]
        seen.append(shown["index"])
        at.button(key="test_next").click().run()
    assert seen == expected
    at.button(key="test_prev").click().run()
    assert shown_test_image(at)["index"] == seen[-1]
    at.toggle(key="test_only_wrong").set_value(False).run()
    at.button(key="test_next").click().run()
    assert shown_test_image(at)["index"] == seen[-1] + 1  # one by one again
    assert_clean(at)


def test_the_test_image_index_survives_a_visit_to_another_tab(app_test, tiny_data):
    at = open_tab(app_test(), "Test images")
    at.button(key="test_next").click().run()
    at = open_tab(open_tab(at, "Draw"), "Test images")
    assert shown_test_image(at)["index"] == 2019


# ---------------------------------------------------------------------------------------------------
# Train


def test_training_shows_accuracy_before_and_after_and_becomes_the_active_model(app_test, tiny_data):
    at = train_tiny(app_test())
    assert_clean(at)
    metrics = {m.label: m.value for m in at.metric}
    before, after = (float(metrics[f"Test accuracy {w} training"].rstrip("%")) for w in ("before", "after"))
    assert before < 30 < 90 < after  # untrained ~10% on ten classes; the synthetic digits are easy
    assert at.session_state["active"] == "your model (not saved)"
    assert "**Active model:** your model (not saved)" in markdown_text(at)
    assert len(at.get("vega_lite_chart")) == 2  # loss and accuracy curves
    job = at.session_state["train_job"]
    assert job.status == "finished" and job.points


def test_save_adds_the_model_to_the_list_and_makes_it_active(app_test, tiny_data, checkpoint_dir):
    at = train_tiny(app_test())
    at.text_input(key="save_name").set_value("my-model").run()
    at.button(key="save_button").click().run()
    assert_clean(at)
    assert (checkpoint_dir / "my-model.pt").is_file()
    assert at.session_state["active"] == "my-model"
    assert any("Saved as my-model.pt" in s.value for s in at.success)
    at = open_tab(at, "Model")
    names = list(at.dataframe[0].value["name"])
    assert "my-model" in names and "your model (not saved)" not in names
    assert at.selectbox(key="model_select").value == "my-model"


@pytest.mark.parametrize("name", ["../x", "a/b", "", "..", "tutorial"])
def test_bad_or_taken_checkpoint_names_are_refused(app_test, tiny_data, checkpoint_dir, name):
    before = sorted(p.name for p in checkpoint_dir.parent.rglob("*"))
    at = train_tiny(app_test())
    at.text_input(key="save_name").set_value(name).run()
    at.button(key="save_button").click().run()
    assert not at.exception
    assert len(at.error) == 1 and at.error[0].value.startswith("Not saved:")
    assert sorted(p.name for p in checkpoint_dir.parent.rglob("*")) == before
    assert at.session_state["active"] == "your model (not saved)"  # still there to save


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("epochs", 0, "invalid epochs: 0"),
        ("lr", 0.0, "invalid lr: 0.0"),
        ("lr", -0.01, "invalid lr: -0.01"),
        ("batch", 0, "invalid batch_size: 0"),
        ("hidden", "0", "hidden sizes must be positive"),
        ("hidden", "100, -5", "hidden sizes must be positive"),
        ("hidden", "big", "whole numbers"),
        ("hidden", "", "hidden layer sizes"),
        ("epochs", 1000, "at most 100 epochs"),
        ("seed", -1, "seed"),
    ],
)
def test_out_of_range_options_are_refused_with_a_message(app_test, no_data, option, value, message):
    at = open_tab(app_test(), "Train")
    set_training_options(at, **{option: value})
    at.button(key="train_button").click().run()
    assert not at.exception
    assert len(at.error) == 1 and at.error[0].value.startswith("Cannot train:")
    assert message in at.error[0].value
    assert "train_job" not in at.session_state


def test_stop_ends_training_and_keeps_the_active_model(app_test, tiny_data):
    at = open_tab(app_test(), "Train")
    set_training_options(at, epochs=100)
    at.button(key="train_button").click().run()
    assert at.session_state["train_job"].running
    at.button(key="stop_button").click().run()
    at = wait_for_training(at, timeout=30)
    assert_clean(at)
    assert at.session_state["train_job"].status == "stopped"
    assert at.session_state["active"] == "tutorial" and "trained" not in at.session_state
    assert "nothing was kept" in at.get("progress")[0].proto.text
    assert not at.button(key="train_button").disabled  # ready for another go
    at = draw(open_tab(at, "Draw"), ONE)
    assert predicted_digit(at) is not None and "model: tutorial" in markdown_text(at)


def test_a_trained_model_is_its_sessions_alone(app_test, tiny_data):
    mine, theirs = app_test(), app_test()
    train_tiny(mine)
    open_tab(theirs, "Model")
    assert "your model (not saved)" not in list(theirs.dataframe[0].value["name"])
    assert theirs.session_state["active"] == "tutorial"


def test_training_options_survive_a_visit_to_another_tab(app_test, no_data):
    at = open_tab(app_test(), "Train")
    set_training_options(at, epochs=5, hidden="64, 32")
    at = open_tab(open_tab(at.run(), "Draw"), "Train")
    assert at.number_input(key="train_epochs").value == 5
    assert at.text_input(key="train_hidden").value == "64, 32"


def test_training_defaults_are_the_tutorials(app_test, no_data):
    at = open_tab(app_test(), "Train")
    values = [at.number_input(key=k).value for k in ("train_epochs", "train_lr", "train_batch", "train_seed")]
    assert values == [3, 0.01, 64, 0] and at.text_input(key="train_hidden").value == "100, 100"
    assert not at.warning and not at.error and not at.exception


def test_a_failing_training_ends_in_a_message_and_the_app_stays_usable(app_test, tiny_data, monkeypatch):
    import mnist_core.train as mtrain

    def broken(*args, **kwargs):
        raise RuntimeError("out of memory\nwith a second line")

    monkeypatch.setattr(mtrain, "train", broken)
    at = train_tiny(app_test())
    assert not at.exception
    assert at.session_state["train_job"].status == "failed"
    assert "Training failed: out of memory with a second line" in at.get("progress")[0].proto.text
    assert at.session_state["active"] == "tutorial" and not at.button(key="train_button").disabled


# ---------------------------------------------------------------------------------------------------
# Data


def test_data_tab_shows_the_source_and_a_labelled_sample(app_test, tiny_data, tiny_mnist):
    at = open_tab(app_test(), "Data")
    assert_clean(at)
    assert "tiny synthetic test data" in markdown_text(at)
    assert f'data-row="0">Label: <b>{tiny_mnist.labels[0]}</b>' in markdown_text(at)
    at.number_input(key="data_index").set_value(7).run()
    assert f'data-row="7">Label: <b>{tiny_mnist.labels[7]}</b>' in markdown_text(at)


@pytest.mark.parametrize("tab", ["Test images", "Data", "Train"])
def test_missing_data_gives_instructions_and_the_rest_keeps_working(app_test, no_data, tab):
    at = open_tab(app_test(), tab)
    if tab == "Train":
        at.button(key="train_button").click().run()
    assert not at.exception
    assert any("MNIST data cannot be loaded" in e.value and str(no_data) in e.value for e in at.error)
    assert any("MNIST_DATA_DIR" in i.value for i in at.info)
    at = draw(open_tab(at, "Draw"), ONE)
    assert predicted_digit(at) is not None
    assert_clean(at)


def test_unreachable_openml_gives_a_message(app_test, monkeypatch):
    import mnist_core.data as mdata
    from conftest import clear_streamlit_caches

    def offline(**kwargs):
        raise mdata.DataError(f"OpenML cannot be reached (no network); {mdata.OPENML_HINT}")

    monkeypatch.delenv("MNIST_DATA_DIR", raising=False)
    monkeypatch.setattr(mdata, "fetch_openml_mnist", offline)
    clear_streamlit_caches()
    at = open_tab(app_test(), "Test images")
    assert not at.exception
    assert any("OpenML cannot be reached" in e.value for e in at.error)
    at.button(key="data_retry_test").click().run()  # tries again, fails again, still a message
    assert any("OpenML cannot be reached" in e.value for e in at.error) and not at.exception


# ---------------------------------------------------------------------------------------------------
# Model


def test_model_tab_lists_checkpoints_and_unloadable_files(app_test, no_data):
    at = open_tab(app_test(), "Model")
    assert not at.exception and not at.error
    table = at.dataframe[0].value
    assert list(table["name"]) == ["wide", "tutorial"]  # best first
    assert list(table["architecture"]) == ["784-32-10", "784-16-10"]
    assert list(table["active"]) == [False, True]
    assert any("broken.pt" in w.value for w in at.warning)


def test_choosing_a_model_makes_it_active_for_this_session_only(app_test, no_data):
    at, other = open_tab(app_test(), "Model"), app_test()
    at.selectbox(key="model_select").set_value("wide").run()
    assert at.session_state["active"] == "wide"
    assert "**Active model:** wide" in markdown_text(at)
    at = draw(open_tab(at, "Draw"), ONE)
    assert "model: wide" in markdown_text(at)
    assert other.run().session_state["active"] == "tutorial"


def test_no_usable_checkpoint_is_an_error_line_not_an_exception(app_test, no_data, checkpoint_dir):
    for path in checkpoint_dir.glob("*.pt"):
        path.unlink()
    at = app_test()
    assert not at.exception
    assert any("No usable checkpoint" in e.value for e in at.error)
    at = open_tab(at, "Model")
    assert not at.exception and any("No usable checkpoint" in e.value for e in at.error)


def test_app_source_keeps_the_style_rules():
    source = (REPO / "app.py").read_text()
    assert source.startswith('"""')
    assert "import streamlit" not in "".join(p.read_text() for p in (REPO / "mnist_core").glob("*.py"))

"""The Train section through AppTest: a training through the room's queue (a worker in this process), its before and after, Stop, saving, refused names and options, a failing training.

Tiny data and tiny checkpoints (conftest) keep each test to about a second; widgets by their keys.
"""

from __future__ import annotations

import pytest

from helpers_app import (
    LANGS,
    ONE,
    T,
    assert_clean,
    draw,
    markdown_text,
    open_section,
    predicted_digit,
    saved_names,
    set_training_options,
    train_tiny,
    training_job,
    wait_for_training,
)  # fmt: skip
from mnist_app.state import OWN_MODEL, Key


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

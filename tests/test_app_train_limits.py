"""The Train section's settings out of range (numbers and the hidden sizes): refused with one line in
the session's language, the field still showing what was typed, nothing queued (Streamlit's own
bounds would keep a typed value off the server, and the defaults would be trained instead)."""

from __future__ import annotations

import pytest

from helpers_app import LANGS, T, open_section, set_training_options
from mnist_app.settings import LIMITS
from mnist_app.state import Key

NUMBERS = {"epochs": Key.TRAIN_EPOCHS, "lr": Key.TRAIN_LR, "batch": Key.TRAIN_BATCH, "seed": Key.TRAIN_SEED}
FIELDS = NUMBERS | {"hidden": Key.TRAIN_HIDDEN}  # the hidden sizes: a text field


@pytest.mark.parametrize(
    ("option", "value", "field"),
    [("epochs", 500, "epochs"), ("epochs", 0, "epochs"), ("lr", 0.0, "lr"), ("lr", 5.0, "lr"), ("batch", 0, "batch_size"),
     ("seed", -1, "seed"), ("hidden", "0", "hidden"), ("hidden", "100, -5", "hidden"), ("hidden", "big", "hidden"),
     ("hidden", "", "hidden"), ("hidden", "1, 2, 3, 4, 5, 6, 7", "hidden"), ("hidden", "5000", "hidden")],
)  # fmt: skip
@pytest.mark.parametrize("lang", LANGS)
def test_an_out_of_range_setting_refuses_the_training_in_the_sessions_words(app_test, no_data, option, value, field, lang):
    at = open_section(app_test(lang), "train")
    set_training_options(at, **{option: value})
    at.button(key="train_button").click().run()
    assert not at.exception
    assert [e.value for e in at.error] == [T(lang, "train.cannot", reason=T(lang, f"train.invalid.{field}", **LIMITS))]
    field_of = at.number_input if option in NUMBERS else at.text_input
    assert field_of(key=FIELDS[option]).value == value  # what was typed, not a default trained silently
    assert at.session_state[Key.TRAIN_JOB] is None


def test_the_fields_have_no_bounds_of_streamlits_own(app_test, no_data):
    """Streamlit's bounds would keep a typed 500 off the server with an English tooltip: the app refuses it."""
    at = open_section(app_test(), "train")
    for key in NUMBERS.values():
        field = at.number_input(key=key).proto
        assert not field.has_min and not field.has_max, key


def test_the_refusals_name_the_limits(app_test, no_data):
    assert "100" in T("ko", "train.invalid.epochs", **LIMITS) and "0보다 크고 1 이하" in T("ko", "train.invalid.lr", **LIMITS)
    assert "from 1 to 100" in T("en", "train.invalid.epochs", **LIMITS)

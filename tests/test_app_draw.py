"""The Draw section through AppTest: the page's start, a drawing read by the active model with its stages, what is not a digit, and a drawing kept across sections and languages.

The canvas is a custom component AppTest cannot draw on; its value (what the browser would send: the
canvas as a PNG data URL) is set through session_state, so the real path from canvas picture to
prediction runs. tests/test_e2e_browser.py draws with a real mouse.

Tiny data and tiny checkpoints (conftest) keep each test to about a second; widgets by their keys.
"""

from __future__ import annotations

import html
import re

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
    probability_bars,
)  # fmt: skip
from mnist_app.state import Key


def stage_captions(at) -> list[str]:
    """The captions of the drawing's stages, each under a PNG picture of its own."""
    stages = next(m.value for m in at.markdown if 'class="stages"' in m.value)
    found = re.findall(r'<img src="data:image/png;base64,[A-Za-z0-9+/=]+" width="\d+" height="\d+" alt="([^"]+)"><figcaption>([^<]+)</figcaption>', stages)
    assert all(alt == caption for alt, caption in found)
    return [html.unescape(caption) for _, caption in found]


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
    bars = probability_bars(at)  # the ten probabilities, the prediction's bar marked
    assert [p for p, _ in bars.values()] == pytest.approx(probs.tolist(), abs=1e-5) and bars[int(probs.argmax())][1] == "predicted"
    assert T(lang, "chart.probability") in markdown_text(at)
    assert stage_captions(at) == [T(lang, "draw.crop"), T(lang, "draw.input")]


@pytest.mark.parametrize("lang", LANGS)
def test_a_digit_drawn_small_with_the_marker_is_shown_thinned(app_test, no_data, lang):
    at = draw(app_test(lang), drawing((120, 200, 150, 182)))  # a "1" 80 px tall, 32 wide: 8 px of the 20-px box
    assert_clean(at)
    assert predicted_digit(at) is not None
    assert stage_captions(at) == [T(lang, "draw.crop"), T(lang, "draw.input_thinned")]


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

"""Large HTML cards: the predicted digit, the prompt to draw, a test image's verdict.

`data-*` attributes carry the numbers, so the browser tests read them without parsing prose.

The answer is a live region (`LIVE`), so a screen reader says it when it comes. The prompt before it
is one too, in the same place: Streamlit updates the element in place, so the region a screen reader
watches is there before the answer arrives in it (a region that appears with its text is not read).
"""

from __future__ import annotations

import html

import streamlit as st

from ..i18n import t

LIVE = 'role="status" aria-live="polite" aria-atomic="true"'


def _show(markup: str) -> None:
    st.markdown(markup, unsafe_allow_html=True)


def prediction(digit: int, confidence: float, model_name: str, strokes: int = 0) -> None:
    _show(
        f'<div class="prediction" id="prediction" data-digit="{digit}" data-strokes="{strokes}" {LIVE}>'
        f'<div class="prediction-title">{t("draw.prediction")}</div><div class="prediction-digit">{digit}</div>'
        f'<div class="prediction-note">{html.escape(t("draw.confidence", percent=f"{100 * confidence:.1f}", model=model_name))}</div></div>'
    )


def unsure(probs, model_name: str, strokes: int = 0) -> None:
    """Not sure: the two likeliest digits, side by side, each with its probability."""
    first, second = (int(d) for d in probs.argsort()[::-1][:2])
    pair = "".join(f'<span class="unsure-digit">{d}<small>{100 * probs[d]:.0f}%</small></span>' for d in (first, second))
    _show(
        f'<div class="prediction unsure" id="prediction" data-digit="{first}" data-strokes="{strokes}" data-unsure="1" {LIVE}>'
        f'<div class="prediction-title">{t("draw.unsure")}</div><div class="unsure-pair">{pair}</div>'
        f'<div class="prediction-note">{html.escape(t("draw.unsure_note", model=model_name))}</div></div>'
    )


def prompt(text: str) -> None:
    _show(f'<div class="prompt" id="draw-prompt" {LIVE}>{html.escape(text)}</div>')


def test_result(index: int, label: int, predicted: int) -> None:
    verdict = f'<span class="right">{t("test.right")}</span>' if predicted == label else f'<span class="wrong">{t("test.wrong")}</span>'
    _show(
        f'<div class="test-result" data-index="{index}" data-true="{label}" data-predicted="{predicted}">'
        f'{t("test.image_no")} <b>{index}</b><br>{t("test.true_label")}: <b>{label}</b><br>'
        f'{t("test.predicted")}: <b>{predicted}</b> {verdict}</div>'
    )


def data_row(row: int, label: int) -> None:
    _show(f'<div class="test-result" data-row="{row}">{t("data.label")}: <b>{label}</b></div>')

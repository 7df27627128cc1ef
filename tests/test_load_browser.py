"""A workshop in one server: 20 browsers draw at once while a 21st trains the tutorial's network.

Real Chromium contexts (each its own Streamlit session, as 20 laptops would be) against one
`streamlit run app.py`. AppTest cannot do this: its runs swap process-wide state and are not
thread-safe. Asserted: every drawing is answered with a prediction, no exception reaches any page or
the server log, and no drawing session ever sees the trainer's unsaved model. The figures are
printed (`pytest -s`): sessions, predictions, and the slowest answer, timed in the page from the
mouse release to the prediction appearing.
"""

from __future__ import annotations

import statistics

from browser import chromium, open_section, settle, streamlit_server, stroke

DRAWERS = 20
# Set before the last stroke: the page notes when the answer to a drawing of `strokes` strokes appears.
WATCH = """(strokes) => {
  window.__answeredAt = null;
  const selector = `#prediction[data-strokes="${strokes}"]`;
  new MutationObserver((_, observer) => {
    if (document.querySelector(selector)) { window.__answeredAt = Date.now(); observer.disconnect(); }
  }).observe(document.body, {subtree: true, childList: true, attributes: true});
}"""


def start_drawing(page, strokes_before: int) -> None:
    """The two strokes of a "1" (flag, stem), timed from the release of the last one; no waiting."""
    canvas = page.locator("canvas.upper-canvas").first
    stroke(page, canvas, [(0.42, 0.30), (0.55, 0.14)])
    page.evaluate(WATCH, strokes_before + 2)
    stroke(page, canvas, [(0.55, 0.14), (0.52, 0.50), (0.50, 0.86)])
    page.evaluate("window.__strokeAt = Date.now()")


def answer(page) -> dict:
    """Wait for the answer to the last stroke; what it says and how long it took."""
    page.wait_for_function("window.__answeredAt !== null", timeout=120_000)
    seconds = page.evaluate("(window.__answeredAt - window.__strokeAt) / 1000")
    prediction = page.locator("#prediction")
    return {"seconds": max(0.0, seconds), "digit": int(prediction.get_attribute("data-digit")), "note": prediction.inner_text()}


def drawing_round(pages: list, strokes_before: int) -> list[dict]:
    for page in pages:  # all strokes first: the server answers the sessions concurrently
        start_drawing(page, strokes_before)
    answers = [answer(page) for page in pages]
    for page in pages:
        page.get_by_role("button", name="Clear").click()
    return answers


def test_twenty_sessions_draw_while_one_trains(tmp_path):
    with streamlit_server(tmp_path / "server.log") as url, chromium() as browser:
        pages = []
        for _ in range(DRAWERS + 1):
            page = browser.new_context(viewport={"width": 1200, "height": 900}).new_page()
            page.set_default_timeout(120_000)
            page.goto(f"{url}/?lang=en")
            page.wait_for_selector("#draw-prompt")
            pages.append(page)
        trainer, drawers = pages[0], pages[1:]
        open_section(trainer, "Train")
        epochs = trainer.get_by_label("Epochs")
        epochs.fill("10")  # long enough to overlap every drawing of the first round
        epochs.press("Enter")
        settle(trainer)
        trainer.get_by_role("button", name="Train", exact=True).last.click()
        trainer.get_by_text("Training: epoch").wait_for(timeout=120_000)

        during = drawing_round(drawers, 0)
        still_training = trainer.get_by_text("Training: epoch").count() > 0
        trainer.get_by_text("Finished in").wait_for(timeout=480_000)
        assert "your model (not saved)" in trainer.locator('[data-testid="stMainBlockContainer"]').inner_text()
        after = drawing_round(drawers, 0)  # on the cleared canvases

        answers = during + after
        slowest = max(a["seconds"] for a in answers)
        print(f"\n{DRAWERS} drawing sessions + 1 training: {len(answers)} predictions ({len(during)} while it "
              f"trained), median {statistics.median(a['seconds'] for a in answers):.2f} s, slowest {slowest:.2f} s")  # fmt: skip
        assert still_training  # the first round really overlapped the training
        assert [a["digit"] for a in answers] == [1] * len(answers)
        assert all("model: best_mlp" in a["note"] or "model: tutorial" in a["note"] for a in answers)
        for page in pages:
            settle(page)  # also asserts that no exception reached the page

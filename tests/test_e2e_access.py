"""Accessibility and legibility in a real Chromium, in presenter mode on a 1280x720 projector:

- axe-core (the axe-playwright-python package's copy) finds no critical or serious violation on Draw
  (with a drawing and its answer), Lesson, Test images, Evaluation, Inside, Train, Model and Room, in
  Korean and in English;
- `<html lang>` is the session's language, and the answer is a live region a screen reader announces;
- the Evaluation's confusion matrix shows all twenty labels (ten digits on each axis) at 1280x720 and
  at 1920x1080: Vega-Lite hides every other one when it thinks they would overlap.

One server and one browser for all of it; the pages are visited in a loop.
"""

from __future__ import annotations

import pytest

from bench.browser import chromium, settle, streamlit_server, stroke
from bench.prerequisites import need

pytestmark = [pytest.mark.browser, pytest.mark.realdata, pytest.mark.slow]
PRESENTER_KEY = "access-key"
SECTIONS = ("draw", "lesson", "test", "evaluate", "inside", "train", "model", "room")
SERIOUS = ("critical", "serious")
ONE = ([(0.42, 0.30), (0.55, 0.14)], [(0.55, 0.14), (0.52, 0.50), (0.50, 0.86)])  # a "1": flag, stem
# The confusion matrix's axis labels that Vega draws visibly (a label it drops for overlap has opacity 0).
SHOWN_LABELS = """() => [...document.querySelectorAll('.st-key-evaluate_matrix .role-axis-label text')]
  .filter(e => getComputedStyle(e).opacity !== '0' && e.getAttribute('opacity') !== '0').map(e => e.textContent)"""


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    folder = tmp_path_factory.mktemp("streamlit")
    with streamlit_server(folder / "server.log", MNIST_PRESENTER_KEY=PRESENTER_KEY) as url, chromium() as browser:
        yield url, browser


@pytest.fixture(scope="module")
def axe():
    try:
        from axe_playwright_python.sync_playwright import Axe
    except ImportError:
        need(False, "axe-playwright-python is not installed (requirements-dev.txt)")
    return Axe()


def visit(page, url: str, lang: str, section: str) -> None:
    page.goto(f"{url}/?lang={lang}&section={section}&presenter=1&key={PRESENTER_KEY}")
    settle(page)
    if section == "draw":  # the answer, its chart and the pictures of the drawing on the page too
        canvas = page.locator("canvas.upper-canvas").first
        for points in ONE:
            stroke(page, canvas, points)
        page.wait_for_selector(f'#prediction[data-strokes="{len(ONE)}"]')
        settle(page)


def serious(results) -> list[str]:
    return [f"{v['id']} ({v['impact']}): {[n['target'] for n in v['nodes'][:3]]}"
            for v in results.response["violations"] if v["impact"] in SERIOUS]  # fmt: skip


def test_no_serious_violation_and_the_page_speaks_its_language(server, axe):
    url, browser = server
    page = browser.new_page(viewport={"width": 1280, "height": 720})
    page.set_default_timeout(60_000)
    found = {}
    for lang in ("ko", "en"):
        for section in SECTIONS:
            visit(page, url, lang, section)
            assert page.evaluate("document.documentElement.lang") == lang, (lang, section)
            if section == "draw":
                live = page.locator("#prediction")
                assert live.get_attribute("aria-live") == "polite" and live.get_attribute("role") == "status"
            bad = serious(axe.run(page))
            if bad:
                found[f"{section} ({lang})"] = bad
    page.close()
    assert not found, found


@pytest.mark.parametrize("size", [(1280, 720), (1920, 1080)])
def test_the_confusion_matrix_shows_all_twenty_labels(server, size):
    url, browser = server
    page = browser.new_page(viewport={"width": size[0], "height": size[1]})
    page.set_default_timeout(60_000)
    visit(page, url, "ko", "evaluate")
    page.locator(".st-key-evaluate_matrix .role-axis-label text").first.wait_for(state="attached")
    shown = page.evaluate(SHOWN_LABELS)
    page.close()
    assert sorted(shown) == sorted([str(d) for d in range(10)] * 2), shown

"""Accessibility and legibility in a real Chromium, in presenter mode on a 1280x720 projector:

- axe-core (the axe-playwright-python package's copy) finds no critical or serious violation on Draw
  (with a drawing and its answer), Lesson, Test images, Evaluation, Inside, Train, Model and Room, in
  Korean and in English;
- `<html lang>` is the session's language, Korean lines break between words, the answer is a live
  region a screen reader announces, the canvas has a name, icons' names are hidden from screen readers;
- the header is compact (its last line ends within 150 px) and the lesson's Previous/Next are not cut;
- the confusion matrices, the Evaluation's and the Room's, show all twenty labels (ten digits on each
  axis) at 1280x720 and at 1920x1080: Vega-Lite hides every other one when it thinks they would overlap.

One server and one browser for all of it; the pages are visited in a loop. Some of the projector's
pages are also the README's screenshots (projector_<section>_<lang>.png, with MNIST_SCREENSHOTS=1).
"""

from __future__ import annotations

import json

import pytest

from bench.browser import chromium, screenshot, settle, streamlit_server, stroke, text
from bench.prerequisites import need
from helpers_room import entry
from mnist_app.room import open_store

pytestmark = [pytest.mark.browser, pytest.mark.realdata, pytest.mark.slow]
PRESENTER_KEY = "access-key"
SECTIONS = ("draw", "lesson", "test", "evaluate", "inside", "train", "model", "room")
SERIOUS = ("critical", "serious")
HEADER_PX = 150  # the active model's line, the header's last, ends above this at 1280x720 (it was ~250)
ICONS_READ = "() => [...document.querySelectorAll('[data-testid=stIconMaterial]')].filter(e => e.getAttribute('aria-hidden') !== 'true').length"
CUT = "() => [...document.querySelectorAll('.st-key-lesson_prev p, .st-key-lesson_next p')].filter(p => p.scrollWidth > p.clientWidth + 1).length"
README_SHOTS = {("draw", "ko"), ("draw", "en"), ("train", "ko"), ("train", "en"), ("lesson", "ko"), ("test", "en")}
ONE = ([(0.42, 0.30), (0.55, 0.14)], [(0.55, 0.14), (0.52, 0.50), (0.50, 0.86)])  # a "1": flag, stem
# A chart's axis labels that Vega draws visibly (a label it drops for overlap has opacity 0), found by
# one of its axis titles.
SHOWN_LABELS = """(title) => {
  const chart = [...document.querySelectorAll('[data-testid="stVegaLiteChart"]')]
    .find(c => [...c.querySelectorAll('.role-axis-title text')].some(t => t.textContent === title));
  return chart ? [...chart.querySelectorAll('.role-axis-label text')]
    .filter(e => e.getAttribute('opacity') !== '0' && getComputedStyle(e).opacity !== '0').map(e => e.textContent) : null;
}"""


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    folder = tmp_path_factory.mktemp("streamlit")
    with streamlit_server(folder / "server.log", MNIST_PRESENTER_KEY=PRESENTER_KEY) as url, chromium() as browser:
        store = open_store(str(folder / "room.sqlite3"))  # the server's room: a few drawings for its matrix
        for n in range(12):
            store.add(**entry(f"{n:032x}", label=n % 10, predicted=(n * 3) % 10, mark=n))
        store.close()
        yield url, browser


@pytest.fixture(scope="module")
def axe():
    try:
        from axe_playwright_python.sync_playwright import Axe
    except ImportError:
        need(False, "axe-playwright-python is not installed (requirements-dev.txt)")
    return Axe()


def presenter_page(browser, url: str, size: tuple[int, int]):
    """A page of a browser that gave the presenter key once: its later pages are the presenter's
    without it (the browser keeps a pass), and without the one-time notice that the key was taken."""
    page = browser.new_page(viewport={"width": size[0], "height": size[1]})
    page.set_default_timeout(60_000)
    page.goto(f"{url}/?presenter=1&key={PRESENTER_KEY}")
    settle(page)
    return page


def visit(page, url: str, lang: str, section: str) -> None:
    page.goto(f"{url}/?lang={lang}&section={section}&presenter=1")
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


def test_no_serious_violation_and_the_page_speaks_its_language(server, axe, tmp_path):
    url, browser = server
    page = presenter_page(browser, url, (1280, 720))
    found = {}
    for lang in ("ko", "en"):
        for section in SECTIONS:
            visit(page, url, lang, section)
            assert page.evaluate("document.documentElement.lang") == lang, (lang, section)
            assert page.evaluate("getComputedStyle(document.body).wordBreak") == ("keep-all" if lang == "ko" else "normal")
            assert page.evaluate(ICONS_READ) == 0, (lang, section)
            assert page.locator(".st-key-active_model").bounding_box()["y"] + page.locator(".st-key-active_model").bounding_box()["height"] <= HEADER_PX
            if section == "lesson":
                assert page.evaluate(CUT) == 0 and page.locator(".st-key-lesson_prev p").inner_text() == text(lang, "lesson.previous")
            if section == "draw":
                live = page.locator("#prediction")
                assert live.get_attribute("aria-live") == "polite" and live.get_attribute("role") == "status"
                assert page.locator("canvas.upper-canvas").first.get_attribute("aria-label") == text(lang, "draw.canvas")
            if (section, lang) in README_SHOTS:
                screenshot(page, f"projector_{section}_{lang}", tmp_path)
            bad = serious(axe.run(page))
            if bad:
                found[f"{section} ({lang})"] = bad
    page.close()
    assert not found, found


@pytest.mark.parametrize("size", [(1280, 720), (1920, 1080)])
@pytest.mark.parametrize("section, title", [("evaluate", "evaluate.true"), ("room", "room.meant")])
def test_the_confusion_matrices_show_all_twenty_labels(server, size, section, title):
    url, browser = server
    page = presenter_page(browser, url, size)
    visit(page, url, "ko", section)
    page.wait_for_function(f"({SHOWN_LABELS})({json.dumps(text('ko', title))}) !== null")
    shown = page.evaluate(SHOWN_LABELS, text("ko", title))
    page.close()
    assert sorted(shown) == sorted([str(d) for d in range(10)] * 2), shown

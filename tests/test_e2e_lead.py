"""The presenter leads the room in Chromium (issue 21): the join card's QR code read back, three phones
following the presenter through the lesson and a test image (one browsing alone, then following again,
its drawing kept), and a "what will it answer?" question answered on the phones and revealed."""

from __future__ import annotations

import io
import time
from urllib.parse import urlparse

import pytest

from bench.browser import chromium, open_section, settle, streamlit_server, touch_stroke
from bench.prerequisites import need
from helpers_app import T
from mnist_app.room import open_store
from mnist_app.room.presence import Presenter
from mnist_app.room.questions import Questions

pytestmark = [pytest.mark.browser, pytest.mark.realdata, pytest.mark.slow]
KEY = "lead-key"
FOLLOW_S = 5_000  # ms: the presenter's move reaches a phone within ~2 s (bench/bench_follow.py); 5 s under load


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    folder = tmp_path_factory.mktemp("streamlit_lead")
    with streamlit_server(folder / "server.log", MNIST_PRESENTER_KEY=KEY) as url, chromium() as browser:
        yield url, browser, folder / "room.sqlite3", folder / "server.log"


def read_qr(png: bytes) -> str:
    try:
        import zxingcpp
    except ImportError:
        need(False, "no QR decoder: pip install -r requirements-dev.txt (zxing-cpp)")
    from PIL import Image

    found = zxingcpp.read_barcodes(Image.open(io.BytesIO(png)).convert("L"))
    assert len(found) == 1, f"{len(found)} codes read"
    return found[0].text


def phone(browser, url: str):
    context = browser.new_context(viewport={"width": 390, "height": 844}, has_touch=True, is_mobile=True, device_scale_factor=2)
    page = context.new_page()
    page.set_default_timeout(60_000)
    page.goto(f"{url}/?lang=ko&section=draw&follow=1")  # as the join card's QR code opens it
    page.wait_for_selector("#draw-prompt")
    settle(page)
    return page


def on_step(pages, step: str) -> None:
    for page in pages:
        page.wait_for_selector(f'.lesson-title[data-step="{step}"]', timeout=FOLLOW_S)


def test_the_room_joins_follows_answers_and_sees_the_reveal(server):
    url, browser, room_file, log = server
    lead = browser.new_page(viewport={"width": 1280, "height": 720})
    lead.set_default_timeout(60_000)
    lead.goto(f"{url}/?lang=ko&presenter=1&key={KEY}")
    settle(lead)
    # The join card: its QR code reads as the address it prints, the server's port, Korean, Draw.
    lead.get_by_text(T("ko", "join.show"), exact=True).click()
    card = lead.locator(".join-card")
    card.wait_for()
    settle(lead)
    address = read_qr(lead.locator(".join-qr").screenshot())
    assert address == card.get_attribute("data-url")
    parsed = urlparse(address)
    assert parsed.port == urlparse(url).port and parsed.query == "lang=ko&section=draw&follow=1"
    assert f"participants join at {address}" in log.read_text()
    lead.get_by_text(T("ko", "join.show"), exact=True).click()
    card.wait_for(state="detached")

    phones = [phone(browser, url) for _ in range(3)]
    canvas = phones[0].locator("canvas.upper-canvas").first
    touch_stroke(phones[0], canvas, [(0.5, 0.15), (0.5, 0.85)])  # a "1" on the first phone, before anyone moves
    phones[0].wait_for_selector('#prediction[data-strokes="1"]')

    open_section(lead, T("ko", "section.lesson"))
    on_step(phones, "load")
    for step in ("prepare", "model"):
        lead.get_by_role("button", name=T("ko", "lesson.next")).click()
        on_step(phones, step)
    # The third phone browses alone: it stays where it went, and the button brings it back.
    wanderer = phones[2]
    open_section(wanderer, T("ko", "section.data"))
    open_section(lead, T("ko", "section.test"))
    index_box = lead.get_by_label(T("ko", "test.index", last=9999))
    index_box.fill("7")
    index_box.press("Enter")
    for page in phones[:2]:
        page.wait_for_selector('[data-index="7"]', timeout=FOLLOW_S)
    wanderer.wait_for_timeout(2500)
    assert wanderer.locator('[data-index="7"]').count() == 0
    wanderer.get_by_role("button", name=T("ko", "follow.button")).tap()
    wanderer.wait_for_selector('[data-index="7"]', timeout=FOLLOW_S)

    # Ask "what will the network answer?" for the test image on screen.
    lead.get_by_text(T("ko", "questions.panel")).click()
    lead.get_by_role("button", name=T("ko", "questions.ask")).click()
    for page in phones:
        page.wait_for_selector('.q-title[data-kind="predict"][data-status="open"]', timeout=FOLLOW_S)
    question = Questions(open_store(str(room_file))).get(Presenter(open_store(str(room_file))).read().question)
    truth = question.truth["choice"]
    choices = [truth, truth, (truth + 1) % 10]
    for page, choice in zip(phones, choices):
        page.locator(".st-key-question").get_by_role("radio", name=str(choice), exact=True).tap()  # a pill
    deadline = time.monotonic() + 20
    while sum(Questions(open_store(str(room_file))).counts(question.id, 10)) < 3:
        assert time.monotonic() < deadline, "three answers not stored"
        time.sleep(0.3)
    for page in phones:
        assert page.locator(".q-hist").count() == 0 and page.locator(".q-verdict").count() == 0  # nothing before the reveal
    lead.get_by_role("button", name=T("ko", "questions.reveal")).click()
    for page, choice in zip(phones, choices):
        page.wait_for_selector(".q-hist", timeout=FOLLOW_S)
        counts = page.locator(".q-hist").get_attribute("data-counts").split(",")
        assert counts[truth] == "2" and counts[(truth + 1) % 10] == "1"
        right = page.locator(".q-verdict").get_attribute("data-right")
        assert right == str(choice == truth).lower()
    # Back to Draw: the first phone's drawing is still there.
    open_section(lead, T("ko", "section.draw"))
    phones[0].wait_for_selector('#prediction[data-strokes="1"]', timeout=FOLLOW_S)
    for page in [*phones, lead]:
        settle(page)


def test_a_phone_watches_by_http_polls_and_asks_for_one_rerun_per_move(server):
    """A participant's idle page sends no timed rerun: its watcher GETs api/presence beside the page about
    once a second, and a move of the presenter costs one rerun of the follow fragment, not one a second."""
    from streamlit.proto.BackMsg_pb2 import BackMsg

    from bench.generators.socket_room import frames_sent
    from mnist_app.follow import POLL_S

    url, browser = server[:2]
    lead = browser.new_page(viewport={"width": 1280, "height": 720})
    lead.goto(f"{url}/?lang=en&presenter=1&key={KEY}")
    settle(lead)
    page = phone(browser, url)
    sent, polls = frames_sent(page), []
    page.on("request", lambda r: polls.append(urlparse(r.url).path) if "presence" in r.url else None)
    page.wait_for_timeout(int(4000 * POLL_S))
    runs = [m.rerun_script for m in map(BackMsg.FromString, sent) if m.WhichOneof("type") == "rerun_script"]
    assert runs == [] and 3 <= len(polls) <= 6 and set(polls) == {"/api/presence"}  # nothing but the polls
    open_section(lead, T("en", "section.data"))  # a section without a timed fragment of its own (Board, Room have one)
    page.wait_for_selector(".st-key-section_data", timeout=FOLLOW_S)
    page.wait_for_timeout(int(3000 * POLL_S))  # a watcher that fired on every tick would have asked again
    runs = [m.rerun_script for m in map(BackMsg.FromString, sent) if m.WhichOneof("type") == "rerun_script"]
    triggered = [r for r in runs if r.fragment_id and any(w.id.endswith("__events") for w in r.widget_states.widgets)]
    assert len(triggered) == 1 and not any(r.is_auto_rerun for r in runs)
    for p in (page, lead):
        settle(p)
        p.context.close()

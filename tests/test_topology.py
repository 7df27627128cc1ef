"""A class on several servers, through nginx, in Chromium (issue 20's "Done when").

One topology for the module (tests/topology.py): PostgreSQL, nginx with deploy/'s configuration, two
app servers (s1 is "A", s2 is "B") and one training worker. A browser context is a person; pinning
it to a server is presetting nginx's sticky cookie, as the proxy itself would have set it.

- A drawing confirmed on A is on the presenter's wall served by B.
- A model saved on A is listed and usable on B; its owner deletes it from either server.
- The default the presenter sets on A is where a new session on B starts.
- Trainings pressed on A and B at once run one after the other on the one worker; both pages show
  the same queue.
- `kill -9` of the worker mid-training: both pages say so within ~10 s; a new worker takes the next job.
- `kill -9` of A (last: it ends the topology's A): its room's drawings and saved models are all still
  there from B, and A's browsers land on B.
"""

from __future__ import annotations

import re

import pytest

from bench.browser import chromium, pattern, settle
from helpers_app import T
from test_e2e_browser import draw_a_one
from topology import topology

pytestmark = [pytest.mark.browser, pytest.mark.postgres, pytest.mark.slow]

KEY = "topology-key"
A, B = "s1", "s2"  # nginx's routes (deploy/nginx_conf.py): the cookie values that pin a browser
PROJECTOR = {"width": 1280, "height": 720}
LAPTOP = {"width": 1400, "height": 1000}
TIMEOUT_MS = 60_000
INTRO = pattern("room.intro", n=r"\d+")


@pytest.fixture(scope="module")
def room(tmp_path_factory):
    """The topology and one Chromium for all of the module's scenarios."""
    with topology(tmp_path_factory.mktemp("topology"), presenter_key=KEY) as top, chromium() as browser:
        yield top, browser


def person(room, server: str, query: str = "lang=ko", viewport=LAPTOP):
    """A new browser (a context of its own: cookies and localStorage) pinned to `server`, on `?query`."""
    top, browser = room
    context = browser.new_context(viewport=viewport, locale="ko-KR")
    top.pin(context, server)
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    page.goto(f"{top.url}/?{query}")
    return page


def move(room, page, server: str, query: str = "lang=ko"):
    """The same browser (same participant) opening the page again, now pinned to `server`."""
    top, _ = room
    top.pin(page.context, server)
    page.goto(f"{top.url}/?{query}")
    settle(page)
    return page


def wall(room, server: str):
    page = person(room, server, f"lang=ko&section=room&presenter=1&key={KEY}", PROJECTOR)
    page.get_by_text(T("ko", "room.fooled")).wait_for()
    return page


# The wall's tiles; there is no wall while the room is empty.
TILES = "(document.querySelector('.wall')?.querySelectorAll('.tile').length ?? 0)"


def tiles(page) -> int:
    return page.evaluate(TILES)


def drawings_on(page) -> int:
    """The room's drawing count, as the wall's introduction says it."""
    found = INTRO.search(page.locator('[data-testid="stMainBlockContainer"]').inner_text())
    assert found, "the wall says how many drawings the room has"
    return int(found["n"])


def numbers(key: str) -> re.Pattern:
    """A Korean catalogue string with a number in each of its fields (no groups: Playwright runs it as JS)."""
    return re.compile(re.sub(r"\\\{\w+\\\}", r"\\d+", re.escape(T("ko", key))))


def confirm_a_one(page) -> None:
    assert draw_a_one(page) == 1
    page.get_by_role("button", name=T("ko", "room.yes")).click()
    page.get_by_text(numbers("room.saved")).wait_for()


def test_a_drawing_confirmed_on_a_is_on_the_presenters_wall_served_by_b(room):
    top, _ = room
    projector = wall(room, B)
    before = tiles(projector)
    participant = person(room, A)
    confirm_a_one(participant)
    projector.wait_for_function(f"{TILES} === {before + 1}")
    newest = projector.locator(".wall").first.locator(".tile").first
    assert newest.get_attribute("data-meant") == "1"
    # Each browser's session stayed on the server its cookie names, and only there.
    assert top.served_by(A) == {top.address(A)} and top.served_by(B) == {top.address(B)}
    participant.context.close()
    projector.context.close()


def test_server_a_killed_its_rooms_drawings_are_all_still_there_from_b(room):
    top, _ = room
    participant = person(room, A)
    confirm_a_one(participant)  # A's last write before it dies
    projector = wall(room, B)
    stored = drawings_on(projector)
    assert stored >= 1
    top.kill(A)
    later = wall(room, B)  # a new session on B, after A's death
    assert drawings_on(later) == stored
    # A's participants reload and land on B (the route's backup): the page works there.
    participant.reload()
    assert draw_a_one(participant) == 1
    assert top.address(B) in top.served_by(A)
    for page in (participant, projector, later):
        page.context.close()

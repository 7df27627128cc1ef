"""End to end, the room's board: `streamlit run app.py` (its own training worker), a presenter's page
on the Board and two participants who each train from their own page. Both runs reach the
presenter's board without a reload, its CSV holds both, each participant sees where their run stands."""

from __future__ import annotations

import io
import time

import pandas as pd
import pytest

from bench.browser import chromium, open_section, settle, streamlit_server
from helpers_app import T

pytestmark = [pytest.mark.browser, pytest.mark.realdata, pytest.mark.slow]
KEY = "board-key"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    folder = tmp_path_factory.mktemp("streamlit_board")
    with streamlit_server(folder / "server.log", MNIST_PRESENTER_KEY=KEY) as url, chromium() as browser:
        yield url, browser


def train_one_epoch(page, url: str, lr: str) -> None:
    """A participant's page follows the presenter to the Board; its own click on Train stops that."""
    page.goto(f"{url}/?lang=en&follow=1")  # joined by the join card: following the presenter
    page.get_by_text(T("en", "board.no_run")).wait_for()  # followed the presenter
    open_section(page, T("en", "section.train"))
    page.get_by_label(T("en", "train.epochs")).fill("1")
    page.get_by_label(T("en", "train.lr")).fill(lr)
    page.get_by_label(T("en", "train.lr")).press("Enter")
    settle(page)
    page.get_by_role("button", name=T("en", "train.start"), exact=True).last.click()


def board_csv(page) -> pd.DataFrame:
    with page.expect_download() as download:
        page.get_by_text(T("ko", "board.csv")).click()
    return pd.read_csv(io.BytesIO(download.value.path().read_bytes()))


def test_two_participants_runs_reach_the_presenters_board(server, tmp_path):
    url, browser = server
    board = browser.new_page(viewport={"width": 1280, "height": 720})
    board.set_default_timeout(240_000)
    board.goto(f"{url}/?lang=ko&section=board&presenter=1&key={KEY}")
    board.get_by_text(T("ko", "board.empty")).wait_for()
    people = [browser.new_context().new_page() for _ in range(2)]
    for page, lr in zip(people, ("0.01", "0.0005")):
        page.set_default_timeout(240_000)
        train_one_epoch(page, url, lr)
    for page in people:
        page.get_by_text("Finished in").wait_for()
    board.get_by_text(T("ko", "board.csv")).wait_for()  # the board's fragment redrew with the runs: no reload
    deadline = time.monotonic() + 30
    while len(csv := board_csv(board)) < 2 and time.monotonic() < deadline:  # it redraws every 3 s
        board.wait_for_timeout(1000)
    assert len(csv) == 2 and sorted(csv["lr"]) == [0.0005, 0.01] and list(csv["rank"]) == [1, 2]
    places = set()
    for page in people:
        open_section(page, T("en", "section.board"))
        found = page.get_by_text("Your best run is number").inner_text()
        places.add(found.split("number ")[1].split(" ")[0])
        assert "of 2" in found
    assert places == {"1", "2"}
    for page in [*people, board]:
        settle(page)

"""The presenter's position and the questions in the room's database (room.presence, room.questions),
on SQLite and PostgreSQL: what several app servers on one database share."""

from __future__ import annotations

import itertools

import pytest

from mnist_app.room import open_store
from mnist_app.room.presence import Position, Presenter
from mnist_app.room.questions import CLOSED, ENDED, OPEN, REVEALED, Questions, range_choice, untrained_choices


@pytest.fixture
def two_servers(location):
    """Two stores on one room, as two app servers would have."""
    a, b = open_store(location), open_store(location)
    yield a, b
    a.close(), b.close()


def test_the_presenters_position_is_one_row_whose_seq_grows_with_every_change(two_servers):
    a, b = two_servers
    assert Presenter(b).read() is None
    first = Presenter(a).publish(Position("lesson", 2, 7, 2018))
    seen = Presenter(b).read()
    assert seen == first and seen.position == Position("lesson", 2, 7, 2018) and seen.question is None
    Presenter(a).publish(question="q1", question_status=OPEN)  # the question alone: the position stays
    seen = Presenter(b).read()
    assert seen.seq == first.seq + 1 and seen.position == first.position and (seen.question, seen.question_status) == ("q1", OPEN)


def test_one_answer_per_participant_changeable_until_closed_and_hidden_until_revealed(two_servers):
    a, b = two_servers
    old = Questions(a).open("untrained", {"choices": ["a", "b"]}, truth={"choice": 0})
    question = Questions(a).open("predict", {"choices": [str(d) for d in range(10)]}, picture=bytes(784), truth={"choice": 7})
    assert Questions(b).get(old.id).status == ENDED  # one question on screen
    assert Questions(b).get(question.id).truth_if_revealed() is None
    assert Questions(b).answer(question.id, "tok1", 3) and Questions(b).answer(question.id, "tok1", 7)  # changed
    assert Questions(a).answer(question.id, "tok2", 7) and Questions(a).answer(question.id, "tok3", 1)
    assert not Questions(a).answer(question.id, "tok4", 10) and not Questions(a).answer("nope", "tok4", 1)
    assert Questions(b).counts(question.id, 10) == [0, 1, 0, 0, 0, 0, 0, 2, 0, 0] and Questions(b).mine(question.id, "tok1") == 7
    assert Questions(a).set_status(question.id, CLOSED)
    assert not Questions(b).answer(question.id, "tok1", 1) and Questions(b).mine(question.id, "tok1") == 7
    assert Questions(a).set_status(question.id, REVEALED)
    assert Questions(b).get(question.id).truth_if_revealed() == {"choice": 7}
    assert not Questions(a).set_status("nope", REVEALED)


def test_the_untrained_ranges_cover_every_count_once():
    ranges = untrained_choices(10000)
    assert ranges[0][0] == 0 and ranges[-1][1] == 10000
    assert all(prev[1] + 1 == nxt[0] for prev, nxt in itertools.pairwise(ranges))
    assert range_choice(1019, ranges) == 2 and range_choice(0, ranges) == 0 and range_choice(10000, ranges) == len(ranges) - 1

"""The wall's fair share and the presenter's hiding of one participant, in the room's store, on SQLite and
PostgreSQL (the `location` fixture): a participant who floods the room shows at most their newest few
tiles among the newest; hiding a participant takes all of theirs (and only theirs) off the walls, counts
and scores at once."""

from __future__ import annotations

import pytest

from helpers_room import entry
from mnist_app.room import new_session_id, open_store
from mnist_app.room.participants import Participants


@pytest.fixture
def store(location):
    room = open_store(location, timeout_s=5.0)
    yield room
    room.close()


def add(store, who: str, label: int, predicted: int, mark: int) -> int:
    return store.add(**entry(who, label, predicted, mark))


def test_one_participant_shows_at_most_their_share_of_the_newest(store):
    flooder, alice, bob = new_session_id(), new_session_id(), new_session_id()
    early = [add(store, alice, 3, 3, 0), add(store, bob, 7, 1, 1)]
    flood = [add(store, flooder, 1, 1 if i % 2 else 7, 10 + i) for i in range(12)]  # every other one "fooled"
    late = add(store, bob, 2, 2, 2)
    wall = store.recent(40, per_participant=4)
    assert [d.id for d in wall] == [late, *flood[:-5:-1], *early[::-1]]  # newest first, the flooder's newest 4
    assert [d.id for d in store.recent(3, per_participant=4)] == [late, flood[-1], flood[-2]]
    assert len(store.recent(40)) == 15  # without a share: everything
    fooled = store.wrong(20, per_participant=2)
    assert [d.id for d in fooled] == [flood[-2], flood[-4], early[1]]  # wrong ones only, the flooder's newest 2
    assert [d.id for d in store.recent(40, per_participant=1)] == [late, flood[-1], early[0]]
    store.hide(flood[-1])  # a hidden tile leaves room for the participant's next newest
    assert [d.id for d in store.recent(40, per_participant=2)][:3] == [late, flood[-2], flood[-3]]


def test_hiding_a_participant_takes_all_of_theirs_and_only_theirs(store):
    flooder, alice = new_session_id(), new_session_id()
    mine = [add(store, alice, d, d, d) for d in (4, 5)]
    theirs = [add(store, flooder, 1, 1 if i else 8, 100 + i) for i in range(6)]
    assert [(p.session_id, p.drawings, p.newest) for p in Participants(store).list()] == [
        (flooder, 6, theirs[-1]),
        (alice, 2, mine[-1]),
    ]
    assert Participants(store).hide(flooder) == 6
    assert [d.id for d in store.recent(40)] == mine[::-1] and store.wrong() == []
    assert store.counts()[1] == 0 and store.confusion().total == 2 and len(store.all_inputs()[1]) == 2
    assert [p.session_id for p in Participants(store).list()] == [alice]
    assert tuple(store.session_score(flooder)) == (5, 6)  # still theirs
    assert Participants(store).hide(flooder) == 0  # nothing left to hide
    assert Participants(store).hide(new_session_id()) == 0  # nobody: nothing
    later = add(store, flooder, 2, 2, 200)  # drawn after the hide: shown
    assert [d.id for d in store.recent(40)] == [later, *mine[::-1]]
    assert Participants(store).hide(flooder, hidden=False) == 6 and len(store.recent(40)) == 9

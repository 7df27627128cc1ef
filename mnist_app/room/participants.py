"""The room's participants as the presenter moderates them: who has drawings on the walls, and hiding
all of one participant's at once (someone filling the room with ones). A participant is their token in
`room_drawings.session_id`; the page shows the nickname derived from it, never the token.
No streamlit here.
"""

from __future__ import annotations

from typing import NamedTuple

import sqlalchemy as sa

from .schema import drawings
from .store import RoomStore


class Participant(NamedTuple):
    session_id: str  # their token: for the presenter's action, never shown
    drawings: int  # visible ones
    newest: int  # the id of their newest visible drawing


class Participants:
    """Thread-safe as the store is; every method raises RoomError as the store does."""

    def __init__(self, store: RoomStore):
        self.store = store

    def list(self) -> list[Participant]:
        """Everyone with visible drawings, the most recent drawer first."""
        newest = sa.func.max(drawings.c.id).label("newest")
        query = (sa.select(drawings.c.session_id, sa.func.count(), newest).where(~drawings.c.hidden)
                 .group_by(drawings.c.session_id).order_by(newest.desc()))  # fmt: skip
        with self.store._connect(write=False) as conn:
            return [Participant(*row) for row in conn.execute(query).all()]

    def hide(self, session_id: str, hidden: bool = True) -> int:
        """Hide every drawing of one participant, or show them again; how many changed. Drawings they
        add later are shown: the presenter hides those again if need be."""
        theirs = sa.and_(drawings.c.session_id == str(session_id), drawings.c.hidden != bool(hidden))
        with self.store._connect(write=True) as conn:
            return conn.execute(sa.update(drawings).where(theirs).values(hidden=bool(hidden))).rowcount

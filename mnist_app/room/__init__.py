"""The room: every participant's labelled drawings, stored for the presenter's wall and the export.

No streamlit in this package. `open_store()` gives the RoomStore (SQLite or PostgreSQL, from
$MNIST_ROOM_DB); records says what a drawing is and the RoomError codes the page translates.
"""

from .records import CODES, THUMB_PX, Drawing, RoomError, new_session_id, thumbnail_png
from .store import FLOOD_PER_MINUTE, RoomStore, Score, open_store

__all__ = [
    "CODES", "FLOOD_PER_MINUTE", "THUMB_PX", "Drawing", "RoomError", "RoomStore", "Score", "new_session_id",
    "open_store", "thumbnail_png",
]  # fmt: skip

"""How a session becomes the presenter: the key, the limits on guessing it, and the pass a browser
keeps so a reload of the projector keeps its rights (what the presenter may then do: presenter.py).

The key comes from MNIST_PRESENTER_KEY on the server; a session gives it once (`?key=` in the URL or
the field in the Model section). A browser that gave it keeps a pass for PASS_S (a workshop's day),
so a reload keeps its rights with the key neither in the address nor on screen: "<expiry>.<HMAC-SHA256>",
signed with a secret derived from the key itself (so every app server of a room accepts it, nothing
new needs configuring, and changing MNIST_PRESENTER_KEY ends every pass). components/identity.py
keeps it in the browser's localStorage beside the participant's token; a pass does not contain the key.
"""

from __future__ import annotations

import collections
import functools
import hashlib
import hmac
import logging
import math
import threading
import time

from . import state
from .settings import presenter_key
from .state import Key

logger = logging.getLogger("mnist_app.presenter")  # one logger for the presenter's doings


def unlock(given: str) -> bool:
    """The session becomes the presenter if `given` is the server's key. A session that gave
    SESSION_LIMIT wrong keys within WINDOW_S is locked out for LOCK_S, and every session while the
    server has had SERVER_LIMIT wrong keys in WINDOW_S (a new session is a fresh quota): then nothing is
    compared and the page says so at its top. Wrong keys are logged, never their text."""
    now = _now()
    refusal = _lockout(now)
    if refusal is not None:
        state.put(Key.IS_PRESENTER, False)
        state.put(Key.FLASH, ("error", *refusal))
        logger.warning("presenter key not compared for session %s: %s", state.get(Key.NICK), refusal[0])
        return False
    key = presenter_key()
    ok = bool(key) and isinstance(given, str) and len(given) <= MAX_KEY_CHARS and hmac.compare_digest(
        given.encode("utf-8", "surrogatepass"), key.encode("utf-8"))  # a lone surrogate from JSON: wrong, not an error
    state.put(Key.IS_PRESENTER, ok)
    state.put(Key.KEY_GUESSES, ()) if ok else _wrong(now)
    if ok:
        state.put(Key.PRESENTER_PASS, issue_pass())
        state.put(Key.PASS_FORGET, False)
    return ok


PASS_S = 12 * 3600  # how long a browser keeps the presenter's rights without the key: a workshop's day
MAX_PASS_CHARS = 100  # "<10 digits>.<64 hex digits>"; a longer text is refused unread
PASS_ROUNDS = 200_000


@functools.lru_cache(maxsize=4)
def _pass_secret(key: str) -> bytes:
    """The signing secret: slow to derive (0.2-0.3 s here, once per key and process), so that a pass copied from
    a browser does not make the key cheap to guess offline."""
    return hashlib.pbkdf2_hmac("sha256", key.encode("utf-8"), b"mnist-presenter-pass", PASS_ROUNDS)


def issue_pass(now: float | None = None) -> str:
    """A pass for this browser, valid PASS_S from `now` (wall-clock seconds: servers share it)."""
    expires = int((time.time() if now is None else now) + PASS_S)
    return f"{expires}.{hmac.new(_pass_secret(presenter_key()), str(expires).encode(), 'sha256').hexdigest()}"


def pass_valid(text: object, now: float | None = None) -> bool:
    """Whether `text` is a pass this server's key signed that has not expired."""
    key = presenter_key()
    if not key or not isinstance(text, str) or len(text) > MAX_PASS_CHARS or text.count(".") != 1:
        return False
    expires, signature = text.split(".")
    if not (expires.isascii() and expires.isdigit()) or int(expires) <= (time.time() if now is None else now):
        return False
    expected = hmac.new(_pass_secret(key), expires.encode(), "sha256").hexdigest()
    return hmac.compare_digest(signature.encode("ascii", "replace"), expected.encode())


def resume(text: object) -> bool:
    """A browser's kept pass (identity.py): valid, the session is the presenter again; otherwise the
    browser is told to drop it. No guessing limit: a signature is 256 bits."""
    ok = pass_valid(text)
    if ok:
        state.put(Key.IS_PRESENTER, True)
    state.put(Key.PASS_FORGET, not ok)
    return ok


def give_up() -> None:
    """This browser stops being the presenter's (a shared computer): the session and its kept pass."""
    state.put(Key.IS_PRESENTER, False)
    state.put(Key.PRESENTER_PASS, None)
    state.put(Key.PASS_FORGET, True)
    state.put(Key.PRESENTER_KEY, "")  # the field, empty again (not "wrong key")


# Guessing limits. A key of 16 random letters has 26^16 values; at most SERVER_LIMIT guesses a minute
# reach the comparison on one server (the issue measured 22 a second from one session, ~51 from four).
SESSION_LIMIT = 10  # wrong keys within WINDOW_S that lock a session out: a presenter mistypes a few
SERVER_LIMIT = 30  # wrong keys within WINDOW_S from all of this server's sessions
WINDOW_S = 60.0
LOCK_S = 300  # how long a session stays locked out
MAX_KEY_CHARS = 1000  # a longer text is wrong without being encoded and compared
_now = time.monotonic


class ServerGuesses:
    """The times of the wrong keys all sessions of this server process gave within WINDOW_S (a
    server's sessions are threads of one process)."""

    def __init__(self) -> None:
        self._times: collections.deque[float] = collections.deque()
        self._lock = threading.Lock()

    def _drop_old(self, now: float) -> None:
        while self._times and now - self._times[0] >= WINDOW_S:
            self._times.popleft()

    def add(self, now: float) -> int:
        with self._lock:
            self._drop_old(now)
            self._times.append(now)
            return len(self._times)

    def full(self, now: float) -> bool:
        with self._lock:
            self._drop_old(now)
            return len(self._times) >= SERVER_LIMIT

    def __len__(self) -> int:
        return len(self._times)


SERVER_GUESSES = ServerGuesses()


def _lockout(now: float) -> tuple[str, dict] | None:
    """Why no key may be tried now (a catalogue key and its values), or None."""
    left = state.get(Key.KEY_LOCKED_UNTIL) - now
    if left > 0:
        return "presenter.locked", {"minutes": math.ceil(left / 60)}
    if SERVER_GUESSES.full(now):
        return "presenter.busy", {}
    return None


def _wrong(now: float) -> None:
    """Count a wrong key for the session and the server; lock the session out at its limit."""
    recent = (*(t for t in state.get(Key.KEY_GUESSES) if now - t < WINDOW_S), now)
    on_server = SERVER_GUESSES.add(now)
    nick = state.get(Key.NICK)
    if len(recent) >= SESSION_LIMIT:
        state.put(Key.KEY_LOCKED_UNTIL, now + LOCK_S)
        recent = ()
        logger.warning("wrong presenter key from session %s: %d in %d s, locked out for %d s",
                       nick, SESSION_LIMIT, WINDOW_S, LOCK_S)  # fmt: skip
    else:
        logger.warning("wrong presenter key from session %s (%d in %d s; %d on this server)", nick, len(recent), WINDOW_S, on_server)
    state.put(Key.KEY_GUESSES, recent)

"""The model catalogue: the checkpoints all sessions share, the one this session trained, and which one is active.

Two kinds are shared: checkpoint files every server has (the shipped ones, those the command line
wrote) and the models participants saved, which live in the room's database (room.shelf) so that
every app server on it lists the same ones. Each is read once per version into `st.cache_resource`,
the whole list once per version of the folder and of the shelf's rows, which are read at most every
SHELF_TTL_S seconds per server. The active model is per session.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

import streamlit as st
from torch import nn

from mnist_core import checkpoints as ckpt
from mnist_core.config import ModelConfig, TrainConfig, checkpoint_dir

from . import state
from .i18n import t
from .state import OWN_MODEL, Key

SHELF_TTL_S = 2.0  # a model saved or a default chosen on another server shows here within this


@dataclass(frozen=True)
class ModelChoice:
    """A model that can be made active: a checkpoint's, or the one this session trained."""

    name: str  # checkpoint stem, or OWN_MODEL
    model: nn.Module  # eval mode; never changed once made (shared models are used by many sessions)
    model_config: ModelConfig
    train_config: TrainConfig
    metrics: dict
    created: str
    cache_id: str  # identifies these weights in the prediction cache
    owner: str = ""  # the token of the participant who saved it in the room; "" for files
    nick: str = ""  # their nickname, for display
    saved: bool = False  # in the room's database (saved from the page), not a file

    @property
    def architecture(self) -> str:
        text = "-".join(str(n) for n in (784, *self.model_config.hidden, 10))
        return text + (", " + t("model.dropout", p=f"{self.model_config.dropout:g}") if self.model_config.dropout else "")

    @property
    def accuracy(self) -> float | None:
        value = self.metrics.get("accuracy")
        return None if value is None else float(value)


@st.cache_resource(max_entries=64, show_spinner=False)
def read_checkpoint(path: str, stamp: tuple[int, int]) -> ModelChoice | None:
    """One checkpoint file, read once per version (`stamp`: mtime and size); None if it is not usable."""
    try:
        c = ckpt.load_checkpoint(path)
    except ckpt.CheckpointError:
        return None
    created = str(c.meta.get("created") or "")
    return ModelChoice(c.name, c.model, c.model_config, c.train_config, c.metrics, created, f"{path}@{stamp}")


@st.cache_resource(max_entries=64, show_spinner=False)
def read_saved(name: str, created: str, owner: str, nick: str) -> ModelChoice | None:
    """One model saved in the room, read once (a name is saved once: `created` tells a new one)."""
    from .resources import room_shelf
    from .room import RoomError

    try:
        c = ckpt.load_checkpoint_bytes(room_shelf().payload(name) or b"", name)
    except (RoomError, ckpt.CheckpointError):
        return None
    return ModelChoice(name, c.model, c.model_config, c.train_config, c.metrics, created, f"room:{name}@{created}", owner, nick, True)


@st.cache_resource(ttl=SHELF_TTL_S, show_spinner=False)
def shelf_rows() -> tuple[tuple, str | None] | None:
    """The room's saved models (rows without their bytes) and its default; None while the room is away.
    Shared by every session of the server as it is (cache_data would copy it for every caller)."""
    from .resources import room_shelf
    from .room import RoomError

    try:
        return tuple(room_shelf().list()), room_shelf().default()
    except RoomError:
        return None


def _files(folder: Path) -> tuple[list[ModelChoice], list[str]]:
    found, unusable = [], []
    for path in sorted(folder.glob("*.pt")):
        try:
            info = path.stat()
        except OSError:  # removed between the listing and now
            continue
        choice = read_checkpoint(str(path), (info.st_mtime_ns, info.st_size))
        found.extend([choice] if choice else [])
        unusable.extend([] if choice else [path.name])
    return found, unusable


def list_models() -> tuple[tuple[ModelChoice, ...], tuple[str, ...]]:
    """Every usable model, files and saved ones, best first, and the names of the unusable ones.

    Made once per version of the folder and of the shelf's rows for the whole server, not per run: a
    stroke asks for the active model, and listing every model each time was 5% of a stroke's run with
    20 drawing sessions (issue 25), more with every model a class saves."""
    rows = shelf_rows()
    folder = checkpoint_dir()
    try:
        stamp = folder.stat().st_mtime_ns  # a checkpoint is written by a rename, which changes it
    except OSError:  # no folder (yet): nothing in it
        stamp = None
    return _catalogue(str(folder), stamp, () if rows is None else rows[0])


# functools, not st.cache_resource: its key is cheap to hash as it is, and Streamlit's own hashing of
# the arguments made each call cost about as much as the listing it saves (py-spy, issue 25).
@functools.lru_cache(maxsize=4)
def _catalogue(folder: str, stamp: int | None, rows: tuple) -> tuple[tuple, tuple]:
    """list_models for one version of the folder (`stamp`) and of the shelf's `rows`."""
    found, unusable = _files(Path(folder)) if stamp is not None else ([], [])
    files = {c.name for c in found}
    for row in rows:
        if row.name in files:
            continue
        choice = read_saved(row.name, row.created.isoformat(timespec="seconds"), row.owner, row.nick)
        found.extend([choice] if choice else [])
        unusable.extend([] if choice else [row.name])
    found.sort(key=lambda c: -(c.accuracy or 0.0))
    return tuple(found), tuple(unusable)


def model_choices() -> dict[str, ModelChoice]:
    choices = {c.name: c for c in list_models()[0]}
    trained = state.get(Key.TRAINED)
    if trained is not None:
        choices[OWN_MODEL] = trained
    return choices


def default_name(choices: dict[str, ModelChoice]) -> str | None:
    """The model new sessions start on: the room's choice, else the folder's default checkpoint."""
    chosen = (shelf_rows() or ((), None))[1]
    if chosen in choices:
        return chosen
    fallback = ckpt.default_checkpoint_path(checkpoint_dir()).stem
    return fallback if fallback in choices else next(iter(choices), None)


def active_model() -> ModelChoice | None:
    """This session's active model: its choice if still there, else the default."""
    choices = model_choices()
    name = state.get(Key.ACTIVE)
    if name in choices:
        return choices[name]
    fallback = default_name(choices)
    if name is None or shelf_rows() is not None:  # while the room is away its saved models are, too: keep the choice
        state.put(Key.ACTIVE, fallback)
    return choices.get(fallback)


class NameTaken(ValueError):
    pass


def save_trained(trained: ModelChoice, name: str, *, owner: str, nick: str) -> str:
    """Save the session's model in the room under NAME, owned by the participant `owner` (a token).

    ValueError for a name that is not a checkpoint name; NameTaken for one that exists (a file here,
    or a saved model from any server); RoomError when the room cannot be written.
    """
    from .resources import room_shelf
    from .room import RoomError
    from .room.shelf import NAME_TAKEN

    name = ckpt.check_name(name.strip())
    if ckpt.path_for(name, checkpoint_dir()).exists():
        raise NameTaken(name)
    payload = ckpt.checkpoint_bytes(trained.model, model_config=trained.model_config, train_config=trained.train_config,
                                    metrics=trained.metrics, command="streamlit run app.py (trained in the browser)", owner=nick)  # fmt: skip
    try:
        room_shelf().save(name, payload, owner=owner, nick=nick, accuracy=trained.accuracy or 0.0)
    except RoomError as e:
        if e.code == NAME_TAKEN:
            raise NameTaken(name) from None
        raise
    shelf_rows.clear()
    return name


def deletable(choice: ModelChoice, token: str, is_presenter: bool) -> bool:
    """A participant may delete what they saved; the presenter any saved one; nobody the files."""
    return choice.saved and (is_presenter or (bool(choice.owner) and choice.owner == token))


def delete_saved(name: str, *, owner: str | None) -> None:
    """Delete a saved model: the participant's own (`owner` their token), or any (`owner=None`, the
    presenter: presenter.py checks). RoomError("not_yours") when nothing of theirs has that name."""
    from .resources import room_shelf

    room_shelf().delete(name, owner=owner)
    shelf_rows.clear()

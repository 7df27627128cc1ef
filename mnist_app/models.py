"""Models: the checkpoints all sessions share, the one this session trained, and which one is active.

A checkpoint file is read once per version (its mtime and size) into `st.cache_resource`, so a model
saved by any session appears in every session's list at once. The active model is per session.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path

import streamlit as st
from torch import nn

from mnist_core import checkpoints as ckpt
from mnist_core.model import ModelConfig
from mnist_core.train import TrainConfig

from . import state
from .settings import checkpoint_dir
from .state import OWN_MODEL, Key


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
    owner: str = ""  # the nickname of the session that saved it; "" for the shipped ones and the CLI's

    @property
    def architecture(self) -> str:
        text = "-".join(str(n) for n in (784, *self.model_config.hidden, 10))
        return text + (f", dropout {self.model_config.dropout:g}" if self.model_config.dropout else "")

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
    owner = str(c.meta.get("owner") or "")
    return ModelChoice(c.name, c.model, c.model_config, c.train_config, c.metrics, created, f"{path}@{stamp}", owner)


def list_models() -> tuple[list[ModelChoice], list[str]]:
    """Every usable checkpoint, best first, and the file names of the unusable ones."""
    found, unusable = [], []
    for path in sorted(checkpoint_dir().glob("*.pt")):
        try:
            info = path.stat()
        except OSError:  # removed between the listing and now
            continue
        choice = read_checkpoint(str(path), (info.st_mtime_ns, info.st_size))
        found.extend([choice] if choice else [])
        unusable.extend([] if choice else [path.name])
    found.sort(key=lambda c: -(c.accuracy or 0.0))
    return found, unusable


def model_choices() -> dict[str, ModelChoice]:
    choices = {c.name: c for c in list_models()[0]}
    trained = state.get(Key.TRAINED)
    if trained is not None:
        choices[OWN_MODEL] = trained
    return choices


def active_model() -> ModelChoice | None:
    """This session's active model: its choice if still there, else the default checkpoint."""
    choices = model_choices()
    name = state.get(Key.ACTIVE)
    if name not in choices:
        default = ckpt.default_checkpoint_path(checkpoint_dir()).stem
        name = default if default in choices else next(iter(choices), None)
        state.put(Key.ACTIVE, name)
    return choices.get(name)


@st.cache_resource
def _save_lock() -> threading.Lock:
    # Every session runs in this one process: under the lock, "the name is free" and the write
    # cannot interleave with another session's save of the same name.
    return threading.Lock()


class NameTaken(ValueError):
    pass


def save_trained(trained: ModelChoice, name: str, owner: str = "") -> Path:
    """Save the session's model as NAME.pt (atomic, never over an existing file).

    ValueError for a name that is not a plain file name; NameTaken for one that exists.
    """
    path = ckpt.path_for(name.strip(), checkpoint_dir())
    with _save_lock():
        if path.exists():
            raise NameTaken(path.stem)
        ckpt.save_checkpoint(
            path, trained.model, model_config=trained.model_config, train_config=trained.train_config,
            metrics=trained.metrics, command="streamlit run app.py (trained in the browser)", owner=owner,
        )  # fmt: skip
    return path


def deletable(choice: ModelChoice, nick: str, is_presenter: bool) -> bool:
    """A participant may delete what they saved; the presenter any saved one; nobody the shipped ones."""
    if choice.name in ckpt.SHIPPED or choice.name == OWN_MODEL:
        return False
    return is_presenter or (bool(choice.owner) and choice.owner == nick)


def delete_own(name: str, nick: str) -> None:
    """Delete a checkpoint this session saved; PermissionError for anyone else's."""
    choice = model_choices().get(name)
    if choice is None or not deletable(choice, nick, is_presenter=False):
        raise PermissionError(name)
    ckpt.delete_checkpoint(name, checkpoint_dir())

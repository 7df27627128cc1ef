"""Self-describing checkpoint files: weights plus architecture, training config, metrics and provenance.

A checkpoint is a `torch.save`d dict of plain values and tensors, so it loads with
`torch.load(weights_only=True)`: a file that tries to run code on load is refused by the unpickler,
never executed. Writes go to a temporary file in the same folder, then `os.replace`, so a crash
mid-write leaves the previous file intact.
"""

from __future__ import annotations

import io
import os
import pickle
import re
import tempfile
import time
import warnings
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path

import torch
from torch import nn

from . import __version__
from .config import ModelConfig, TrainConfig, checkpoint_dir
from .model import build_mlp

FORMAT = "mnist_core.checkpoint/1"
DEFAULT_NAME = "best_mlp"
FALLBACK_NAME = "tutorial"
SHIPPED = (DEFAULT_NAME, FALLBACK_NAME)
DEFAULT_FILE = "default.txt"  # in the checkpoint folder: the name of the checkpoint to start on
# Letters of any script (모델1), digits, spaces, '_', '-', '.'; starting with a letter or digit, at most
# 40: a plain file stem on every system, never a path (no separators, no '..').
_NAME = re.compile(r"[^\W_][\w .-]{0,39}")


class CheckpointError(ValueError):
    """A file that is not a usable checkpoint; the message is one line naming the file and the problem."""


@dataclass(frozen=True)
class Checkpoint:
    """A loaded checkpoint: the model (eval mode, on the CPU unless moved) and its metadata."""

    path: Path
    model: nn.Sequential
    model_config: ModelConfig
    train_config: TrainConfig
    metrics: dict
    meta: dict  # split, created, library_version, command, name

    @property
    def name(self) -> str:
        return self.path.stem


def check_name(name: str) -> str:
    """A checkpoint name is a plain file stem: letters (any script), digits, spaces, `_`, `-`, `.`."""
    if not isinstance(name, str) or not _NAME.fullmatch(name) or ".." in name or name[-1] in " .":
        raise ValueError(f"invalid checkpoint name {name!r}: use letters, digits, spaces, '_', '-' or '.' (max 40)")
    return name


def path_for(name: str, folder: str | os.PathLike | None = None) -> Path:
    return Path(folder or checkpoint_dir()) / f"{check_name(name)}.pt"


def _plain(value):
    """numpy scalars and arrays, tensors -> Python numbers and lists, which weights_only loads."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value.tolist() if hasattr(value, "tolist") else value


def _payload(model: nn.Module, *, model_config: ModelConfig, train_config: TrainConfig, metrics: dict,
             split: str, command: str, owner: str) -> dict:  # fmt: skip
    return {
        "format": FORMAT,
        "library_version": __version__,
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "model_config": asdict(model_config) | {"hidden": list(model_config.hidden)},
        "train_config": asdict(train_config),
        "metrics": _plain(dict(metrics)),
        "split": split,
        "command": command,
        "owner": owner,  # who saved it from the app (a nickname), else ""
        "state_dict": {k: v.detach().cpu().clone() for k, v in model.state_dict().items()},
    }


SEED_SPLIT = "seed split: train_test_split(test_size=1/7, random_state=0)"


def save_checkpoint(
    path: str | os.PathLike,
    model: nn.Module,
    *,
    model_config: ModelConfig,
    train_config: TrainConfig,
    metrics: dict,
    split: str = SEED_SPLIT,
    command: str = "",
    owner: str = "",
) -> Path:
    """Write the checkpoint atomically and return its path."""
    path = Path(path)
    payload = _payload(model, model_config=model_config, train_config=train_config, metrics=metrics,
                       split=split, command=command, owner=owner)  # fmt: skip
    _write_atomic(path, lambda f: torch.save(payload, f))
    return path


def checkpoint_bytes(model: nn.Module, *, model_config: ModelConfig, train_config: TrainConfig, metrics: dict,
                     split: str = SEED_SPLIT, command: str = "", owner: str = "") -> bytes:  # fmt: skip
    """The checkpoint file's bytes, for a database (the room keeps models saved from the page)."""
    buffer = io.BytesIO()
    torch.save(_payload(model, model_config=model_config, train_config=train_config, metrics=metrics,
                        split=split, command=command, owner=owner), buffer)  # fmt: skip
    return buffer.getvalue()


def _write_atomic(path: Path, content) -> None:
    """Write bytes, or call content(file), into a temporary file beside `path`, then rename it over."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(content) if isinstance(content, bytes) else content(f)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o644)  # mkstemp makes it private; a checkpoint is for everyone to read
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


# `_write_atomic`'s temporary files: mkstemp's ".NAME." prefix, 8 random letters, digits or '_', ".tmp".
_LEFTOVER = re.compile(r"\..+\.[a-z0-9_]{8}\.tmp")
LEFTOVER_AGE_S = 60.0  # a write in progress touches its file every few ms; a 7.4 MB checkpoint takes < 1 s


def remove_leftovers(folder: str | os.PathLike | None = None, older_than_s: float = LEFTOVER_AGE_S) -> list[Path]:
    """Delete the temporary files of writes that were killed before their rename (`kill -9` during a
    save leaves them, up to a checkpoint's size each); the paths removed. Only files named as
    `_write_atomic` names them and untouched for `older_than_s`, so another process's save goes on."""
    folder = Path(folder or checkpoint_dir())
    removed = []
    if not folder.is_dir():
        return removed
    cutoff = time.time() - older_than_s
    for path in folder.iterdir():
        try:
            if _LEFTOVER.fullmatch(path.name) and path.is_file() and not path.is_symlink() and path.stat().st_mtime < cutoff:
                path.unlink()
                removed.append(path)
        except OSError:  # gone meanwhile (another process cleaned it), or not ours to delete
            continue
    return removed


def _first_line(error: BaseException) -> str:
    text = re.sub(r"\x1b\[[0-9;]*m", "", str(error)).strip()  # torch bolds parts of its messages
    return (text.splitlines() or [type(error).__name__])[0][:160]


def _read(path: Path) -> dict:
    if not path.is_file():
        raise CheckpointError(f"checkpoint {path} does not exist")
    with path.open("rb") as f:
        return _decode(path, f)


def _decode(path: Path, f) -> dict:
    """The payload of the checkpoint in the open binary file `f` (named `path` in messages)."""
    head = f.read(4)
    f.seek(0)
    if head[:4] != b"PK\x03\x04" and head[:1] != b"\x80":  # a torch zip archive, or a legacy pickle
        raise CheckpointError(f"{path} is not a checkpoint file ({'empty' if not head else 'not a torch file'})")
    try:
        with warnings.catch_warnings():  # torch's "Detected pickle protocol 4" would add lines to stderr
            warnings.filterwarnings("ignore", category=UserWarning, module=r"torch\.")
            payload = torch.load(f, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as e:
        if "weights only load failed" in str(e).lower():
            raise CheckpointError(f"{path} refused: it holds code or objects other than weights") from None
        raise CheckpointError(f"{path} is not a loadable checkpoint: {_first_line(e)}") from None
    except Exception as e:  # torch raises many types for corrupt or truncated files
        raise CheckpointError(f"{path} is not a loadable checkpoint: {_first_line(e)}") from None
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise CheckpointError(f"{path} is not an mnist_core checkpoint (no '{FORMAT}' format tag)")
    return payload


# Training options this library no longer has, which files it wrote still record: dropped on load so
# those files stay usable (any other unknown field is refused: it is not a file of ours).
RETIRED_TRAIN_FIELDS = frozenset({"pen", "pen_width"})


def _configs(path: Path, payload: dict) -> tuple[ModelConfig, TrainConfig]:
    try:
        model_config = ModelConfig(**payload["model_config"])
        recorded = {k: v for k, v in payload["train_config"].items() if k not in RETIRED_TRAIN_FIELDS}
        # A file without `order` was trained in the "seeded" order (config.ORDERS).
        train_config = TrainConfig(**{"order": "seeded", **recorded})
    except (KeyError, TypeError, ValueError) as e:
        raise CheckpointError(f"{path} has invalid metadata: {e}") from None
    return model_config, train_config


def _metrics(path: Path, payload: dict) -> dict:
    metrics = payload.get("metrics") or {}
    accuracy = metrics.get("accuracy", 0.0) if isinstance(metrics, dict) else None
    if not isinstance(accuracy, (int, float)) or isinstance(accuracy, bool):
        raise CheckpointError(f"{path} has invalid metrics")
    return dict(metrics)


def _check_weights(path: Path, state, model_config: ModelConfig) -> None:
    """The weights' names and shapes must be the architecture's, checked before anything is allocated."""
    if not isinstance(state, dict):
        raise CheckpointError(f"{path} has no weights")
    with torch.device("meta"):  # shapes only: a header claiming huge layers allocates nothing here
        expected = {k: tuple(v.shape) for k, v in build_mlp(model_config).state_dict().items()}
    found = {k: tuple(v.shape) if isinstance(v, torch.Tensor) else type(v).__name__ for k, v in state.items()}
    if found != expected:
        wrong = sorted(k for k in expected.keys() | found.keys() if expected.get(k) != found.get(k))
        detail = ", ".join(f"{k}: {found.get(k, 'missing')} for {expected.get(k, 'nothing')}" for k in wrong[:4])
        raise CheckpointError(f"{path} does not fit its architecture {list(model_config.hidden)}: {detail}")


def load_checkpoint(path: str | os.PathLike, *, device: torch.device | str = "cpu") -> Checkpoint:
    """Load and validate a checkpoint; raise CheckpointError for anything that is not one of ours."""
    path = Path(path)
    return _checkpoint(path, _read(path), device)


def load_checkpoint_bytes(data: bytes, name: str, *, device: torch.device | str = "cpu") -> Checkpoint:
    """A checkpoint kept as bytes (in the room's database) under `name`; validated as a file is."""
    path = Path(f"{check_name(name)}.pt")
    return _checkpoint(path, _decode(path, io.BytesIO(data)), device)


def _checkpoint(path: Path, payload: dict, device) -> Checkpoint:
    model_config, train_config = _configs(path, payload)
    metrics = _metrics(path, payload)
    _check_weights(path, payload.get("state_dict"), model_config)
    model = build_mlp(model_config)
    model.load_state_dict(payload["state_dict"], strict=True)
    meta = {k: payload.get(k) for k in ("split", "created", "library_version", "command", "owner")}
    return Checkpoint(path, model.to(device).eval(), model_config, train_config, metrics, meta)


def list_checkpoints(folder: str | os.PathLike | None = None) -> tuple[list[Checkpoint], list[str]]:
    """Every loadable `*.pt` in `folder`, best accuracy first, and one error line per unloadable file."""
    found, errors = [], []
    for path in sorted(Path(folder or checkpoint_dir()).glob("*.pt")):
        try:
            found.append(load_checkpoint(path))
        except CheckpointError as e:
            errors.append(str(e))
    found.sort(key=lambda c: -float(c.metrics.get("accuracy", 0.0)))
    return found, errors


def default_checkpoint_path(folder: str | os.PathLike | None = None) -> Path:
    """The best MLP, else the tutorial checkpoint, in `folder` (default: `checkpoint_dir()`)."""
    folder = Path(folder or checkpoint_dir())
    try:
        chosen = check_name((folder / DEFAULT_FILE).read_text(encoding="utf-8").strip())
        if (folder / f"{chosen}.pt").is_file():
            return folder / f"{chosen}.pt"
    except (OSError, ValueError):  # none chosen, or a choice that is not a name
        pass
    best = folder / f"{DEFAULT_NAME}.pt"
    return best if best.is_file() else folder / f"{FALLBACK_NAME}.pt"


def set_default_checkpoint(name: str, folder: str | os.PathLike | None = None) -> Path:
    """Make `name` the checkpoint new sessions (and `evaluate` without --checkpoint) start on."""
    folder = Path(folder or checkpoint_dir())
    if not path_for(name, folder).is_file():
        raise CheckpointError(f"checkpoint {name!r} does not exist")
    _write_atomic(folder / DEFAULT_FILE, name.encode("utf-8"))
    return folder / DEFAULT_FILE


def delete_checkpoint(name: str, folder: str | os.PathLike | None = None) -> None:
    """Remove a saved checkpoint; the shipped ones stay (the lesson needs them)."""
    if name in SHIPPED:
        raise ValueError(f"{name} is shipped with the app and cannot be deleted")
    path_for(name, folder).unlink()

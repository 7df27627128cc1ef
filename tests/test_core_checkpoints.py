"""mnist_core.checkpoints: round trip, refusing every kind of bad file without running code, atomic
writes, names, listing."""

from __future__ import annotations

import os
import pickle
import re
from datetime import datetime
from pathlib import Path

import numpy as np
import pytest
import torch

import mnist_core
from conftest import need
from helpers_core import REPO
from mnist_core import checkpoints
from mnist_core.checkpoints import (
    FORMAT,
    CheckpointError,
    check_name,
    default_checkpoint_path,
    delete_checkpoint,
    list_checkpoints,
    load_checkpoint,
    path_for,
    save_checkpoint,
    set_default_checkpoint,
)
from mnist_core.config import ModelConfig, TrainConfig
from mnist_core.model import build_mlp
from mnist_core.train import new_model

METRICS = {"accuracy": 0.9615, "correct": 9615, "total": 10000, "per_class_correct": [1] * 10}


def save(path: Path, *, hidden=(16, 8), seed: int = 0, metrics=None, **kwargs) -> Path:
    config = ModelConfig(hidden=hidden)
    model = new_model(config, seed, torch.device("cpu"))
    return save_checkpoint(path, model, model_config=config, train_config=TrainConfig(seed=seed, epochs=2),
                           metrics=METRICS if metrics is None else metrics, **kwargs)  # fmt: skip


def payload_of(path: Path) -> dict:
    return torch.load(path, weights_only=True)


def refused(path: Path, *words: str) -> str:
    with pytest.raises(CheckpointError) as exc:
        load_checkpoint(path)
    message = str(exc.value)
    assert message and "\n" not in message, f"not one line: {message!r}"
    assert str(path) in message
    for word in words:
        assert word in message, f"{word!r} not in {message!r}"
    return message


# ---------------------------------------------------------------------------------------- round trip


def test_round_trip_keeps_weights_and_metadata(tmp_path):
    config, train_config = ModelConfig(hidden=(24, 12), dropout=0.1), TrainConfig(epochs=5, lr=0.002, seed=7)
    model = new_model(config, 7, torch.device("cpu")).eval()
    path = save_checkpoint(tmp_path / "sub" / "m.pt", model, model_config=config, train_config=train_config,
                           metrics=METRICS, command="python -m mnist_core train --seed 7")  # fmt: skip
    loaded = load_checkpoint(path)
    assert loaded.path == path and loaded.name == "m"
    original, restored = model.state_dict(), loaded.model.state_dict()
    assert original.keys() == restored.keys() and all(torch.equal(original[k], restored[k]) for k in original)
    assert loaded.model_config == config and loaded.train_config == train_config
    assert loaded.metrics == METRICS
    assert loaded.meta["command"] == "python -m mnist_core train --seed 7"
    assert loaded.meta["library_version"] == mnist_core.__version__
    assert "random_state=0" in loaded.meta["split"]
    assert datetime.fromisoformat(loaded.meta["created"]).tzinfo is not None
    assert not loaded.model.training
    x = torch.rand(4, 784)
    assert torch.equal(model(x), loaded.model(x))
    raw = payload_of(path)  # the file itself is self-describing
    keys = ("model_config", "train_config", "metrics", "split", "library_version", "command", "created", "state_dict")
    assert all(key in raw for key in keys)
    assert raw["format"] == FORMAT


def test_numpy_metrics_still_give_a_loadable_checkpoint(tmp_path):
    """Metrics often come out of numpy or torch; the file must still load with weights_only."""
    metrics = {"accuracy": np.float64(0.97), "correct": np.int64(9700), "total": 10000,
               "per_class_correct": np.arange(10), "loss": torch.tensor(0.25)}  # fmt: skip
    loaded = load_checkpoint(save(tmp_path / "np.pt", metrics=metrics))
    assert loaded.metrics["accuracy"] == pytest.approx(0.97) and loaded.metrics["correct"] == 9700
    assert list(loaded.metrics["per_class_correct"]) == list(range(10))
    assert float(loaded.metrics["loss"]) == pytest.approx(0.25)


# ------------------------------------------------------------------------------------------ bad files


class TouchOnLoad:
    """Unpickling this creates `marker`: the classic code-carrying checkpoint."""

    def __init__(self, marker: Path, how: str):
        self.marker, self.how = marker, how

    def __reduce__(self):
        if self.how == "os.system":
            return os.system, (f"touch {self.marker}",)
        return Path.touch, (Path(self.marker),)


@pytest.mark.parametrize("how", ["os.system", "Path.touch"])
@pytest.mark.parametrize("writer", ["torch.save", "torch.save-legacy", "pickle"])
def test_code_carrying_file_is_refused_without_running(tmp_path, how, writer):
    def plant(path: Path, marker: Path) -> None:
        good = payload_of(save(tmp_path / "good.pt"))
        evil = good | {"metrics": {"accuracy": TouchOnLoad(marker, how)}}
        if writer == "pickle":
            path.write_bytes(pickle.dumps(evil))
        else:
            torch.save(evil, path, _use_new_zipfile_serialization=writer == "torch.save")

    # The payload works: a trusting load runs it...
    armed = tmp_path / "proof.pt"
    plant(armed, tmp_path / "proof-marker")
    if writer == "pickle":
        pickle.loads(armed.read_bytes())
    else:
        torch.load(armed, weights_only=False)
    assert (tmp_path / "proof-marker").exists()
    # ...and load_checkpoint refuses the same kind of file without running it.
    path, marker = tmp_path / "evil.pt", tmp_path / "pwned"
    plant(path, marker)
    refused(path)
    assert not marker.exists(), "loading the checkpoint ran code"
    found, errors = list_checkpoints(tmp_path)
    assert not marker.exists()
    assert [c.name for c in found] == ["good"] and any("evil.pt" in e for e in errors)


def test_zero_bytes(tmp_path):
    path = tmp_path / "empty.pt"
    path.write_bytes(b"")
    refused(path)


@pytest.mark.parametrize("keep", [0.5, 0.9, 0.1])
def test_truncated(tmp_path, keep):
    body = save(tmp_path / "whole.pt").read_bytes()
    path = tmp_path / "cut.pt"
    path.write_bytes(body[: int(len(body) * keep)])
    refused(path)


def test_random_bytes(tmp_path):
    path = tmp_path / "noise.pt"
    path.write_bytes(np.random.default_rng(0).bytes(5000))
    refused(path)


def test_missing_file_and_folder(tmp_path):
    refused(tmp_path / "absent.pt", "does not exist")
    refused(tmp_path, "does not exist")  # a folder is not a checkpoint


@pytest.mark.parametrize("obj", [{"a": 1}, [1, 2, 3], torch.zeros(3), {"state_dict": build_mlp().state_dict()}])
def test_foreign_torch_files(tmp_path, obj):
    path = tmp_path / "foreign.pt"
    torch.save(obj, path)
    refused(path, "not an mnist_core checkpoint")


def test_wrong_shapes(tmp_path):
    payload = payload_of(save(tmp_path / "a.pt", hidden=(16, 8)))
    payload["state_dict"] = build_mlp(ModelConfig(hidden=(50,))).state_dict()
    torch.save(payload, tmp_path / "shapes.pt")
    refused(tmp_path / "shapes.pt", "architecture")


def test_architecture_far_bigger_than_its_weights(tmp_path):
    """A crafted header must not make the loader allocate a giant network (31 GB here) before noticing."""
    payload = payload_of(save(tmp_path / "a.pt", hidden=(16, 8)))
    payload["model_config"] = {"hidden": [10_000_000], "dropout": 0.0}
    torch.save(payload, tmp_path / "giant.pt")
    refused(tmp_path / "giant.pt", "architecture")


@pytest.mark.parametrize(
    "change",
    [
        {"state_dict": None},
        {"state_dict": {"fc1.weight": 1.0}},
        {"model_config": None},
        {"model_config": {"hidden": [0]}},
        {"model_config": {"hidden": 5}},
        {"train_config": {"epochs": 0}},
        {"train_config": {"no_such_field": 1}},
        {"metrics": 5},
        {"metrics": "accuracy"},
        {"metrics": {"accuracy": "high"}},
        {"metrics": {"accuracy": None}},
    ],
    ids=lambda change: repr(change)[:40],
)
def test_tagged_files_with_bad_contents(tmp_path, change):
    payload = payload_of(save(tmp_path / "good.pt"))
    if "state_dict" in change and isinstance(change["state_dict"], dict):
        change = {"state_dict": payload["state_dict"] | change["state_dict"]}
    torch.save(payload | change, tmp_path / "bad.pt")
    refused(tmp_path / "bad.pt")
    found, errors = list_checkpoints(tmp_path)  # and the listing keeps working
    assert [c.name for c in found] == ["good"] and len(errors) == 1 and "bad.pt" in errors[0]


def test_extra_or_missing_weights(tmp_path):
    payload = payload_of(save(tmp_path / "good.pt"))
    torch.save(payload | {"state_dict": payload["state_dict"] | {"fc9.weight": torch.zeros(2)}}, tmp_path / "extra.pt")
    missing = dict(payload["state_dict"])
    del missing["fc3.bias"]
    torch.save(payload | {"state_dict": missing}, tmp_path / "missing.pt")
    refused(tmp_path / "extra.pt")
    refused(tmp_path / "missing.pt")


# ------------------------------------------------------------------------------------------- atomic


def test_a_file_recording_retired_training_fields_still_loads(tmp_path):
    payload = payload_of(save(tmp_path / "good.pt"))
    payload["train_config"] |= {"pen": 0.0, "pen_width": [0.8, 6.0]}  # options an earlier library recorded
    torch.save(payload, tmp_path / "old.pt")
    assert load_checkpoint(tmp_path / "old.pt").train_config == load_checkpoint(tmp_path / "good.pt").train_config


@pytest.mark.parametrize("crash", [OSError("No space left on device"), KeyboardInterrupt()])
def test_crash_mid_save_keeps_the_previous_file(tmp_path, monkeypatch, crash):
    path = save(tmp_path / "model.pt", seed=1)
    before = path.read_bytes()
    expected = load_checkpoint(path).model.state_dict()

    def crashing_save(obj, f, *args, **kwargs):
        f.write(b"PK\x03\x04 half a checkpoint")
        raise crash

    monkeypatch.setattr(checkpoints.torch, "save", crashing_save)
    with pytest.raises(type(crash)):
        save(path, seed=2)
    monkeypatch.undo()
    assert path.read_bytes() == before
    restored = load_checkpoint(path).model.state_dict()
    assert all(torch.equal(expected[k], restored[k]) for k in expected)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.pt"], "a temporary file was left behind"


def test_crash_on_first_save_leaves_nothing(tmp_path, monkeypatch):
    def crashing_save(obj, f, *args, **kwargs):
        f.write(b"partial")
        raise OSError("disk full")

    monkeypatch.setattr(checkpoints.torch, "save", crashing_save)
    with pytest.raises(OSError):
        save(tmp_path / "new.pt")
    assert list(tmp_path.iterdir()) == []


def test_save_replaces_an_existing_checkpoint(tmp_path):
    path = save(tmp_path / "m.pt", seed=1)
    save(path, seed=2, metrics={"accuracy": 0.5})
    assert load_checkpoint(path).train_config.seed == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.pt"]


# -------------------------------------------------------------------------------------------- names


@pytest.mark.parametrize("name", ["a/b", "..", "../x", "", "/etc/passwd", "a\\b", ".hidden", "a..b", "x" * 41,
                                  "abc\n", " a", "a ", "a.", "_a", "a\tb", "모델/1", "a\x00b"])  # fmt: skip
def test_check_name_refuses(name):
    with pytest.raises(ValueError) as exc:
        check_name(name)
    assert "\n" not in str(exc.value).replace(repr(name), "")


@pytest.mark.parametrize("name", ["my-model_1", "best_mlp", "tutorial", "v1.2", "x" * 40, "모델1", "민수 3 epoch", "名前"])
def test_check_name_accepts(name, tmp_path):
    assert check_name(name) == name
    assert path_for(name, tmp_path) == tmp_path / f"{name}.pt"


def test_default_checkpoint_can_be_chosen_and_falls_back(tmp_path):
    for name in ("tutorial", "best_mlp", "모델1"):
        save(tmp_path / f"{name}.pt")
    assert default_checkpoint_path(tmp_path).stem == "best_mlp"
    set_default_checkpoint("모델1", tmp_path)
    assert default_checkpoint_path(tmp_path).stem == "모델1"
    (tmp_path / "모델1.pt").unlink()  # the chosen one is gone: back to the best MLP
    assert default_checkpoint_path(tmp_path).stem == "best_mlp"
    with pytest.raises(CheckpointError):
        set_default_checkpoint("nothing", tmp_path)
    (tmp_path / "default.txt").write_text("../../etc/passwd")
    assert default_checkpoint_path(tmp_path).stem == "best_mlp"


def test_delete_removes_saved_checkpoints_never_the_shipped_ones(tmp_path):
    for name in ("tutorial", "mine"):
        save(tmp_path / f"{name}.pt")
    delete_checkpoint("mine", tmp_path)
    assert not (tmp_path / "mine.pt").exists()
    with pytest.raises(ValueError):
        delete_checkpoint("tutorial", tmp_path)
    with pytest.raises(ValueError):
        delete_checkpoint("../tutorial", tmp_path)
    assert (tmp_path / "tutorial.pt").is_file()


def test_the_owner_is_recorded(tmp_path):
    path = save_checkpoint(tmp_path / "m.pt", build_mlp(ModelConfig(hidden=(4,))), model_config=ModelConfig(hidden=(4,)),
                           train_config=TrainConfig(), metrics={}, owner="K3F")  # fmt: skip
    assert load_checkpoint(path).meta["owner"] == "K3F"


def test_path_for_refuses_escaping_names(tmp_path):
    with pytest.raises(ValueError):
        path_for("../outside", tmp_path)


# ------------------------------------------------------------------------------------------ listing


def test_list_checkpoints_best_first_with_error_lines(tmp_path):
    for name, accuracy in (("low", 0.5), ("high", 0.97), ("mid", 0.9)):
        save(tmp_path / f"{name}.pt", metrics={"accuracy": accuracy})
    save(tmp_path / "nometrics.pt", metrics={})
    (tmp_path / "empty.pt").write_bytes(b"")
    torch.save({"a": 1}, tmp_path / "foreign.pt")
    (tmp_path / "notes.txt").write_text("not a checkpoint, not listed")
    found, errors = list_checkpoints(tmp_path)
    assert [c.name for c in found] == ["high", "mid", "low", "nometrics"]
    assert len(errors) == 2
    assert all("\n" not in e for e in errors)
    assert any("empty.pt" in e for e in errors) and any("foreign.pt" in e for e in errors)


def test_list_checkpoints_of_missing_folder_is_empty(tmp_path):
    assert list_checkpoints(tmp_path / "none") == ([], [])


def test_default_checkpoint_prefers_best_mlp(tmp_path):
    assert default_checkpoint_path(tmp_path) == tmp_path / "tutorial.pt"
    save(tmp_path / "best_mlp.pt")
    assert default_checkpoint_path(tmp_path) == tmp_path / "best_mlp.pt"


def test_shipped_tutorial_checkpoint():
    """checkpoints/tutorial.pt: made by `train` with seed 0, its command recorded, >= 96%."""
    path = REPO / "checkpoints" / "tutorial.pt"
    need(path.is_file(), f"{path} is missing: the repository ships it")
    loaded = load_checkpoint(path)
    assert loaded.model_config == ModelConfig() and loaded.train_config == TrainConfig()
    assert re.match(r"python -m mnist_core train\b", loaded.meta["command"])
    assert loaded.metrics["accuracy"] >= 0.96 and loaded.metrics["total"] == 10_000


@pytest.mark.realdata
def test_shipped_checkpoints_reproduce_their_recorded_accuracy():
    """Not the recorded numbers alone: each shipped file, evaluated now on the seed split, gives them."""
    from helpers_core import real_mnist
    from mnist_core.train import evaluate

    _, split = real_mnist()
    for path in sorted((REPO / "checkpoints").glob("*.pt")):
        loaded = load_checkpoint(path)
        result = evaluate(loaded.model, split.x_test, split.y_test, device=torch.device("cpu"))
        assert (result.correct, result.total) == (loaded.metrics["correct"], loaded.metrics["total"]), path.name

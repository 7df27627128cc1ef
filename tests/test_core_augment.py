"""mnist_core.augment's skeleton and distortions, bfloat16 training, and the best preset end to end
through `python -m mnist_core train` on a tiny IDX folder."""

from __future__ import annotations

import dataclasses
import json
import os
import struct
import subprocess
import sys

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from conftest import need
from helpers_core import REPO
from mnist_core.augment import AugmentConfig, distort, skeletonize
from mnist_core.checkpoints import load_checkpoint, save_checkpoint
from mnist_core.config import ModelConfig, TrainConfig
from mnist_core.presets import PRESETS
from mnist_core.train import evaluate, new_model, train
from test_core_train import synthetic

CPU = torch.device("cpu")


def canvas(*boxes: tuple[int, int, int, int]) -> torch.Tensor:
    """A (1, 1, 28, 28) boolean image with the given (top, bottom, left, right) boxes filled."""
    image = torch.zeros(1, 1, 28, 28, dtype=torch.bool)
    for top, bottom, left, right in boxes:
        image[..., top:bottom, left:right] = True
    return image


def neighbours(skeleton: torch.Tensor) -> torch.Tensor:
    """For each pixel of a (1, 1, H, W) 0/1 image, how many of its 8 neighbours are set."""
    kernel = torch.ones(1, 1, 3, 3)
    kernel[0, 0, 1, 1] = 0
    return torch.nn.functional.conv2d(skeleton.float(), kernel, padding=1)


# ---------------------------------------------------------------------------------------- skeleton


def test_skeleton_of_a_thick_bar_is_one_pixel_wide():
    bar = canvas((10, 15, 4, 24))  # 5 pixels tall, 20 long
    skeleton = skeletonize(bar, iterations=10).bool()
    assert (skeleton <= bar).all()
    per_column = skeleton[0, 0].sum(0)
    assert per_column.max() == 1 and per_column.sum() >= 14  # one pixel thick, most of the length kept


def test_skeleton_of_a_ring_stays_a_closed_loop():
    yy, xx = torch.meshgrid(torch.arange(28.0), torch.arange(28.0), indexing="ij")
    distance = torch.hypot(yy - 13.5, xx - 13.5)
    ring = ((distance >= 6) & (distance <= 10))[None, None]  # 4-5 pixels wide
    skeleton = skeletonize(ring, iterations=10)
    on = skeleton.bool()
    assert on.sum() > 30 and not on[..., 12:16, 12:16].any()
    assert (neighbours(skeleton)[on] >= 2).all()  # no end points: the loop is not broken
    assert skeleton.sum() < ring.sum() / 3


def test_a_one_pixel_line_is_its_own_skeleton():
    line = canvas((14, 15, 4, 24))
    assert torch.equal(skeletonize(line, iterations=10).bool(), line)


def test_distort_is_reproducible_and_distorts():
    digits = canvas((6, 9, 6, 22), (9, 22, 17, 20)).float().view(1, -1).repeat(8, 1)  # a "7", 3 px strokes
    a = distort(digits, AugmentConfig(), torch.Generator().manual_seed(5))
    b = distort(digits, AugmentConfig(), torch.Generator().manual_seed(5))
    assert torch.equal(a, b) and a.shape == digits.shape and 0 <= a.min() and a.max() <= 1
    assert all(not torch.allclose(a[i], digits[i], atol=0.05) for i in range(8))
    assert len({tuple(row.tolist()) for row in a}) == 8  # each digit distorted its own way


# -------------------------------------------------------------------------------------- bfloat16


def trained(precision: str):
    x, y = synthetic()
    model = new_model(ModelConfig(hidden=(64, 64)), 0, CPU)
    train(model, x, y, TrainConfig(epochs=2, batch_size=32, precision=precision), device=CPU)
    return {k: v.clone() for k, v in model.state_dict().items()}


def test_bfloat16_training_is_reproducible_and_keeps_float32_weights():
    a, b, f32 = trained("bfloat16"), trained("bfloat16"), trained("float32")
    assert all(v.dtype == torch.float32 for v in a.values())
    assert all(torch.equal(a[k], b[k]) for k in a)
    assert any(not torch.equal(a[k], f32[k]) for k in a)  # the arithmetic really was bfloat16


def trained_distorted(**fields):
    x, y = synthetic()
    model = new_model(ModelConfig(hidden=(64,)), 0, CPU)
    train(model, x, y, TrainConfig(epochs=2, batch_size=32, schedule="onecycle", **fields), device=CPU)
    return {k: v.clone() for k, v in model.state_dict().items()}


def test_clean_epochs_train_the_last_epochs_on_undistorted_digits():
    plain, all_clean = trained_distorted(augment=False), trained_distorted(augment=True, clean_epochs=2)
    last_clean, distorted = trained_distorted(augment=True, clean_epochs=1), trained_distorted(augment=True)
    assert all(torch.equal(plain[k], all_clean[k]) for k in plain)
    assert all(not torch.equal(last_clean[k], other[k]) for other in (plain, distorted) for k in plain)


@pytest.mark.parametrize("kwargs, field", [({"precision": "float16"}, "precision"), ({"clean_epochs": 4}, "clean_epochs"),
                                           ({"clean_epochs": -1}, "clean_epochs")])  # fmt: skip
def test_train_config_refuses(kwargs, field):
    with pytest.raises(ValueError, match=field):
        TrainConfig(**kwargs)


# ------------------------------------------------------------------------ the best preset, end to end


def write_idx(path, array: np.ndarray) -> None:
    array = np.ascontiguousarray(array, dtype=np.uint8)
    path.write_bytes(bytes([0, 0, 8, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape) + array.tobytes())


@pytest.mark.slow  # 70000 made-up digits through a fresh `python -m mnist_core train`: 24 s here
def test_best_preset_trains_end_to_end_on_a_tiny_idx_folder(tmp_path):
    """All of `--preset best` (distortions, one-cycle, and whatever else it sets) on 70000 made-up
    digits: ten bars 3 pixels thick, one height per class; two epochs of a tiny net, the last undistorted."""
    config = PRESETS["best"][1]
    assert config.augment and config.schedule == "onecycle"
    rng = np.random.default_rng(0)
    prototypes = np.zeros((10, 28, 28), np.uint8)
    for c in range(10):
        prototypes[c, 3 + 2 * c : 6 + 2 * c, 5:23] = 255
    labels = rng.integers(0, 10, 70_000).astype(np.uint8)
    folder = tmp_path / "mnist"
    folder.mkdir()
    for prefix, part in (("train", slice(0, 60_000)), ("t10k", slice(60_000, None))):
        write_idx(folder / f"{prefix}-images-idx3-ubyte", prototypes[labels[part]])
        write_idx(folder / f"{prefix}-labels-idx1-ubyte", labels[part])
    out = tmp_path / "best.pt"
    env = dict(os.environ, MNIST_CACHE_DIR=str(tmp_path / "cache"))
    argv = ["train", "--preset", "best", "--epochs", "2", "--clean-epochs", "1", "--hidden", "32", "--data-dir", folder, "--out", out, "--json"]
    done = subprocess.run([sys.executable, "-m", "mnist_core", *map(str, argv)], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=600)  # fmt: skip
    assert done.returncode == 0, done.stderr
    reported = json.loads(done.stdout.strip().splitlines()[-1])
    checkpoint = load_checkpoint(out)
    saved = checkpoint.train_config
    assert (saved.augment, saved.schedule, saved.clean_epochs) == (True, "onecycle", 1)
    assert (saved.label_smoothing, saved.weight_decay, saved.precision) == (config.label_smoothing, config.weight_decay, config.precision)
    assert all(p.dtype == torch.float32 for p in checkpoint.model.parameters())
    # The accuracy reported is float32 inference on the saved checkpoint.
    from mnist_core.data import load_mnist, seed_split

    split = seed_split(load_mnist(data_dir=folder, cache_dir=tmp_path / "cache"))
    assert evaluate(checkpoint.model, split.x_test, split.y_test, device=CPU).correct == reported["correct"]
    assert reported["accuracy"] > 0.3  # ten classes: it learnt something in two epochs


def test_best_preset_in_bfloat16_saves_float32_weights_and_its_settings(tmp_path):
    """The best preset in process on 512 made-up digits (the CLI path is the test above)."""
    model_config, config = PRESETS["best"]
    assert config.precision == "bfloat16" and config.fused and config.clean_epochs > 0
    x, y = synthetic(512)
    model_config = dataclasses.replace(model_config, hidden=(32,))
    config = dataclasses.replace(config, epochs=2, clean_epochs=1)
    model = new_model(model_config, config.seed, CPU)
    train(model, x, y, config, device=CPU)
    metrics = {"accuracy": evaluate(model, x, y, device=CPU).accuracy}
    loaded = load_checkpoint(save_checkpoint(tmp_path / "best.pt", model, model_config=model_config, train_config=config, metrics=metrics))
    assert loaded.train_config == config
    assert all(p.dtype == torch.float32 for p in loaded.model.parameters())
    assert evaluate(loaded.model, x, y, device=CPU).accuracy == metrics["accuracy"]  # float32 inference, as saved


def test_shipped_best_checkpoint_is_the_best_preset():
    """checkpoints/best_mlp.pt: made by `train --preset best --seed 0`, its command recorded, float32, >= 99.3%."""
    path = REPO / "checkpoints" / "best_mlp.pt"
    need(path.is_file(), f"{path} is missing: the repository ships it")
    loaded = load_checkpoint(path)
    model_config, train_config = PRESETS["best"]
    assert loaded.model_config == model_config and loaded.train_config == train_config
    command = loaded.meta["command"].split()
    assert command[:4] == ["python", "-m", "mnist_core", "train"]
    assert command[command.index("--preset") + 1] == "best" and command[command.index("--seed") + 1] == "0"
    assert all(p.dtype == torch.float32 for p in loaded.model.parameters())
    assert loaded.metrics["accuracy"] >= 0.993 and loaded.metrics["total"] == 10_000


def test_elastic_fields_are_the_gaussian_smoothing_with_reflected_edges():
    """The matmul smoothing gives what the separable conv2d with reflect padding gives (Simard et al.)."""
    from mnist_core.augment import _elastic_field, _gaussian_kernel

    cfg = AugmentConfig()
    fields = _elastic_field(16, cfg, torch.Generator().manual_seed(3), "cpu")  # (16, 28, 28, 2)
    raw = torch.rand(32, 1, 28, 28, generator=torch.Generator().manual_seed(3)) * 2 - 1
    k = _gaussian_kernel(cfg.elastic_sigma, "cpu")
    pad = len(k) // 2
    ref = F.conv2d(F.pad(raw, (pad, pad, 0, 0), mode="reflect"), k.view(1, 1, 1, -1))
    ref = F.conv2d(F.pad(ref, (0, 0, pad, pad), mode="reflect"), k.view(1, 1, -1, 1))
    ref = ref / ref.abs().amax(dim=(2, 3), keepdim=True) * cfg.elastic_px * (2 / 28)
    torch.testing.assert_close(fields, ref.view(16, 2, 28, 28).permute(0, 2, 3, 1), atol=1e-6, rtol=0)
    assert fields.abs().amax() == pytest.approx(cfg.elastic_px * 2 / 28)  # the peak is elastic_px pixels

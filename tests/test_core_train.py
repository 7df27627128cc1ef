"""mnist_core.model and mnist_core.train: the tutorial's network, configs, seeded training, progress,
cancelling, evaluation, and the tutorial's accuracy on the real data."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from helpers_core import real_mnist, tutorial_model
from mnist_core.config import ModelConfig, TrainConfig
from mnist_core.model import build_mlp, default_device, predict_proba
from mnist_core.train import evaluate, new_model, train

CPU = torch.device("cpu")


def synthetic(n: int = 300, seed: int = 0):
    """Ten noisy prototypes in [0, 1]^784: learnable in a few epochs, not trivially."""
    rng = np.random.default_rng(seed)
    prototypes = rng.random((10, 784), dtype=np.float32)
    y = rng.integers(0, 10, n)
    x = np.clip(prototypes[y] + rng.normal(0, 0.6, (n, 784)).astype(np.float32), 0, 1).astype(np.float32)
    return x, y.astype(np.int64)


def weights(model) -> dict[str, torch.Tensor]:
    return {k: v.detach().clone() for k, v in model.state_dict().items()}


def trained(seed: int, config: TrainConfig | None = None, **kwargs):
    x, y = synthetic()
    config = config or TrainConfig(epochs=2, batch_size=32, seed=seed)
    model = new_model(ModelConfig(hidden=(32, 32)), seed, CPU)
    history = train(model, x, y, config, device=CPU, **kwargs)
    return model, history


# -------------------------------------------------------------------------------------------- model


def test_tutorial_network_names_and_shapes():
    model = build_mlp(ModelConfig())
    assert [name for name, _ in model.named_children()] == ["fc1", "relu1", "fc2", "relu2", "fc3"]
    assert (model.fc1.in_features, model.fc1.out_features) == (784, 100)
    assert (model.fc2.in_features, model.fc2.out_features) == (100, 100)
    assert (model.fc3.in_features, model.fc3.out_features) == (100, 10)
    assert isinstance(model.relu1, torch.nn.ReLU) and isinstance(model.relu2, torch.nn.ReLU)
    assert model(torch.rand(3, 784)).shape == (3, 10)


def test_hidden_sizes_are_configurable():
    model = build_mlp(ModelConfig(hidden=(17,), dropout=0.2))
    assert [name for name, _ in model.named_children()] == ["fc1", "relu1", "dropout1", "fc2"]
    assert model.fc1.out_features == 17 and model.fc2.in_features == 17 and model.fc2.out_features == 10


@pytest.mark.parametrize(
    "kwargs, field",
    [({"hidden": (0,)}, "hidden"), ({"hidden": (100, 0)}, "hidden"), ({"hidden": (-5,)}, "hidden"),
     ({"hidden": ()}, "hidden"), ({"dropout": 1.0}, "dropout"), ({"dropout": -0.1}, "dropout")],
)  # fmt: skip
def test_model_config_refuses(kwargs, field):
    with pytest.raises(ValueError, match=field):
        ModelConfig(**kwargs)


@pytest.mark.parametrize(
    "kwargs, field",
    [({"epochs": 0}, "epochs"), ({"epochs": -1}, "epochs"), ({"lr": 0}, "lr"), ({"lr": -1}, "lr"),
     ({"lr": float("nan")}, "lr"), ({"batch_size": 0}, "batch_size"), ({"weight_decay": -1e-4}, "weight_decay"),
     ({"schedule": "cosine"}, "schedule"), ({"label_smoothing": 1.0}, "label_smoothing")],
)  # fmt: skip
def test_train_config_refuses(kwargs, field):
    with pytest.raises(ValueError, match=field):
        TrainConfig(**kwargs)


def test_tutorial_defaults():
    config = TrainConfig()
    assert (config.epochs, config.lr, config.batch_size) == (3, 0.01, 64)
    assert ModelConfig().hidden == (100, 100)


@pytest.mark.parametrize("training", [False, True])
def test_predict_proba_rows_are_distributions_and_mode_is_kept(training):
    model = build_mlp(ModelConfig()).train(training)  # shared models: predict_proba never switches modes
    p = predict_proba(model, torch.rand(5, 784))
    assert p.shape == (5, 10) and torch.allclose(p.sum(1), torch.ones(5)) and (p >= 0).all()
    assert model.training is training


# ----------------------------------------------------------------------------------------- training


def test_same_seed_same_weights():
    (a, ha), (b, hb) = trained(3), trained(3)
    wa, wb = weights(a), weights(b)
    assert wa.keys() == wb.keys()
    assert all(torch.equal(wa[k], wb[k]) for k in wa)
    assert ha.epochs == hb.epochs


def tutorials_loop(x: np.ndarray, y: np.ndarray, seed: int, epochs: int, hidden: int = 32) -> torch.nn.Sequential:
    """The tutorial's cells as written (torch.manual_seed, TensorDataset, DataLoader(shuffle=True),
    nn.Sequential, CrossEntropyLoss, Adam, zero_grad/backward/step), on a narrower network."""
    from torch import nn
    from torch.utils.data import DataLoader, TensorDataset

    torch.manual_seed(seed)
    loader_train = DataLoader(TensorDataset(torch.Tensor(x), torch.LongTensor(y)), batch_size=64, shuffle=True)
    model = nn.Sequential()
    model.add_module("fc1", nn.Linear(28 * 28 * 1, hidden))
    model.add_module("relu1", nn.ReLU())
    model.add_module("fc2", nn.Linear(hidden, hidden))
    model.add_module("relu2", nn.ReLU())
    model.add_module("fc3", nn.Linear(hidden, 10))
    loss_fn = nn.CrossEntropyLoss()
    optimizer = torch.optim.Adam(model.parameters(), lr=0.01)
    for _ in range(epochs):
        model.train()
        for data, targets in loader_train:
            optimizer.zero_grad()
            loss = loss_fn(model(data), targets)
            loss.backward()
            optimizer.step()
    return model


@pytest.mark.parametrize("seed", [0, 7])
def test_the_tutorial_preset_gives_the_tutorial_loops_own_weights(seed):
    """Same seed, same weights as the tutorial's DataLoader loop: its rows in the same order each epoch
    ("loader"), and the hand-written step (autograd's arithmetic bit for bit). 300 rows: the last batch
    of each epoch is short (44 rows), as the tutorial's 60000 rows end in a batch of 32."""
    x, y = synthetic()
    theirs = tutorials_loop(x, y, seed, epochs=3)
    ours = new_model(ModelConfig(hidden=(32, 32)), seed, CPU)
    train(ours, x, y, TrainConfig(epochs=3, seed=seed), device=CPU)
    assert all(torch.equal(a, b) for a, b in zip(weights(theirs).values(), weights(ours).values()))
    seeded = new_model(ModelConfig(hidden=(32, 32)), seed, CPU)  # the other order: other weights (the check can fail)
    train(seeded, x, y, TrainConfig(epochs=3, seed=seed, order="seeded"), device=CPU)
    assert not all(torch.equal(a, b) for a, b in zip(weights(theirs).values(), weights(seeded).values()))


def test_different_seed_different_weights():
    wa, wb = weights(trained(3)[0]), weights(trained(4)[0])
    assert any(not torch.equal(wa[k], wb[k]) for k in wa)


def test_default_device():
    assert default_device().type == ("cuda" if torch.cuda.is_available() else "cpu")


def test_training_learns_and_leaves_eval_mode(capsys):
    x, y = synthetic()
    model = new_model(ModelConfig(hidden=(32, 32)), 0, CPU)
    before = evaluate(model.eval(), x, y, device=CPU)
    start = weights(model)
    history = train(model, x, y, TrainConfig(epochs=3, batch_size=32), device=CPU)
    after = evaluate(model, x, y, device=CPU)
    assert capsys.readouterr() == ("", "")  # the library prints nothing
    assert not model.training
    assert any(not torch.equal(start[k], v) for k, v in weights(model).items())
    assert [e["epoch"] for e in history.epochs] == [1, 2, 3] and not history.stopped
    assert history.epochs[-1]["loss"] < history.epochs[0]["loss"]
    assert after.correct > before.correct and after.accuracy > 0.8
    assert history.train_seconds > 0


def test_progress_reports_sane_fractions():
    reports = []
    config = TrainConfig(epochs=2, batch_size=64)
    trained(0, config, on_progress=reports.append, report_every=1)
    batches = math.ceil(300 / 64)
    assert len(reports) == 2 * batches
    fractions = [p.fraction for p in reports]
    assert all(0 < f <= 1 for f in fractions)
    assert fractions == sorted(fractions) and len(set(fractions)) == len(fractions)
    assert fractions[-1] == pytest.approx(1.0)
    assert [(p.epoch, p.batch) for p in reports] == [(e, b) for e in (1, 2) for b in range(1, batches + 1)]
    assert all(p.epochs == 2 and p.batches == batches for p in reports)
    assert all(math.isfinite(p.loss) and p.loss > 0 and 0 <= p.accuracy <= 1 for p in reports)


def test_progress_reports_every_epoch_end_by_default():
    reports = []
    trained(0, TrainConfig(epochs=2, batch_size=32), on_progress=reports.append)  # 10 batches < report_every
    assert [(p.epoch, p.batch) for p in reports] == [(1, 10), (2, 10)]


def test_should_stop_ends_training_between_batches():
    polls, reports = [], []

    def should_stop() -> bool:
        polls.append(1)
        return len(polls) > 7  # seven batches run, the eighth poll stops

    model, history = trained(0, TrainConfig(epochs=3, batch_size=32), should_stop=should_stop,
                             on_progress=reports.append, report_every=1)  # fmt: skip
    assert history.stopped
    assert len(reports) == 7 and len(polls) == 8
    assert len(history.epochs) < 3
    assert not model.training


def test_should_stop_at_once_changes_nothing():
    x, y = synthetic()
    model = new_model(ModelConfig(hidden=(32, 32)), 0, CPU)
    start = weights(model)
    history = train(model, x, y, TrainConfig(), device=CPU, should_stop=lambda: True)
    assert history.stopped and history.epochs == []
    assert all(torch.equal(start[k], v) for k, v in weights(model).items())


def test_evaluate_counts_per_class():
    x, y = synthetic(n=250, seed=5)
    model = trained(1)[0]
    result = evaluate(model, x, y, device=CPU, batch_size=64)  # several batches
    assert result.total == len(y) == sum(result.per_class_total)
    assert result.correct == sum(result.per_class_correct)
    assert list(result.per_class_total) == np.bincount(y, minlength=10).tolist()
    predicted = predict_proba(model, torch.from_numpy(x)).argmax(1).numpy()
    assert result.correct == int((predicted == y).sum())
    assert list(result.per_class_correct) == np.bincount(y[predicted == y], minlength=10).tolist()
    assert all(c <= t for c, t in zip(result.per_class_correct, result.per_class_total))
    assert result.accuracy == pytest.approx(result.correct / result.total)


# ---------------------------------------------------------------------------------------- real data


# The tutorial's own loop (DataLoader, autograd, torch.optim.Adam) over seeds 0-19 on the real seed
# split, measured by bench/bench_train.py (2 threads, torch 2.13.0, AMD EPYC): mean 95.65%, standard
# deviation 0.42 points, 94.90% to 96.36%. Seed 0 alone is a coin toss: the same code gives 96.15% on
# the machine that first made checkpoints/tutorial.pt and 96.24% on this one. The rule for mnist_core
# (the issue's, with the tutorial's mean fixed at that measurement): over seeds 0-4 the mean is at most
# 0.2 points below the tutorial's, and no seed is below 94.5%. Since the tutorial preset reproduces
# the tutorial loop's weights (test_the_tutorial_preset_gives_the_tutorial_loops_own_weights), this
# checks the real data and the fixed numbers; it costs five 3-epoch trainings, about 10-15 s here.
# The floor is the tutorial loop's own on another 2-core EPYC (2026-12-04), whose float sums differ:
# seeds 0-4 gave 95.99, 96.03, 95.06, 94.54 and 96.34% there (mean 95.59%), the same weights as the
# tutorial's loop on that machine, at this repository's commit 4e878e5 as at later ones.
TUTORIAL_MEAN = 0.9565
MEAN_FLOOR = TUTORIAL_MEAN - 0.002
SEED_FLOOR = 0.945
SEEDS = (0, 1, 2, 3, 4)


def tutorial_accuracy(seed: int) -> float:
    """The tutorial preset (TrainConfig(seed=seed)) trained on the real seed split: test accuracy."""
    if seed == 0:
        return tutorial_model()[2].accuracy  # trained once per process, shared with other tests
    _, split = real_mnist()
    model = new_model(ModelConfig(), seed, CPU)
    train(model, split.x_train, split.y_train, TrainConfig(seed=seed), device=CPU)
    return evaluate(model, split.x_test, split.y_test, device=CPU).accuracy


@pytest.mark.realdata
@pytest.mark.slow
def test_tutorial_seed_0_trains_on_the_real_data():
    """The tutorial's defaults (TrainConfig(), seed 0) on the real seed split: ~10% before, 3 epochs."""
    _, before, after, history = tutorial_model()
    assert before.total == after.total == 10_000
    assert 0.05 <= before.accuracy <= 0.15, f"untrained accuracy {before.accuracy:.2%}"
    assert len(history.epochs) == 3 and not history.stopped
    assert history.epochs[-1]["loss"] < history.epochs[0]["loss"]


@pytest.mark.realdata
@pytest.mark.slow
def test_tutorial_is_as_accurate_as_the_tutorials_loop_over_seeds():
    """Seeds 0-4 of the tutorial preset on the real data: the mean and every seed above their floors."""
    accuracies = {seed: tutorial_accuracy(seed) for seed in SEEDS}
    shown = ", ".join(f"seed {s}: {a:.2%}" for s, a in accuracies.items())
    mean = sum(accuracies.values()) / len(accuracies)
    assert mean >= MEAN_FLOOR, f"mean {mean:.2%} < {MEAN_FLOOR:.2%} ({shown})"
    assert min(accuracies.values()) >= SEED_FLOOR, f"a seed below {SEED_FLOOR:.1%} ({shown})"

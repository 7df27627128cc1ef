"""mnist_core.run: the one training run (untrained test, training, trained test) and its metrics;
the confusion matrix behind every evaluation; configuration errors that name their field."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from sklearn.metrics import confusion_matrix

from mnist_core.checkpoints import load_checkpoint, save_checkpoint
from mnist_core.config import ConfigError, ModelConfig, TrainConfig
from mnist_core.data import Split
from mnist_core.run import STAGES, run_training
from mnist_core.train import evaluate, new_model

CPU = torch.device("cpu")


def tiny_split(n: int = 400, seed: int = 0) -> Split:
    """Ten noisy prototypes: a small net learns them in a couple of epochs."""
    rng = np.random.default_rng(seed)
    prototypes = rng.random((10, 784), dtype=np.float32)
    y = rng.integers(0, 10, n).astype(np.int64)
    x = np.clip(prototypes[y] + rng.normal(0, 0.5, (n, 784)), 0, 1).astype(np.float32)
    return Split(x[: n * 3 // 4], y[: n * 3 // 4], x[n * 3 // 4 :], y[n * 3 // 4 :])


def test_a_run_tests_trains_and_tests_again_reporting_each_stage():
    split, stages = tiny_split(), []
    result = run_training(
        ModelConfig(hidden=(32,)), TrainConfig(epochs=3, batch_size=16), split, device=CPU,
        on_stage=lambda name, before: stages.append((name, before)),
    )  # fmt: skip
    assert [name for name, _ in stages] == list(STAGES)
    assert stages[0][1] is None and stages[1][1] is result.before and stages[2][1] is result.before
    assert not result.stopped and result.after is not None
    assert result.before.accuracy < 0.5 < 0.9 < result.after.accuracy
    assert result.before.total == result.after.total == len(split.y_test)
    assert not result.model.training


def test_the_run_is_the_one_made_from_its_parts():
    """Same seed, same weights: the run initialises exactly as new_model does and evaluates the result."""
    split = tiny_split()
    config = TrainConfig(epochs=1, batch_size=32, seed=3)
    result = run_training(ModelConfig(hidden=(16,)), config, split, device=CPU)
    fresh = new_model(ModelConfig(hidden=(16,)), 3, CPU).eval()
    assert evaluate(fresh, split.x_test, split.y_test, device=CPU) == result.before
    assert evaluate(result.model, split.x_test, split.y_test, device=CPU) == result.after


def test_metrics_hold_the_confusion_matrix_and_survive_a_checkpoint(tmp_path):
    result = run_training(ModelConfig(hidden=(16,)), TrainConfig(epochs=1), tiny_split(), device=CPU)
    metrics = result.metrics()
    matrix = np.array(metrics["confusion"])
    assert matrix.shape == (10, 10) and matrix.sum() == metrics["total"]
    assert np.trace(matrix) == metrics["correct"] and metrics["accuracy"] == pytest.approx(np.trace(matrix) / matrix.sum())
    assert metrics["per_class_total"] == matrix.sum(1).tolist()
    assert metrics["untrained_correct"] == result.before.correct
    path = save_checkpoint(tmp_path / "m.pt", result.model, model_config=ModelConfig(hidden=(16,)),
                           train_config=TrainConfig(epochs=1), metrics=metrics)  # fmt: skip
    assert load_checkpoint(path).metrics["confusion"] == metrics["confusion"]


def test_a_stopped_run_keeps_no_metrics():
    result = run_training(ModelConfig(hidden=(8,)), TrainConfig(epochs=5), tiny_split(), device=CPU, should_stop=lambda: True)
    assert result.stopped and result.after is None
    with pytest.raises(ValueError):
        result.metrics()


def test_evaluate_is_scikit_learns_confusion_matrix():
    split = tiny_split()
    model = new_model(ModelConfig(hidden=(8,)), 1, CPU).eval()
    predicted = model(torch.from_numpy(split.x_test)).argmax(1).numpy()
    expected = confusion_matrix(split.y_test, predicted, labels=range(10))
    result = evaluate(model, split.x_test, split.y_test, device=CPU)
    assert np.array_equal(np.array(result.confusion), expected)
    assert result.correct == int((predicted == split.y_test).sum()) and result.total == len(split.y_test)
    assert result.per_class_correct == tuple(np.diag(expected))


@pytest.mark.parametrize(
    ("make", "field"),
    [
        (lambda: TrainConfig(lr=0), "lr"),
        (lambda: TrainConfig(epochs=0), "epochs"),
        (lambda: TrainConfig(batch_size=-1), "batch_size"),
        (lambda: ModelConfig(hidden=(100, 0)), "hidden"),
        (lambda: ModelConfig(dropout=1.0), "dropout"),
    ],
)
def test_configuration_errors_name_their_field(make, field):
    with pytest.raises(ConfigError) as info:
        make()
    assert info.value.field == field and isinstance(info.value, ValueError)


def test_split_rows_name_the_data_set_rows_of_the_seed_split():
    from mnist_core.data import Mnist, seed_split, split_rows

    rng = np.random.default_rng(1)
    mnist = Mnist(rng.integers(0, 256, (700, 784), dtype=np.uint8), rng.integers(0, 10, 700), "tiny")
    split = seed_split(mnist)
    train_rows, test_rows = split_rows(700)
    assert np.array_equal(split.x_test, mnist.images[test_rows] / np.float32(255))
    assert np.array_equal(split.y_train, mnist.labels[train_rows])
    assert sorted(np.concatenate([train_rows, test_rows]).tolist()) == list(range(700))


def test_the_best_recipe_runs_end_to_end_on_tiny_data(capsys, tmp_path, monkeypatch):
    """Augmentation with undistorted last epochs, one-cycle schedule, bfloat16, fused Adam and dropout,
    through `python -m mnist_core train --preset best` (shrunk to two epochs of a 16-unit net on tiny data)."""
    import mnist_core.__main__ as cli
    from mnist_core.data import Mnist

    rng = np.random.default_rng(0)
    tiny = Mnist(rng.integers(0, 256, (700, 784), dtype=np.uint8), rng.integers(0, 10, 700), "tiny")
    monkeypatch.setattr(cli, "load_mnist", lambda data_dir=None: tiny)
    out = tmp_path / "best.pt"
    argv = ["train", "--preset", "best", "--epochs", "2", "--clean-epochs", "1", "--hidden", "16", "--out", str(out)]
    assert cli.main(argv) == 0, capsys.readouterr().err
    loaded = load_checkpoint(out)
    assert loaded.train_config.augment and loaded.train_config.schedule == "onecycle" and loaded.train_config.clean_epochs == 1
    assert loaded.train_config.precision == "bfloat16" and loaded.train_config.fused
    assert loaded.model_config.dropout > 0 and loaded.metrics["total"] == 100


def test_augmentation_schedule_smoothing_and_decay_change_the_weights():
    split = tiny_split()
    plain = run_training(ModelConfig(hidden=(16,)), TrainConfig(epochs=1, batch_size=32), split, device=CPU)
    for change in ({"augment": True}, {"schedule": "onecycle"}, {"label_smoothing": 0.1}, {"weight_decay": 0.01}):
        other = run_training(ModelConfig(hidden=(16,)), TrainConfig(epochs=1, batch_size=32, **change), split, device=CPU)
        assert not torch.equal(plain.model.fc1.weight, other.model.fc1.weight), change  # each option does something
        assert np.isfinite(other.history.epochs[-1]["loss"])

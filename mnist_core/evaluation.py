"""Evaluation of predictions on the test images: a test's result (`Evaluation`, what `train.evaluate`
returns and a checkpoint's metrics hold), the confusion matrix, per-class accuracy, the misclassified
digits, and two models compared on the same images.

Everything takes probabilities (N, 10), as `mnist_app.resources.test_probabilities` caches them per
model, and labels (N,), and returns numbers and index arrays; counting is scikit-learn's.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .config import N_CLASSES

# scikit-learn's metrics are imported where they are used: they take 1.2 s to import, which a fresh
# app server's first page (that only draws) would otherwise wait for through `train` (bench/bench_startup.py).

LABELS = tuple(range(N_CLASSES))


@dataclass(frozen=True)
class Evaluation:
    """Test results: `confusion[i][j]` counts images of digit i predicted as j (scikit-learn's layout)."""

    confusion: tuple[tuple[int, ...], ...]  # (10, 10)

    @property
    def per_class_total(self) -> tuple[int, ...]:
        return tuple(sum(row) for row in self.confusion)

    @property
    def per_class_correct(self) -> tuple[int, ...]:
        return tuple(row[i] for i, row in enumerate(self.confusion))

    @property
    def correct(self) -> int:
        return sum(self.per_class_correct)

    @property
    def total(self) -> int:
        return sum(self.per_class_total)

    @property
    def accuracy(self) -> float:
        return self.correct / self.total if self.total else 0.0


def _check(probs: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    probs, y = np.asarray(probs), np.asarray(y)
    if probs.ndim != 2 or probs.shape[1] != N_CLASSES or y.shape != (len(probs),):
        raise ValueError(f"expected probabilities (N, {N_CLASSES}) and labels (N,), got {probs.shape} and {y.shape}")
    return probs, y


def confusion(probs: np.ndarray, y: np.ndarray) -> np.ndarray:
    """(10, 10) int64: `[i, j]` counts images of digit i predicted as j (rows: true, columns: predicted)."""
    from sklearn.metrics import confusion_matrix

    probs, y = _check(probs, y)
    return confusion_matrix(y, probs.argmax(1), labels=LABELS)


def per_class_accuracy(matrix: np.ndarray) -> np.ndarray:
    """(10,) float: the fraction of each digit's images read right; NaN for a digit with no images."""
    matrix = np.asarray(matrix, dtype=np.float64)
    totals = matrix.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.diag(matrix) / totals


@dataclass(frozen=True)
class Mistakes:
    """The misclassified images, most confident mistake first; parallel arrays of one length M."""

    index: np.ndarray  # (M,) int64, test image index
    true: np.ndarray  # (M,) int64
    predicted: np.ndarray  # (M,) int64
    confidence: np.ndarray  # (M,) float, the probability given to the (wrong) prediction

    def __len__(self) -> int:
        return len(self.index)

    def take(self, which) -> Mistakes:
        """Some of them, in order: a slice (`take(slice(0, 24))`, the first 24) or a boolean mask."""
        return Mistakes(self.index[which], self.true[which], self.predicted[which], self.confidence[which])


def errors(probs: np.ndarray, y: np.ndarray) -> Mistakes:
    """Every image whose prediction is wrong, sorted by confidence, highest first (ties by index).

    Confident mistakes first: they are the instructive ones (often a mislabelled or ambiguous digit),
    while the near-ties at the end show digits the network hesitated over.
    """
    probs, y = _check(probs, y)
    predicted = probs.argmax(1)
    wrong = np.flatnonzero(predicted != y)
    confidence = probs[wrong, predicted[wrong]]
    order = np.lexsort((wrong, -confidence))  # last key first: confidence, then index
    idx = wrong[order]
    return Mistakes(idx.astype(np.int64), y[idx].astype(np.int64), predicted[idx].astype(np.int64), confidence[order])


def in_cell(mistakes: Mistakes, true: int | None = None, predicted: int | None = None) -> Mistakes:
    """The mistakes of one cell of the confusion matrix, in the same order; None for a digit matches
    any (one digit alone: a row or a column; neither: all of them)."""
    keep = np.ones(len(mistakes), bool)
    if true is not None:
        keep &= mistakes.true == true
    if predicted is not None:
        keep &= mistakes.predicted == predicted
    return mistakes.take(keep)


@dataclass(frozen=True)
class Comparison:
    """Two models on the same images."""

    right_a: int
    right_b: int
    total: int
    disagree: np.ndarray  # (D,) indices where the two predictions differ, ascending
    only_a: np.ndarray  # (<= D,) indices only model a reads right
    only_b: np.ndarray  # (<= D,) indices only model b reads right


def compare(probs_a: np.ndarray, probs_b: np.ndarray, y: np.ndarray) -> Comparison:
    """How many each model gets right, and the images where they disagree."""
    from sklearn.metrics import accuracy_score

    probs_a, y = _check(probs_a, y)
    probs_b, _ = _check(probs_b, y)
    pred_a, pred_b = probs_a.argmax(1), probs_b.argmax(1)
    ok_a, ok_b = pred_a == y, pred_b == y
    return Comparison(
        right_a=int(accuracy_score(y, pred_a, normalize=False)),
        right_b=int(accuracy_score(y, pred_b, normalize=False)),
        total=len(y),
        disagree=np.flatnonzero(pred_a != pred_b),
        only_a=np.flatnonzero(ok_a & ~ok_b),
        only_b=np.flatnonzero(ok_b & ~ok_a),
    )

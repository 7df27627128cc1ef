"""Evaluation of predictions on the test images: the confusion matrix, per-class accuracy, the
misclassified digits, and two models compared on the same images.

Everything takes probabilities (N, 10), as `mnist_app.resources.test_probabilities` caches them per
model, and labels (N,), and returns numbers and index arrays; counting is scikit-learn's.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sklearn.metrics import accuracy_score, confusion_matrix

from .model import N_CLASSES

LABELS = tuple(range(N_CLASSES))


def _check(probs: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    probs, y = np.asarray(probs), np.asarray(y)
    if probs.ndim != 2 or probs.shape[1] != N_CLASSES or y.shape != (len(probs),):
        raise ValueError(f"expected probabilities (N, {N_CLASSES}) and labels (N,), got {probs.shape} and {y.shape}")
    return probs, y


def confusion(probs: np.ndarray, y: np.ndarray) -> np.ndarray:
    """(10, 10) int64: `[i, j]` counts images of digit i predicted as j (rows: true, columns: predicted)."""
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

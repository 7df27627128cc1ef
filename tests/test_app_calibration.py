"""The confidence under which the app says it is unsure (settings.UNSURE_BELOW), checked on the real
test images with the shipped default checkpoint: below it the model is wrong too often to sound sure."""

from __future__ import annotations

import pytest
import torch

from helpers_core import real_mnist
from mnist_app.settings import UNSURE_BELOW
from mnist_core.checkpoints import default_checkpoint_path, load_checkpoint
from mnist_core.model import predict_proba


@pytest.mark.realdata
def test_below_the_threshold_the_default_model_is_right_less_than_90_percent_of_the_time():
    _, split = real_mnist()
    probs = predict_proba(load_checkpoint(default_checkpoint_path()).model, torch.from_numpy(split.x_test)).numpy()
    confidence, right = probs.max(1), probs.argmax(1) == split.y_test
    unsure = confidence < UNSURE_BELOW
    assert 20 <= unsure.sum() <= 0.05 * len(right)  # a few percent of the test images, not none, not many
    assert right[unsure].mean() < 0.90 <= 0.99 <= right[~unsure].mean()

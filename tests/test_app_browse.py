"""The Test images section through AppTest: the tutorial's index 2018, stepping one image, the misclassified ones only, the index kept across sections.

Tiny data and tiny checkpoints (conftest) keep each test to about a second; widgets by their keys.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from helpers_app import (
    LANGS,
    T,
    assert_clean,
    markdown_text,
    open_section,
    probability_bars,
    shown_test_image,
)  # fmt: skip
from mnist_app.state import Key


@pytest.mark.parametrize("lang", LANGS)
def test_test_images_open_on_index_2018_with_label_and_prediction(app_test, tiny_data, lang):
    at = open_section(app_test(lang), "test")
    assert_clean(at)
    shown = shown_test_image(at)
    assert shown["index"] == 2018 and shown["true"] == tiny_data.y_test[2018]
    assert at.number_input(key=Key.TEST_INDEX).value == 2018
    assert len(at.get("image")) == 1 and len(probability_bars(at)) == 10
    assert T(lang, "test.true_label") in markdown_text(at)


def test_previous_and_next_step_one_image_and_stop_at_the_ends(app_test, tiny_data):
    at = open_section(app_test(), "test")
    at.button(key="test_next").click().run()
    assert shown_test_image(at)["index"] == 2019
    at.button(key="test_prev").click().run().button(key="test_prev").click().run()
    assert shown_test_image(at)["index"] == 2017
    at.number_input(key=Key.TEST_INDEX).set_value(0).run()
    at.button(key="test_prev").click().run()
    assert shown_test_image(at)["index"] == 0
    last = len(tiny_data.y_test) - 1
    at.number_input(key=Key.TEST_INDEX).set_value(last).run()
    at.button(key="test_next").click().run()
    assert shown_test_image(at)["index"] == last
    assert_clean(at)


def test_an_index_past_the_end_lands_on_the_last_image(app_test, tiny_data):
    at = open_section(app_test(), "test")
    at.number_input(key=Key.TEST_INDEX).set_value(999_999).run()
    last = len(tiny_data.y_test) - 1
    assert shown_test_image(at)["index"] == last and at.number_input(key=Key.TEST_INDEX).value == last
    assert_clean(at)


@pytest.fixture(scope="module")
def tiny_trained(tiny_mnist):
    """A tiny model trained on the tiny data to about 93% (seed 2): its wrong test images are not
    consecutive. Trained once for the module (a few seconds), saved into each test's folder."""
    from mnist_core.config import ModelConfig, TrainConfig
    from mnist_core.data import seed_split
    from mnist_core.run import run_training

    config, train_config = ModelConfig(hidden=(3,)), TrainConfig(epochs=1, lr=0.01, seed=2)
    result = run_training(config, train_config, seed_split(tiny_mnist), device=torch.device("cpu"))
    return config, train_config, result


@pytest.fixture
def trained_checkpoint(checkpoint_dir, tiny_data, tiny_trained):
    """The tiny trained model as `trained.pt` in the app's checkpoint folder."""
    from mnist_core.checkpoints import save_checkpoint

    config, train_config, result = tiny_trained
    save_checkpoint(checkpoint_dir / "trained.pt", result.model, model_config=config, train_config=train_config,
                    metrics=result.metrics())  # fmt: skip
    return result


def test_only_misclassified_steps_through_the_wrong_ones(app_test, tiny_data, trained_checkpoint):
    from mnist_core.model import predict_proba

    predicted = predict_proba(trained_checkpoint.model, torch.from_numpy(tiny_data.x_test)).argmax(1).numpy()
    wrong = np.flatnonzero(predicted != tiny_data.y_test)
    # From 2018 on, wrapping round to the start: the order Next must visit them in.
    expected = [int(i) for i in np.concatenate([wrong[wrong >= 2018], wrong[wrong < 2018]])[:4]]
    assert 4 <= len(wrong) < len(tiny_data.y_test) / 3 and np.diff(expected).max() > 1  # not plain stepping
    at = app_test("en", model="trained", section="test")
    at.toggle(key=Key.TEST_ONLY_WRONG).set_value(True).run()
    seen = []
    for _ in range(4):
        shown = shown_test_image(at)
        assert shown["true"] != shown["predicted"]
        seen.append(shown["index"])
        at.button(key="test_next").click().run()
    assert seen == expected
    at.button(key="test_prev").click().run()
    assert shown_test_image(at)["index"] == seen[-1]
    at.toggle(key=Key.TEST_ONLY_WRONG).set_value(False).run()
    at.button(key="test_next").click().run()
    assert shown_test_image(at)["index"] == seen[-1] + 1  # one by one again
    assert_clean(at)


def test_a_misclassified_image_marks_the_true_labels_bar(app_test, tiny_data, trained_checkpoint):
    from mnist_core.model import predict_proba

    probs = predict_proba(trained_checkpoint.model, torch.from_numpy(tiny_data.x_test)).numpy()
    predicted = probs.argmax(1)
    index = int(np.flatnonzero(predicted != tiny_data.y_test)[0])
    at = app_test("en", model="trained", section="test", index=index)
    bars = probability_bars(at)
    assert bars[int(tiny_data.y_test[index])][1] == "true" and bars[int(predicted[index])][1] == "predicted"
    assert [kind for _, kind in bars.values()].count("other") == 8
    assert [p for p, _ in bars.values()] == pytest.approx(probs[index].tolist(), abs=1e-5)


def test_the_test_image_index_survives_a_visit_to_another_section(app_test, tiny_data):
    at = open_section(app_test(), "test")
    at.button(key="test_next").click().run()
    at = open_section(open_section(at, "draw"), "test")
    assert shown_test_image(at)["index"] == 2019

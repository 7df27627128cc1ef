"""mnist_core.inside, .experiment and .evaluation: traces that agree with the model, exact decompositions,
a saliency that obeys Euler's identity, transforms checked against numpy, and the evaluation tables.
Tiny seeded models; nothing here reads MNIST."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from mnist_core import evaluation, inside
from mnist_core.checkpoints import load_checkpoint
from mnist_core.config import CHECKPOINT_DIR, ModelConfig
from mnist_core.experiment import transform_digit
from mnist_core.model import build_mlp, predict_proba


def tiny(hidden=(16, 8), dropout=0.0, seed=0) -> nn.Sequential:
    torch.manual_seed(seed)
    return build_mlp(ModelConfig(hidden=hidden, dropout=dropout)).eval()


def digit(seed=0) -> np.ndarray:
    """A (784,) input in [0, 1] with about a fifth of the pixels inked, the rest exactly 0."""
    rng = np.random.default_rng(seed)
    return np.where(rng.random(784) < 0.2, rng.random(784), 0.0).astype(np.float32)


def snapshot(model: nn.Module):
    return (
        {k: v.clone() for k, v in model.state_dict().items()},
        [m.training for m in model.modules()],
        [p.requires_grad for p in model.parameters()],
    )


def assert_untouched(model: nn.Module, before) -> None:
    state, modes, requires = before
    after = model.state_dict()
    assert all(torch.equal(state[k], after[k]) for k in state)
    assert [m.training for m in model.modules()] == modes
    assert [p.requires_grad for p in model.parameters()] == requires
    assert all(p.grad is None for p in model.parameters())
    assert not any(m._forward_hooks or m._forward_pre_hooks or m._backward_hooks for m in model.modules())


@pytest.mark.parametrize("hidden,dropout", [((16, 8), 0.0), ((12,), 0.5), ((20, 10, 6), 0.3)])
def test_trace_agrees_with_the_model_in_eval_mode(hidden, dropout):
    model = tiny(hidden, dropout)
    x = digit()
    trace = inside.forward_trace(model, x)
    expected = predict_proba(model, torch.from_numpy(x)[None])[0].numpy()
    assert [h.shape for h in trace.hidden] == [(n,) for n in hidden]
    assert all((h >= 0).all() for h in trace.hidden)  # post-ReLU
    np.testing.assert_allclose(trace.probs, expected, rtol=1e-5, atol=1e-6)
    assert trace.predicted == int(expected.argmax())


def test_trace_ignores_dropout_even_in_train_mode_and_changes_nothing():
    model = tiny((16, 8), dropout=0.5).train()  # a model mid-training, as a shared one may be
    before = snapshot(model)
    x = digit()
    traces = [inside.forward_trace(model, x) for _ in range(3)]
    assert all(np.array_equal(t.logits, traces[0].logits) for t in traces)  # no dropout noise
    np.testing.assert_allclose(traces[0].logits, model.eval()(torch.from_numpy(x)[None])[0].detach().numpy(), rtol=1e-5)
    model.train()
    assert_untouched(model, before)


def test_trace_refuses_layers_it_does_not_know():
    model = nn.Sequential(nn.Linear(784, 4), nn.Sigmoid(), nn.Linear(4, 10))
    with pytest.raises(TypeError, match="Sigmoid"):
        inside.forward_trace(model, digit())


def test_trace_takes_28x28_and_leaves_the_input_alone():
    model, x = tiny(), digit()
    kept = x.copy()
    a, b = inside.forward_trace(model, x), inside.forward_trace(model, x.reshape(28, 28))
    assert np.array_equal(a.logits, b.logits) and np.array_equal(x, kept)
    with pytest.raises(ValueError):
        inside.forward_trace(model, np.zeros(100, np.float32))


@pytest.mark.parametrize("hidden", [(16, 8), (12,), (100, 100)])
def test_contributions_plus_bias_are_the_logits(hidden):
    model = tiny(hidden)
    for seed in range(3):
        trace = inside.forward_trace(model, digit(seed))
        parts = inside.contributions(model, trace)
        assert parts.shape == (10, hidden[-1])
        np.testing.assert_allclose(parts.sum(axis=1) + inside.output_bias(model), trace.logits, rtol=1e-4, atol=1e-5)
        assert np.all(parts[:, trace.hidden[-1] == 0] == 0)  # a silent unit contributes nothing


def test_top_units_are_the_strongest_firing_units_in_order():
    model = tiny((40, 30))
    trace = inside.forward_trace(model, digit())
    for layer, act in enumerate(trace.hidden):
        top = inside.top_units(trace, layer, 5)
        assert 0 < len(top) <= 5 and (act[top] > 0).all()
        assert list(act[top]) == sorted(act[top], reverse=True)
        assert act[top[-1]] >= np.delete(act, top).max()
    assert len(inside.top_units(trace, 0, 1000)) == int((trace.hidden[0] > 0).sum())


def test_templates_are_fc1s_rows_as_pictures_and_a_copy():
    model = tiny((16, 8))
    templates = inside.first_layer_templates(model)
    assert templates.shape == (16, 28, 28)
    np.testing.assert_array_equal(templates[3].ravel(), model.fc1.weight[3].detach().numpy())
    templates[:] = 0
    assert model.fc1.weight.abs().sum() > 0


def test_strongest_units_order_by_weight_norm_and_page():
    model = tiny((16, 8))
    with torch.no_grad():
        model.fc1.weight[11] *= 10  # make unit 11 the strongest, unit 2 the weakest
        model.fc1.weight[2] *= 0.01
    order = inside.strongest_units(model, 16)
    assert order[0] == 11 and order[-1] == 2 and sorted(order) == list(range(16))
    norms = model.fc1.weight.detach().norm(dim=1).numpy()
    assert list(norms[order]) == sorted(norms, reverse=True)
    pages = [inside.strongest_units(model, 5, offset) for offset in range(0, 16, 5)]
    assert np.array_equal(np.concatenate(pages), order) and len(pages[-1]) == 1
    assert len(inside.strongest_units(model, 5, 100)) == 0


def no_bias(model: nn.Sequential) -> nn.Sequential:
    with torch.no_grad():
        for layer in inside.linear_layers(model):
            layer.bias.zero_()
    return model


def test_saliency_is_zero_where_there_is_no_ink():
    model, x = tiny(), digit()
    for target in (0, 7):
        s = inside.saliency(model, x, target)
        assert s.shape == (28, 28)
        assert np.all(s.ravel()[x == 0] == 0) and np.any(s != 0)


def test_saliency_sums_to_the_logit_for_a_relu_net_without_biases():
    """Euler's identity: a bias-free ReLU net is positively homogeneous, f(x) = grad f(x) . x exactly."""
    model, x = no_bias(tiny((30, 20))), digit(1)
    logits = inside.forward_trace(model, x).logits
    for target in range(10):
        assert inside.saliency(model, x, target).sum() == pytest.approx(float(logits[target]), rel=1e-4, abs=1e-5)
    # With its biases the same network breaks the identity: the check above can fail.
    biased = tiny((30, 20))
    gaps = [abs(inside.saliency(biased, x, t).sum() - inside.forward_trace(biased, x).logits[t]) for t in range(10)]
    assert max(gaps) > 1e-2


def test_saliency_matches_finite_differences_times_input():
    model, x = tiny((16,)), digit(2)
    s = inside.saliency(model, x, 3).ravel()
    eps = 1e-3
    for i in np.flatnonzero(x)[:5]:
        bumped = x.copy()
        bumped[i] += eps
        slope = (inside.forward_trace(model, bumped).logits[3] - inside.forward_trace(model, x).logits[3]) / eps
        assert s[i] == pytest.approx(slope * x[i], rel=2e-2, abs=1e-4)


def test_saliency_never_touches_the_model_or_the_input():
    model, x = tiny(dropout=0.2), digit()
    frozen = tiny((16,))
    frozen.requires_grad_(False)  # a model whose parameters need no grad still gives a saliency
    before, kept = snapshot(model), x.copy()
    inside.saliency(model, x, 4)
    assert_untouched(model, before)
    assert np.array_equal(x, kept)
    assert np.any(inside.saliency(frozen, x, 4) != 0)
    with torch.no_grad():  # the caller's no_grad does not stop it
        assert np.any(inside.saliency(model, x, 4) != 0)


def test_the_shipped_checkpoints_trace_as_they_predict():
    for name in ("tutorial", "best_mlp"):
        model = load_checkpoint(CHECKPOINT_DIR / f"{name}.pt").model
        x = digit(3)
        trace = inside.forward_trace(model, x)
        np.testing.assert_allclose(trace.probs, predict_proba(model, torch.from_numpy(x)[None])[0].numpy(), atol=1e-5)


# The experiment bench's transform.


def stroke() -> np.ndarray:
    """A 28x28 'L' away from the borders, with grey edges."""
    x = np.zeros((28, 28), np.float32)
    x[6:20, 10:13] = 1.0
    x[18:21, 10:19] = 1.0
    x[6:20, 13] = 0.4
    return x


def test_transform_identity_shift_and_rotation_against_numpy():
    x = stroke()
    assert np.array_equal(transform_digit(x), x)
    shifted = np.zeros_like(x)
    shifted[1:, 3:] = x[:-1, :-3]  # 3 right, 1 down
    np.testing.assert_allclose(transform_digit(x, shift=(3, 1)), shifted, atol=1e-5)
    np.testing.assert_allclose(transform_digit(x, rotate_deg=90), np.rot90(x, 1), atol=1e-5)  # counter-clockwise
    np.testing.assert_allclose(transform_digit(x, rotate_deg=-90), np.rot90(x, -1), atol=1e-5)


def test_transform_scale_changes_the_ink_by_the_area():
    x = stroke()
    for scale in (0.5, 1.5):
        assert transform_digit(x, scale=scale).sum() == pytest.approx(x.sum() * scale**2, rel=0.15)


def test_thickness_adds_and_removes_a_pixel_of_stroke_a_step():
    x = stroke()
    ink = [transform_digit(x, thickness=t).sum() for t in (-2, -1, 0, 1, 2)]
    assert ink == sorted(ink) and len(set(ink)) == 5
    line = np.zeros((28, 28), np.float32)
    line[5:20, 14] = 1.0  # one pixel wide: one step of thinning removes it
    assert transform_digit(line, thickness=-1).max() == 0
    assert (transform_digit(line, thickness=1)[10] > 0).sum() == 2
    assert (transform_digit(line, thickness=2)[10] > 0).sum() == 3  # centred: columns 13..15
    assert list(np.flatnonzero(transform_digit(line, thickness=2)[10])) == [13, 14, 15]


def test_noise_is_deterministic_for_a_seed_and_stays_in_range():
    x = stroke()
    a, b = transform_digit(x, noise=0.2, seed=1), transform_digit(x, noise=0.2, seed=1)
    c = transform_digit(x, noise=0.2, seed=2)
    assert np.array_equal(a, b) and not np.array_equal(a, c)
    assert a.min() >= 0 and a.max() <= 1 and a.dtype == np.float32
    assert np.array_equal(transform_digit(x, noise=0.0, seed=5), x)


@pytest.mark.parametrize("bad", [{"scale": 0}, {"thickness": 3}, {"thickness": 0.5}, {"noise": -0.1}])
def test_transform_refuses_values_out_of_range(bad):
    with pytest.raises(ValueError):
        transform_digit(stroke(), **bad)


# Evaluation.


def probs_for(predicted, confidence) -> np.ndarray:
    p = np.full((len(predicted), 10), 0.0)
    for i, (d, c) in enumerate(zip(predicted, confidence)):
        p[i] = (1 - c) / 9
        p[i, d] = c
    return p


def test_errors_lists_only_mistakes_most_confident_first():
    y = np.array([0, 1, 2, 3, 4, 5])
    probs = probs_for([0, 7, 2, 8, 9, 9], [0.9, 0.6, 0.8, 0.95, 0.6, 0.99])
    m = evaluation.errors(probs, y)
    assert list(m.index) == [5, 3, 1, 4]  # 0.99, 0.95, then the 0.6 tie by index
    assert list(m.true) == [5, 3, 1, 4] and list(m.predicted) == [9, 8, 7, 9]
    np.testing.assert_allclose(m.confidence, [0.99, 0.95, 0.6, 0.6])
    assert len(evaluation.errors(probs_for([0, 1], [0.5, 0.5]), np.array([0, 1]))) == 0


def test_a_cell_of_the_matrix_keeps_its_mistakes_in_order():
    y = np.array([0, 1, 2, 3, 4, 5])
    m = evaluation.errors(probs_for([0, 7, 2, 8, 9, 9], [0.9, 0.6, 0.8, 0.95, 0.6, 0.99]), y)
    assert list(evaluation.in_cell(m, 5, 9).index) == [5]
    assert list(evaluation.in_cell(m, predicted=9).index) == [5, 4]  # a column, most confident first
    assert list(evaluation.in_cell(m, true=3).predicted) == [8]  # a row
    assert list(evaluation.in_cell(m).index) == list(m.index)  # neither: all of them
    assert len(evaluation.in_cell(m, 0, 0)) == 0  # the diagonal holds no mistakes
    assert list(m.take(slice(0, 2)).index) == [5, 3] and list(m.take(slice(0, 2)).confidence) == [0.99, 0.95]


def test_confusion_and_per_class_accuracy():
    y = np.array([0, 0, 0, 1, 1, 2])
    matrix = evaluation.confusion(probs_for([0, 0, 1, 1, 2, 2], [0.9] * 6), y)
    assert matrix.shape == (10, 10) and matrix[0, 0] == 2 and matrix[0, 1] == 1 and matrix[1, 2] == 1
    acc = evaluation.per_class_accuracy(matrix)
    np.testing.assert_allclose(acc[:3], [2 / 3, 1 / 2, 1.0])
    assert np.isnan(acc[3:]).all()  # no images of 3..9


def test_compare_counts_and_disagreements():
    y = np.array([0, 1, 2, 3, 4])
    a = probs_for([0, 1, 9, 3, 5], [0.9] * 5)
    b = probs_for([0, 7, 2, 3, 6], [0.9] * 5)
    c = evaluation.compare(a, b, y)
    assert (c.right_a, c.right_b, c.total) == (3, 3, 5)
    assert list(c.disagree) == [1, 2, 4] and list(c.only_a) == [1] and list(c.only_b) == [2]
    with pytest.raises(ValueError):
        evaluation.compare(a, b[:3], y)


def test_local_templates_are_the_layers_linear_map_around_the_input():
    model, x = tiny((16, 12, 8)), digit(4)
    trace = inside.forward_trace(model, x)
    np.testing.assert_array_equal(inside.local_templates(model, trace, 0), inside.first_layer_templates(model))
    xt = torch.from_numpy(x)
    for layer, fc in ((1, model.fc2), (2, model.fc3)):
        # the Jacobian of the layer's pre-activation with respect to the input, by autograd
        pre = lambda v, fc=fc: fc(model[: list(model).index(fc)](v))  # noqa: E731
        jacobian = torch.autograd.functional.jacobian(pre, xt).numpy()  # (H, 784)
        local = inside.local_templates(model, trace, layer)
        assert local.shape == (len(jacobian), 28, 28)
        np.testing.assert_allclose(local.reshape(len(jacobian), -1), jacobian, rtol=1e-4, atol=1e-6)
    some = inside.local_templates(model, trace, 2, np.array([5, 1]))
    np.testing.assert_allclose(some, inside.local_templates(model, trace, 2)[[5, 1]], rtol=1e-5, atol=1e-7)
    logits = inside.local_templates(model, trace, 3)  # past the last hidden layer: the outputs
    assert logits.shape == (10, 28, 28)
    np.testing.assert_allclose(logits[6] * x.reshape(28, 28), inside.saliency(model, x, 6), rtol=1e-4, atol=1e-7)

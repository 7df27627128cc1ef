"""mnist_core.fastmlp: the hand-written forward, backward and Adam step against autograd and
torch.optim.Adam, bit for bit, and `train` choosing it only where it is exact."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

import mnist_core.train as mtrain
from mnist_core.config import ModelConfig, TrainConfig
from mnist_core.fastmlp import FastAdamMLPStep, plain_linears
from mnist_core.model import build_mlp
from mnist_core.train import new_model, train

CPU = torch.device("cpu")


def batches(n_in: int, batch_size: int, n_batches: int, seed: int = 0):
    """Random inputs in [0, 1] and labels; the last batch is short, as an epoch's last one can be."""
    g = torch.Generator().manual_seed(seed)
    sizes = [batch_size] * (n_batches - 1) + [max(1, batch_size // 2 + 1)]
    return [(torch.rand(b, n_in, generator=g), torch.randint(0, 10, (b,), generator=g)) for b in sizes]


def autograd_run(model, data, lr, weight_decay):
    """The reference: nn.CrossEntropyLoss, loss.backward(), torch.optim.Adam (mnist_core's old step)."""
    optimizer = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
    loss_fn, out = nn.CrossEntropyLoss(), []
    for xb, yb in data:
        logits = model(xb)
        loss = loss_fn(logits, yb)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        out.append(([p.grad.clone() for p in model.parameters()], loss.detach() * len(yb), (logits.argmax(1) == yb).sum()))
        optimizer.step()
    return out


def fast_run(model, data, lr, weight_decay):
    step, out = FastAdamMLPStep(model, lr=lr, weight_decay=weight_decay), []
    for xb, yb in data:
        loss, logits = step(xb, yb)
        out.append(([g.clone() for layer in step.layers for g in layer[2:]], loss * len(yb), (logits.argmax(1) == yb).sum()))
    step.release()
    return out


@pytest.mark.parametrize(
    "hidden, batch_size, weight_decay",
    [((100, 100), 64, 0.0),  # the tutorial
     ((37,), 50, 0.0),  # sizes that put a parameter off a 16-byte boundary in an unaligned buffer
     ((13, 7, 5), 33, 1e-3),  # deeper, odd sizes, L2 weight decay
     ((64,), 1, 0.0)],  # one-row batches
)  # fmt: skip
def test_fast_step_is_autograd_and_adam_bit_for_bit(hidden, batch_size, weight_decay):
    data = batches(784, batch_size, 25)
    ref_model, fast_model = new_model(ModelConfig(hidden=hidden), 7, CPU), new_model(ModelConfig(hidden=hidden), 7, CPU)
    ref, fast = autograd_run(ref_model, data, 0.01, weight_decay), fast_run(fast_model, data, 0.01, weight_decay)
    for step, ((ref_grads, ref_loss, ref_correct), (grads, loss, correct)) in enumerate(zip(ref, fast)):
        assert len(grads) == len(ref_grads)
        for name, a, b in zip([n for n, _ in ref_model.named_parameters()], ref_grads, grads):
            assert torch.equal(a, b), f"step {step}: gradient of {name} differs by {(a - b).abs().max():.3g}"
        assert torch.equal(ref_loss, loss) and torch.equal(ref_correct, correct)
    ref_state, fast_state = ref_model.state_dict(), fast_model.state_dict()
    assert list(ref_state) == list(fast_state)
    for name in ref_state:
        assert torch.equal(ref_state[name], fast_state[name]), f"{name} differs after {len(data)} steps"


def test_fast_step_gradients_match_the_textbook_formula():
    """Independent of ATen's kernels: dL/dlogits = (softmax - onehot) / B, backpropagated by hand."""
    torch.manual_seed(0)
    model = build_mlp(ModelConfig(hidden=(20, 20)))
    x, y = torch.rand(16, 784, dtype=torch.float64), torch.randint(0, 10, (16,))
    model = model.double()
    step = FastAdamMLPStep(model, lr=0.0)  # lr 0: the step leaves the weights alone
    (w1, b1, _, _), (w2, b2, _, _), (w3, b3, _, _) = step.layers
    h1 = (x @ w1.T + b1).clamp_min(0)
    h2 = (h1 @ w2.T + b2).clamp_min(0)
    g3 = (torch.softmax(h2 @ w3.T + b3, 1) - nn.functional.one_hot(y, 10).double()) / len(y)
    g2 = (g3 @ w3) * (h2 > 0)
    g1 = (g2 @ w2) * (h1 > 0)
    expected = [g1.T @ x, g1.sum(0), g2.T @ h1, g2.sum(0), g3.T @ h2, g3.sum(0)]
    step(x, y)
    got = [g for layer in step.layers for g in layer[2:]]
    for e, g in zip(expected, got):
        torch.testing.assert_close(g, e, rtol=1e-9, atol=1e-12)
    step.release()


def test_release_gives_each_parameter_its_own_storage_and_keeps_the_model():
    model = new_model(ModelConfig(), 0, CPU)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    step = FastAdamMLPStep(model, lr=0.01)
    assert model.fc1.weight.untyped_storage().data_ptr() == model.fc3.bias.untyped_storage().data_ptr()
    step(*batches(784, 8, 1)[0])
    assert not torch.equal(model.fc1.weight, before["fc1.weight"])  # the model shows the trained weights
    trained = {k: v.clone() for k, v in model.state_dict().items()}
    step.release()
    pointers = {p.untyped_storage().data_ptr() for p in model.parameters()}
    assert len(pointers) == 6
    assert all(torch.equal(v, trained[k]) for k, v in model.state_dict().items())
    assert all(isinstance(p, nn.Parameter) and p.requires_grad for p in model.parameters())
    assert list(model.state_dict()) == ["fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias", "fc3.weight", "fc3.bias"]


def test_only_plain_mlps_qualify():
    assert plain_linears(build_mlp(ModelConfig())) is not None
    assert plain_linears(build_mlp(ModelConfig(hidden=(1024, 1024), dropout=0.1))) is None  # the best preset
    assert plain_linears(nn.Sequential(nn.Linear(784, 10))) is not None
    assert plain_linears(nn.Sequential(nn.Linear(784, 5), nn.Tanh(), nn.Linear(5, 10))) is None
    assert plain_linears(nn.Sequential(nn.Linear(784, 5), nn.ReLU(inplace=True), nn.Linear(5, 10))) is None
    frozen = build_mlp(ModelConfig())
    frozen.fc1.requires_grad_(False)
    assert plain_linears(frozen) is None
    with pytest.raises(ValueError, match="Linear and ReLU"):
        FastAdamMLPStep(nn.Sequential(nn.Linear(784, 5), nn.Sigmoid(), nn.Linear(5, 10)), lr=0.01)


@pytest.mark.parametrize(
    "model_config, train_config, fast",
    [(ModelConfig(), TrainConfig(), True),
     (ModelConfig(hidden=(50,)), TrainConfig(weight_decay=1e-4, batch_size=100), True),
     (ModelConfig(hidden=(1024, 1024), dropout=0.1), TrainConfig(), False),
     (ModelConfig(), TrainConfig(schedule="onecycle"), False),
     (ModelConfig(), TrainConfig(augment=True), False),
     (ModelConfig(), TrainConfig(label_smoothing=0.1), False)],
)  # fmt: skip
def test_train_takes_the_fast_path_only_for_the_plain_configuration(model_config, train_config, fast):
    step = mtrain._Step(build_mlp(model_config), train_config, 10, CPU)
    assert (step.fast is not None) == fast
    step.close()


def test_train_gives_the_same_weights_and_history_with_or_without_the_fast_path(monkeypatch):
    rng = np.random.default_rng(0)
    x, y = rng.random((700, 784), dtype=np.float32), rng.integers(0, 10, 700)
    config = TrainConfig(epochs=2, batch_size=64, seed=3)  # 700 rows: a short last batch each epoch

    def run():
        reports = []
        model = new_model(ModelConfig(hidden=(40, 30)), 3, CPU)
        history = train(model, x, y, config, device=CPU, on_progress=reports.append, report_every=3)
        return model.state_dict(), history.epochs, reports

    fast = run()
    monkeypatch.setattr(mtrain, "_fast_path", lambda *args: False)
    slow = run()
    assert all(torch.equal(fast[0][k], slow[0][k]) for k in slow[0])
    assert fast[1] == slow[1] and fast[2] == slow[2]


def test_stopping_leaves_a_model_that_owns_its_weights():
    rng = np.random.default_rng(1)
    x, y = rng.random((300, 784), dtype=np.float32), rng.integers(0, 10, 300)
    model = new_model(ModelConfig(hidden=(16,)), 0, CPU)
    polls = []
    history = train(model, x, y, TrainConfig(batch_size=32), device=CPU, should_stop=lambda: polls.append(1) or len(polls) > 3)
    assert history.stopped and not model.training
    assert len({p.untyped_storage().data_ptr() for p in model.parameters()}) == 4

"""Export: a model downloads as its checkpoint, and the README's plain-PyTorch snippet loads it and
reads digits as the app's own loader does."""

from __future__ import annotations

import re
from pathlib import Path

import torch

from mnist_app.catalogue import ModelChoice
from mnist_app.components.export import checkpoint
from mnist_core.checkpoints import load_checkpoint
from mnist_core.config import ModelConfig, TrainConfig
from mnist_core.train import new_model

REPO = Path(__file__).resolve().parent.parent


def readme_snippet() -> str:
    text = (REPO / "README.md").read_text()
    found = re.search(r"\*\*Take a model home\.\*\*.*?```python\n(.*?)```", text, re.S)
    assert found, "the README has no loader snippet"
    return found.group(1)


def test_the_readme_snippet_loads_a_downloaded_checkpoint(tmp_path, monkeypatch):
    config = ModelConfig(hidden=(32, 16), dropout=0.1)
    model = new_model(config, 3, torch.device("cpu")).eval()
    choice = ModelChoice(":trained", model, config, TrainConfig(), {"accuracy": 0.5}, "", "x", nick="ABC")
    (tmp_path / "my-mnist-mlp.pt").write_bytes(checkpoint(choice))
    monkeypatch.chdir(tmp_path)
    scope: dict = {}
    exec(readme_snippet(), scope)  # the snippet as a participant would run it
    digits = torch.rand(20, 784)
    expected = load_checkpoint(tmp_path / "my-mnist-mlp.pt").model(digits)
    torch.testing.assert_close(scope["model"](digits), expected)
    torch.testing.assert_close(scope["model"](digits), model(digits))

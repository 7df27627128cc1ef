"""A model's checkpoint as a download, so a participant can take it home (the README's loader snippet
reads it with plain PyTorch). The bytes are made when the button is pressed, not on every run."""

from __future__ import annotations

import streamlit as st

from ..i18n import t
from ..state import OWN_MODEL


def file_name(choice) -> str:
    return "my-mnist-mlp.pt" if choice.name == OWN_MODEL else f"{choice.name}.pt"


def checkpoint(choice) -> bytes:
    """The model as a checkpoint file (mnist_core.checkpoints: weights_only loadable)."""
    from mnist_core.checkpoints import checkpoint_bytes

    return checkpoint_bytes(choice.model, model_config=choice.model_config, train_config=choice.train_config,
                            metrics=choice.metrics, command="downloaded from the app", owner=choice.nick)  # fmt: skip


def download(choice, key: str) -> None:
    st.download_button(t("export.download"), data=lambda: checkpoint(choice), file_name=file_name(choice),
                       mime="application/octet-stream", key=key, icon=":material/download:", help=t("export.help"))  # fmt: skip

"""The room's drawings read again by a model, incrementally (room.rescoring), on SQLite and PostgreSQL:
the same confusion matrix as reading them all at once (mnist_core.train.evaluate), and a refresh reads
only the drawings added since; hidden ones leave the matrix, shown again they return."""

from __future__ import annotations

import numpy as np
import torch

from helpers_room import entry
from mnist_app.room import new_session_id, open_store
from mnist_app.room.participants import Participants
from mnist_app.room.rescoring import Rescorer
from mnist_core.train import evaluate


def tiny_model() -> torch.nn.Module:
    torch.manual_seed(0)
    return torch.nn.Sequential(torch.nn.Linear(784, 10)).eval()


def test_a_refresh_reads_only_the_new_drawings_and_agrees_with_evaluate(location):
    store, model, who, other = open_store(location), tiny_model(), new_session_id(), new_session_id()
    seen = []

    def read(x: np.ndarray) -> np.ndarray:
        seen.append(len(x))
        with torch.no_grad():
            return model(torch.from_numpy(x)).argmax(1).numpy()

    rescorer = Rescorer(store, read)
    assert rescorer.evaluation().total == 0 and seen == []
    rng = np.random.default_rng(0)
    for i in range(7):
        fields = entry(who if i % 3 else other, i % 10, 0, i)
        store.add(**fields | {"input28": rng.integers(0, 256, 784).astype(np.uint8)})
    first = rescorer.evaluation()
    x, y = store.all_inputs()
    assert first == evaluate(model, x, y, device=torch.device("cpu")) and first.total == 7
    store.add(**entry(who, 9, 0, 99))
    second = rescorer.evaluation()
    assert seen == [7, 1]  # the new drawing only
    x, y = store.all_inputs()
    assert second == evaluate(model, x, y, device=torch.device("cpu"))
    Participants(store).hide(other)
    assert rescorer.evaluation().total == 5 and seen == [7, 1]  # nothing read again
    Participants(store).hide(other, hidden=False)
    assert rescorer.evaluation() == second and seen == [7, 1]
    store.clear()
    assert rescorer.evaluation().total == 0
    store.close()


def test_a_room_file_made_anew_is_read_anew(tmp_path):
    path = tmp_path / "room.sqlite3"
    store, model, who = open_store(str(path)), tiny_model(), new_session_id()

    def read(x: np.ndarray) -> np.ndarray:
        with torch.no_grad():
            return model(torch.from_numpy(x)).argmax(1).numpy()

    rescorer = Rescorer(store, read)
    rng = np.random.default_rng(1)
    for i in range(3):
        store.add(**entry(who, i, 0, i) | {"input28": rng.integers(0, 256, 784).astype(np.uint8)})
    rescorer.evaluation()
    path.unlink()  # deleted mid-workshop: the store opens a new room in a new file, its ids from 1 again
    for i in range(3):
        store.add(**entry(who, 9 - i, 0, i) | {"input28": rng.integers(0, 256, 784).astype(np.uint8)})
    x, y = store.all_inputs()
    assert [d.id for d in store.recent()] == [3, 2, 1]  # the same ids as before
    assert rescorer.evaluation() == evaluate(model, x, y, device=torch.device("cpu"))
    store.close()

"""What the presenter asks the room: each kind of question built with its choices, its picture and its
truth, from the lesson's own material (room.questions stores them; presenter.py guards the asking).

- "predict": what will the network answer for a test image, the room's latest drawing or the
  presenter's own drawing? Choices 0-9; the truth is the active model's prediction and probabilities.
- "untrained": how many test images will the untrained tutorial network get right? Ranges; the truth
  is computed now (the Lesson's step 4, same network, same seed).
- "setting": which of two to four settings trains best? Each is trained through the room's queue as
  the presenter's; the truth is the best test accuracy once all have finished.
"""

from __future__ import annotations

import numpy as np

from . import presenter, state
from .room.questions import range_choice, untrained_choices
from .state import Key

SOURCES = ("test", "room", "mine")  # the picture of a "predict" question: a test image, the room's latest, the presenter's
# The settings the presenter picks from: the tutorial's network, one epoch each so the room waits seconds.
SETTINGS = {
    "lr0.001": {"lr": 0.001, "hidden": [100, 100], "epochs": 1, "batch_size": 64},
    "lr0.01": {"lr": 0.01, "hidden": [100, 100], "epochs": 1, "batch_size": 64},
    "lr0.1": {"lr": 0.1, "hidden": [100, 100], "epochs": 1, "batch_size": 64},
    "lr1.0": {"lr": 1.0, "hidden": [100, 100], "epochs": 1, "batch_size": 64},
    "hidden16": {"lr": 0.01, "hidden": [16], "epochs": 1, "batch_size": 64},
    "batch1024": {"lr": 0.01, "hidden": [100, 100], "epochs": 1, "batch_size": 1024},
}


class NoPicture(ValueError):
    """The chosen picture does not exist (no room drawing yet, nothing on the presenter's canvas)."""


def _picture(source: str, data) -> np.ndarray:
    """The 784 inputs in [0, 1] of the question's picture."""
    if source == "test":
        return data.split.x_test[int(state.get(Key.TEST_INDEX)) % len(data.split.y_test)]
    if source == "room":
        from .resources import room_store

        x, _ = room_store().all_inputs()
        if not len(x):
            raise NoPicture(source)
        return x[-1]
    pending = state.get(Key.ROOM_PENDING)
    if pending is None:
        raise NoPicture(source)
    return np.asarray(pending["x28"], dtype=np.float32).reshape(-1)


def ask_predict(source: str):
    """"What will the network answer?" for the picture from `source`; the truth is the active model's."""
    from .catalogue import active_model
    from .resources import load_dataset, predict

    presenter._check()
    x = _picture(source, load_dataset())
    model = active_model()
    probs = predict(model.model, x.reshape(1, -1))[0]
    picture = (np.clip(x, 0, 1) * 255).round().astype(np.uint8).tobytes()
    truth = {"choice": int(probs.argmax()), "probabilities": [round(float(p), 4) for p in probs], "model": model.name}
    return presenter.open_question("predict", {"choices": [str(d) for d in range(10)], "source": source}, picture=picture, truth=truth)


def ask_untrained():
    """"How many will the untrained network get right?"; the truth computed now."""
    from .resources import load_dataset
    from .sections.lesson import untrained

    presenter._check()
    split = load_dataset().split
    correct, total = untrained(split.x_test, split.y_test, f"seed0-{len(split.y_test)}")
    ranges = untrained_choices(total)
    truth = {"choice": range_choice(correct, ranges), "correct": correct, "total": total}
    return presenter.open_question("untrained", {"choices": [f"{a:,}–{b:,}" for a, b in ranges], "total": total}, truth=truth)


def ask_setting(names: list[str]):
    """"Which setting trains best?" for 2-4 of SETTINGS: their trainings go into the queue now."""
    names = [n for n in dict.fromkeys(names) if n in SETTINGS]
    if not 2 <= len(names) <= 4:
        raise ValueError(names)
    jobs = presenter.submit_settings([SETTINGS[n] for n in names])
    return presenter.open_question("setting", {"choices": names, "jobs": jobs})


def setting_results(spec: dict) -> list[float | None]:
    """Each setting's test accuracy, None while it trains (or if it failed)."""
    from .resources import room_queue

    found = []
    for job_id in spec["jobs"]:
        job = room_queue().get(job_id)
        found.append(float(job.metrics["accuracy"]) if job is not None and job.status == "finished" and job.metrics else None)
    return found


def setting_truth(spec: dict) -> dict | None:
    """The best setting once every training has finished; None before."""
    results = setting_results(spec)
    if any(r is None for r in results):
        return None
    return {"choice": int(np.argmax(results)), "accuracies": results}

"""The question on screen, as a participant sees it: the question and its picture, their answer (which
they may change until the reveal), and after the reveal the room's histogram beside the truth and
whether they were right. Before the reveal the page holds neither the room's answers nor the truth.

The page keeps what it shows in `Key.QUESTION_VIEW`, read from the room only when the presenter's row
says the question or its status changed (follow.check), so a stroke's run reads nothing for it.
"""

from __future__ import annotations

import html
import logging

import streamlit as st

from .. import state
from ..i18n import t
from ..state import Key

logger = logging.getLogger(__name__)


def room_questions():
    from ..resources import room_store
    from ..room.questions import Questions

    return Questions(room_store())


def load_view(question_id: str, token: str | None) -> dict | None:
    """What a page may show of a question: the truth and the counts only once it is revealed."""
    from ..room.questions import REVEALED

    found = room_questions().get(question_id)
    if found is None:
        return None
    revealed = found.status == REVEALED
    return {"id": found.id, "kind": found.kind, "status": found.status, "spec": found.spec, "picture": found.picture,
            "truth": found.truth_if_revealed(), "counts": room_questions().counts(found.id, len(found.choices)) if revealed else None,
            "mine": None if token is None else room_questions().mine(found.id, token)}  # fmt: skip


def refresh(question_id: str | None, status: str | None) -> None:
    """The presenter's row names the question on screen and its status: reload the view if either changed."""
    view = state.get(Key.QUESTION_VIEW)
    if view is not None and (view["id"], view["status"]) == (question_id, status):
        return
    from ..room import RoomError

    try:
        new = None if question_id is None else load_view(question_id, state.get(Key.TOKEN))
    except RoomError as e:
        logger.warning("question not read: %s", e.detail or e.code)
        return
    state.put(Key.QUESTION_VIEW, new)
    if new is not None and (view is None or view["id"] != new["id"]):
        state.put(Key.QUESTION_ANSWER, new["mine"])


def label(view: dict, i: int) -> str:
    choice = view["spec"]["choices"][i]
    if view["kind"] == "setting":
        from ..asking import SETTINGS

        s = SETTINGS[choice]
        return t("questions.setting", lr=s["lr"], hidden="-".join(map(str, s["hidden"])), batch=s["batch_size"], epochs=s["epochs"])
    return choice


def title(view: dict) -> str:
    if view["kind"] == "untrained":
        return t("questions.kind.untrained", total=f"{view['spec']['total']:,}")
    return t(f"questions.kind.{view['kind']}")


def picture(view: dict) -> None:
    if view["picture"]:
        import numpy as np

        from .pictures import pixels

        ink = np.frombuffer(view["picture"], dtype=np.uint8).reshape(28, 28) / 255.0
        st.image(pixels(ink, 168), width=168)


def _answer(question_id: str) -> None:
    """The answer pills' callback: the participant's answer stored (replacing theirs) while the question is open."""
    from ..room import RoomError

    choice = state.get(Key.QUESTION_ANSWER)
    view = state.get(Key.QUESTION_VIEW)
    if choice is None or view is None or view["id"] != question_id:
        return
    try:
        stored = room_questions().answer(question_id, state.get(Key.TOKEN), int(choice))
    except RoomError as e:
        stored = False
        logger.warning("answer not stored: %s", e.detail or e.code)
    if stored:
        view["mine"] = int(choice)
    else:
        state.put(Key.QUESTION_ANSWER, view["mine"])
        state.put(Key.FLASH, ("error", "questions.not_taken", {}))


def histogram(view: dict) -> None:
    """How the room answered, the truth marked, and this participant's own answer marked."""
    counts, truth, mine = view["counts"], view["truth"]["choice"], view["mine"]
    top = max(1, max(counts))
    rows = []
    for i, n in enumerate(counts):
        kind = "q-bar" + (" q-truth" if i == truth else "") + (" q-mine" if i == mine else "")
        rows.append(f'<div class="{kind}" data-choice="{i}" data-count="{n}"><span class="q-label">{html.escape(label(view, i))}</span>'
                    f'<span class="q-track"><span class="q-fill" style="width:{100 * n / top:.0f}%"></span></span><span class="q-n">{n}</span></div>')  # fmt: skip
    st.markdown(f'<div class="q-hist" data-truth="{truth}" data-counts="{",".join(map(str, counts))}">{"".join(rows)}</div>', unsafe_allow_html=True)
    st.caption(t("questions.legend"))


def truth_line(view: dict) -> str:
    truth = view["truth"]
    answer = label(view, truth["choice"])
    if view["kind"] == "predict":
        return t("questions.truth.predict", digit=answer, percent=f"{100 * max(truth['probabilities']):.0f}")
    if view["kind"] == "untrained":
        return t("questions.truth.untrained", correct=f"{truth['correct']:,}", total=f"{truth['total']:,}")
    best = max(truth["accuracies"])
    return t("questions.truth.setting", setting=answer, percent=f"{100 * best:.2f}")


def verdict(view: dict) -> None:
    """This participant's right or wrong (or that they did not answer)."""
    mine, truth = view["mine"], view["truth"]["choice"]
    key = "questions.none" if mine is None else "questions.right" if mine == truth else "questions.wrong"
    right = "none" if mine is None else str(mine == truth).lower()
    st.markdown(f'<div class="q-verdict" data-right="{right}">{t(key, answer=label(view, truth))}</div>', unsafe_allow_html=True)


STYLE = """<style>
.q-hist {display:flex; flex-direction:column; gap:4px; max-width:560px;}
.q-bar {display:flex; align-items:center; gap:8px;}
.q-label {min-width:7em; font-variant-numeric:tabular-nums;}
.q-track {flex:1; background:#eee; height:1.1em; border-radius:4px; overflow:hidden;}
.q-fill {display:block; height:100%; background:#9aa5b1;}
.q-truth .q-fill {background:#2e7d32;} .q-truth .q-label {font-weight:700;}
.q-mine .q-label::after {content:" ◀";}
.q-verdict {font-size:1.3rem; font-weight:700; margin:6px 0;}
.q-verdict[data-right="true"] {color:#2e7d32;} .q-verdict[data-right="false"] {color:#c62828;}
</style>"""


def participant() -> None:
    """The question on screen, if any, for a participant."""
    view = state.get(Key.QUESTION_VIEW)
    if view is not None:
        show(view, answering=True)


def show(view: dict, answering: bool) -> None:
    """The question; `answering`: a participant's page, with their answer and after the reveal their verdict."""
    from ..room.questions import OPEN, REVEALED

    with st.container(key="question", border=True):
        st.markdown(f'{STYLE}<div class="q-title" data-kind="{view["kind"]}" data-status="{view["status"]}"><b>{title(view)}</b></div>',
                    unsafe_allow_html=True)  # fmt: skip
        picture(view)
        if view["status"] == REVEALED:
            histogram(view)
            st.markdown(truth_line(view))
            if answering:
                verdict(view)
            return
        if not answering:
            return
        labels = [label(view, i) for i in range(len(view["spec"]["choices"]))]  # now: format_func may run outside the run
        st.pills(t("questions.your_answer"), range(len(labels)), key=Key.QUESTION_ANSWER, format_func=labels.__getitem__,
                 on_change=_answer, args=(view["id"],), disabled=view["status"] != OPEN)  # fmt: skip
        st.caption(t("questions.until_reveal") if view["status"] == OPEN else t("questions.closed"))

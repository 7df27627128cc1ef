"""The presenter leads the room (issue 21), through AppTest: the join card, following the presenter,
and each kind of question asked, answered, closed and revealed, in both languages; a participant's
forged presenter calls are refused."""

from __future__ import annotations

import os
import re
import time

import pytest

from helpers_app import (
    LANGS,
    ONE,
    T,
    assert_clean,
    draw,
    markdown_text,
    open_section,
    poll,
    predicted_digit,
    room,
    watcher_seq,
)
from mnist_app import presenter
from mnist_app.asking import SETTINGS
from mnist_app.room import open_store
from mnist_app.room.presence import Position, Presenter
from mnist_app.room.questions import CLOSED, REVEALED, Questions
from mnist_app.state import Key

KEY = "s3cret-key"


@pytest.fixture
def presenter_key(monkeypatch):
    monkeypatch.setenv("MNIST_PRESENTER_KEY", KEY)
    return KEY


def room_questions() -> Questions:
    return Questions(open_store(os.environ["MNIST_ROOM_DB"]))


def current_question():
    found = Presenter(open_store(os.environ["MNIST_ROOM_DB"])).read()
    return None if found is None or found.question is None else room_questions().get(found.question)


def current_seq() -> int:
    return Presenter(open_store(os.environ["MNIST_ROOM_DB"])).read().seq


def ask(teacher, kind: str, **choices):
    teacher.segmented_control(key=Key.ASK_KIND).set_value(kind).run()
    for key, value in choices.items():
        (teacher.segmented_control if key == Key.ASK_SOURCE else teacher.multiselect)(key=key).set_value(value).run()
    teacher.button(key="ask_open").click().run()
    assert not teacher.exception
    return current_question()


def answer(at, choice: int):
    poll(at) or at.run()
    at.pills(key=Key.QUESTION_ANSWER).set_value(choice).run()
    assert_clean(at)


def verdict(at) -> str | None:
    found = re.search(r'class="q-verdict" data-right="(\w+)"', markdown_text(at))
    return None if found is None else found.group(1)


def histogram(at) -> list[int] | None:
    found = re.search(r'class="q-hist" data-truth="\d+" data-counts="([\d,]+)"', markdown_text(at))
    return None if found is None else [int(n) for n in found.group(1).split(",")]


def shown(lang: str, question, i: int) -> str:
    """A choice as the page names it."""
    if question.kind != "setting":
        return question.choices[i]
    s = SETTINGS[question.choices[i]]
    return T(lang, "questions.setting", lr=s["lr"], hidden="-".join(map(str, s["hidden"])), batch=s["batch_size"], epochs=s["epochs"])


def reveal_and_check(teacher, question, participants: dict, lang: str) -> None:
    """Nothing of the room's answers before the reveal; after it the histogram and each one's verdict."""
    for at in participants:
        poll(at) or at.run()
        assert histogram(at) is None and verdict(at) is None and 'class="q-bar' not in markdown_text(at)
    teacher.run()
    teacher.button(key="ask_close").click().run()
    assert room_questions().get(question.id).status == CLOSED
    teacher.button(key="ask_reveal").click().run()
    assert_clean(teacher)
    truth = room_questions().get(question.id).truth["choice"]
    expected = [0] * len(question.choices)
    for choice in participants.values():
        expected[choice] += 1
    for at, choice in participants.items():
        assert poll(at)  # the reveal changed the presenter's row: the watcher's one rerun shows it
        assert_clean(at)
        assert histogram(at) == expected
        assert verdict(at) == str(choice == truth).lower()
        assert T(lang, "questions.right" if choice == truth else "questions.wrong", answer=shown(lang, question, truth)) in markdown_text(at)


@pytest.mark.parametrize("lang", LANGS)
def test_what_will_the_network_answer_for_a_test_image(app_test, tiny_data, presenter_key, lang):
    teacher, a, b = app_test(lang, key=KEY, section="test", index=3), app_test(lang, follow=1), app_test(lang, follow=1)
    question = ask(teacher, "predict", **{Key.ASK_SOURCE: "test"})
    assert question.kind == "predict" and question.choices == [str(d) for d in range(10)] and len(question.picture) == 784
    truth = question.truth["choice"]
    answer(a, truth)
    answer(b, (truth + 1) % 10)
    answer(b, (truth + 2) % 10)  # changed: one answer per participant, the last one counts
    reveal_and_check(teacher, question, {a: truth, b: (truth + 2) % 10}, lang)
    assert T(lang, "questions.kind.predict") in markdown_text(a)


@pytest.mark.parametrize("lang", LANGS)
def test_how_many_will_the_untrained_network_get_right(app_test, tiny_data, presenter_key, lang):
    teacher, a = app_test(lang, key=KEY), app_test(lang, follow=1)
    question = ask(teacher, "untrained")
    truth = question.truth
    first, last = (int(n.replace(",", "")) for n in question.choices[truth["choice"]].split("–"))
    assert truth["total"] == len(tiny_data.y_test) and first <= truth["correct"] <= last
    answer(a, (truth["choice"] + 1) % len(question.choices))
    reveal_and_check(teacher, question, {a: (truth["choice"] + 1) % len(question.choices)}, lang)


@pytest.mark.parametrize("lang", LANGS)
def test_which_setting_trains_best_runs_the_settings_through_the_queue(app_test, tiny_data, presenter_key, lang):
    teacher, a, b = app_test(lang, key=KEY), app_test(lang, follow=1), app_test(lang, follow=1)
    question = ask(teacher, "setting", **{Key.ASK_SETTINGS: ["lr0.001", "lr1.0"]})
    assert question.choices == ["lr0.001", "lr1.0"] and question.truth is None and len(question.spec["jobs"]) == 2
    answer(a, 0)
    answer(b, 1)
    teacher.button(key="ask_reveal").click().run()  # the trainings are not finished yet: refused, said
    assert room_questions().get(question.id).status != REVEALED or question.truth is not None
    deadline = time.monotonic() + 120
    while any(room("queue", "get", j).running for j in question.spec["jobs"]):
        assert time.monotonic() < deadline
        time.sleep(0.2)
    accuracies = [room("queue", "get", j).metrics["accuracy"] for j in question.spec["jobs"]]
    reveal_and_check(teacher, question, {a: 0, b: 1}, lang)
    assert room_questions().get(question.id).truth["choice"] == max(range(2), key=accuracies.__getitem__)


@pytest.mark.parametrize("lang", LANGS)
def test_what_will_the_network_answer_for_the_presenters_drawing_or_the_rooms(app_test, tiny_data, presenter_key, lang):
    teacher, a = app_test(lang, key=KEY), app_test(lang, follow=1)
    ask(teacher, "predict", **{Key.ASK_SOURCE: "room"})  # nobody has stored a drawing yet: said, nothing asked
    assert current_question() is None and T(lang, "questions.no_picture.room") in [e.value for e in teacher.error]
    draw(teacher, ONE)
    question = ask(teacher, "predict", **{Key.ASK_SOURCE: "mine"})
    assert question.truth["choice"] == predicted_digit(teacher) and len(question.picture) == 784
    answer(a, question.truth["choice"])
    reveal_and_check(teacher, question, {a: question.truth["choice"]}, lang)


def test_a_participant_cannot_open_close_or_reveal_even_by_forging_the_call(app_test, tiny_data, presenter_key):
    teacher, a = app_test("en", key=KEY), app_test("en", key="wrong")
    question = ask(teacher, "predict", **{Key.ASK_SOURCE: "test"})
    a.run()
    assert not any((b.key or "").startswith("ask_") for b in a.button)  # not shown
    for action, args in ((presenter.set_question, (question.id, REVEALED)), (presenter.set_question, (question.id, CLOSED)),
                         (presenter.open_question, ("untrained", {"choices": ["0–9"]})), (presenter.publish_position, (Position("data", 0, 0, 0),)),
                         (presenter.submit_settings, ([{"lr": 1.0, "hidden": [8], "epochs": 1, "batch_size": 64}],))):  # fmt: skip
        with pytest.raises(presenter.Refused):
            action(*args)  # as if forged: outside a presenter's session
    assert room_questions().get(question.id).status == "open" and current_question().id == question.id
    assert room_questions().get(question.id).truth is not None and 'class="q-bar' not in markdown_text(a)
    # a closed question takes no more answers, whatever a page sends
    teacher.button(key="ask_close").click().run()
    assert not room_questions().answer(question.id, a.session_state[Key.TOKEN], 3)


@pytest.mark.parametrize("lang", LANGS)
def test_participants_follow_the_presenter_until_they_navigate_and_come_back_with_the_button(app_test, tiny_data, presenter_key, lang):
    teacher, a, b = app_test(lang, key=KEY), app_test(lang, follow=1), app_test(lang, follow=1)
    assert watcher_seq(teacher) is None  # the presenter's page has its timed rerun, no watcher
    open_section(teacher, "lesson")
    teacher.button(key="lesson_next").click().run()
    a.run()  # a whole page's run (a stroke) reads nothing: the page stays until its watcher says
    assert a.session_state[Key.SECTION] == "draw"
    for at in (a, b):
        assert poll(at)  # the watcher sees a new seq: one rerun, the page moves there
        assert at.session_state[Key.SECTION] == "lesson" and at.session_state[Key.LESSON_STEP] == 1
        assert watcher_seq(at) == at.session_state[Key.FOLLOW_SEQ] and not poll(at)  # given the new seq: no more reruns
    open_section(b, "data")  # b touches the navigation: stops following
    teacher.button(key="lesson_next").click().run()
    assert poll(a) and poll(b)
    assert a.session_state[Key.LESSON_STEP] == 2 and b.session_state[Key.SECTION] == "data"
    assert not b.session_state[Key.FOLLOWING]
    b.button(key="follow_again").click().run()  # there at once, without waiting for the watcher
    assert b.session_state[Key.SECTION] == "lesson" and b.session_state[Key.LESSON_STEP] == 2
    assert T(lang, "follow.button") not in [x.label for x in b.button]
    open_section(teacher, "test")
    teacher.number_input(key=Key.TEST_INDEX).set_value(7).run()
    for at in (a, b):
        poll(at)
        assert at.session_state[Key.SECTION] == "test" and at.session_state[Key.TEST_INDEX] == 7
        assert_clean(at)
    open_section(teacher, "inside")
    teacher.number_input(key=Key.INSIDE_INDEX).set_value(5).run()  # Inside's digit: a fragment of its own publishes it
    for at in (a, b):
        poll(at)
        assert at.session_state[Key.SECTION] == "inside" and at.number_input(key=Key.INSIDE_INDEX).value == 5
        assert_clean(at)


def test_a_page_with_the_room_away_stays_where_it_is_and_follows_once_it_is_back(app_test, tiny_data, presenter_key, monkeypatch):
    from mnist_app.room import RoomError
    from mnist_app.room.presence import Presenter as Row

    teacher, a = app_test("en", key=KEY), app_test("en", follow=1)
    open_section(teacher, "lesson")
    real, seq = Row.read, current_seq()

    def away(self):
        raise RoomError("unavailable", "down")

    monkeypatch.setattr(Row, "read", away)
    assert poll(a, seq)  # the watcher saw the move (the route's cache); the rerun cannot read: no error, the page stays
    assert_clean(a)
    assert a.session_state[Key.SECTION] == "draw" and watcher_seq(a) == seq - 1  # still the seq it read before
    monkeypatch.setattr(Row, "read", real)
    assert poll(a)  # back: the next trigger reads it
    assert a.session_state[Key.SECTION] == "lesson"
    assert_clean(a)


def test_the_join_card_shows_the_public_address_and_its_qr_code(app_test, tiny_data, presenter_key, monkeypatch):
    monkeypatch.setenv("MNIST_PUBLIC_URL", "https://class.example.org/mnist/")
    teacher = app_test("ko", key=KEY)
    teacher.toggle(key=Key.JOIN_SHOWN).set_value(True).run()
    assert 'data-url="https://class.example.org/mnist/?lang=ko&amp;section=draw&amp;follow=1"' in markdown_text(teacher)
    assert "<svg" in markdown_text(teacher) and T("ko", "join.title") in markdown_text(teacher)
    teacher.toggle(key=Key.JOIN_FULL).set_value(True).run()
    assert 'class="join-card join-full"' in markdown_text(teacher)
    teacher.button(key="join_hide").click().run()
    assert 'class="join-card join-full"' not in markdown_text(teacher) and 'class="join-card"' in markdown_text(teacher) and not teacher.session_state[Key.JOIN_FULL]
    assert_clean(teacher)

"""Presenter access: a wrong `?key=` says so in the session's language; a right one leaves a signed,
expiring pass for the browser to keep (components/identity.py), which a reload gives back instead of
the key, and which nothing but the server's key can make."""

from __future__ import annotations

import json
import time

import pytest
from streamlit.proto.WidgetStates_pb2 import WidgetState

from helpers_app import LANGS, T, open_section, send
from mnist_app import presenter_access
from mnist_app.state import Key

KEY = "pass-test-key"


@pytest.fixture
def key(monkeypatch):
    monkeypatch.setenv("MNIST_PRESENTER_KEY", KEY)
    monkeypatch.setattr(presenter_access, "SERVER_GUESSES", presenter_access.ServerGuesses())
    return KEY


@pytest.mark.parametrize("lang", LANGS)
def test_a_wrong_key_in_the_address_says_so(app_test, no_data, key, lang):
    at = app_test(lang, key="not-the-key")
    assert [e.value for e in at.error] == [T(lang, "presenter.wrong_key")]
    assert not at.session_state[Key.IS_PRESENTER] and "key" not in at.query_params
    assert at.session_state[Key.PRESENTER_PASS] is None


def browser_sends(at, **value):
    """What identity.py's script sends: its state (the kept token, the kept pass) as the browser does."""
    (node,) = [n for n in at.get("bidi_component") if n.proto.component_name == "mnist_app.identity"]
    return send(at, WidgetState(id=node.proto.id, json_value=json.dumps(value)))


def given_to_browser(at) -> dict:
    (node,) = [n for n in at.get("bidi_component") if n.proto.component_name == "mnist_app.identity"]
    return json.loads(node.proto.json)


@pytest.mark.parametrize("lang", LANGS)
def test_the_right_key_leaves_a_pass_that_a_reload_gives_back(app_test, no_data, key, lang):
    at = app_test(lang, key=KEY)
    assert [s.value for s in at.success] == [T(lang, "presenter.welcome", hours=presenter_access.PASS_S // 3600)]
    issued = given_to_browser(at)["pass"]  # for the browser's localStorage
    assert presenter_access.pass_valid(issued) and KEY not in issued and "key" not in at.query_params
    reloaded = app_test(lang)  # the same browser, a new session: no key in the address
    assert not reloaded.session_state[Key.IS_PRESENTER]
    browser_sends(reloaded, token=reloaded.session_state[Key.TOKEN], **{"pass": issued})
    assert reloaded.session_state[Key.IS_PRESENTER] and not reloaded.error
    assert not given_to_browser(reloaded)["pass"] and "key" not in reloaded.query_params
    reloaded = open_section(reloaded, "model")
    reloaded.button(key="presenter_give_up").click().run()  # a shared computer: ends it here
    assert not reloaded.session_state[Key.IS_PRESENTER] and given_to_browser(reloaded)["forget"]


def test_a_forged_or_expired_pass_is_dropped(app_test, no_data, key):
    at = app_test("en")
    expired = presenter_access.issue_pass(time.time() - presenter_access.PASS_S - 1)
    browser_sends(at, token=at.session_state[Key.TOKEN], **{"pass": expired})
    assert not at.session_state[Key.IS_PRESENTER] and given_to_browser(at)["forget"] and not at.exception


def test_a_pass_expires_is_bound_to_the_key_and_cannot_be_forged(monkeypatch, key):
    now = time.time()
    issued = presenter_access.issue_pass(now)
    assert presenter_access.pass_valid(issued, now) and presenter_access.pass_valid(issued, now + presenter_access.PASS_S - 1)
    assert not presenter_access.pass_valid(issued, now + presenter_access.PASS_S + 1)  # after the workshop's day
    expires, signature = issued.split(".")
    later = str(int(expires) + 86_400)
    assert not presenter_access.pass_valid(f"{later}.{signature}", now)  # a longer life is not signed
    assert not presenter_access.pass_valid(f"{expires}.{'0' * 64}", now)
    for junk in (None, 42, "", ".", "x" * 1000, f"{expires}.{signature}.x", f"-{expires}.{signature}", "१२.ab"):
        assert not presenter_access.pass_valid(junk, now)
    monkeypatch.setenv("MNIST_PRESENTER_KEY", "a-new-key")
    assert not presenter_access.pass_valid(issued, now)  # a changed key ends every pass
    monkeypatch.setenv("MNIST_PRESENTER_KEY", "")
    assert not presenter_access.pass_valid(issued, now)  # no key: nobody is the presenter

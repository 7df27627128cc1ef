"""The code's shape, as the style guide sets it: a frame of an app.py, short modules, a worker and a
core that never import streamlit, and every session key declared in one place."""

from __future__ import annotations

import ast
import re
import subprocess
import sys

from conftest import REPO

PACKAGES = ("mnist_core", "mnist_app")


def imports(path) -> set[str]:
    tree = ast.parse(path.read_text())
    names = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    return names | {node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}


def test_app_py_is_the_frame_only():
    source = (REPO / "app.py").read_text()
    assert source.startswith('"""') and len(source.splitlines()) < 100


def test_no_module_is_long():
    for package in PACKAGES:
        for path in (REPO / package).rglob("*.py"):
            assert len(path.read_text().splitlines()) <= 300, path


def test_the_core_the_room_and_the_training_worker_never_import_streamlit():
    paths = [*(REPO / "mnist_core").glob("*.py"), *(REPO / "mnist_app" / "room").glob("*.py"), REPO / "mnist_app" / "worker.py"]
    for path in paths:
        assert not any(name.split(".")[0] == "streamlit" for name in imports(path)), path
    code = "import sys, mnist_app.worker; sys.exit('streamlit' in sys.modules)"  # nor anything they import
    assert subprocess.run([sys.executable, "-c", code], cwd=REPO).returncode == 0


def test_session_keys_are_named_only_through_state_key():
    """No `st.session_state["..."]` with a string key outside state.py."""
    for path in (REPO / "mnist_app").rglob("*.py"):
        if path.name != "state.py":
            assert not re.search(r"session_state\[\s*[\"']", path.read_text()), path


def test_every_module_says_what_it_is_for():
    for package in PACKAGES:
        for path in (REPO / package).rglob("*.py"):
            assert ast.get_docstring(ast.parse(path.read_text())), path

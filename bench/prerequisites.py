"""A missing prerequisite (the data, a browser, a database server): skipped on a developer's machine,
a failure under CI (CI=true), where its absence is a broken setup. Shared by the tests and the
browser driver."""

from __future__ import annotations

import os

import pytest


def on_ci() -> bool:
    return os.environ.get("CI", "").lower() not in ("", "0", "false")


def need(condition: bool, reason: str) -> None:
    """Skip on a developer's machine; fail in CI, where a missing prerequisite is a broken setup."""
    if not condition:
        (pytest.fail if on_ci() else pytest.skip)(reason)

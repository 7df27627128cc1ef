"""Korean and English: every visible string comes from `locales/ko.toml` or `locales/en.toml` via `t`.

The language is the session's own: `?lang=` when the URL gives one, else the browser's language
(`st.context.locale`), else Korean, the language the tutorial is taught in. Numbers and digits read
the same in both.
"""

from __future__ import annotations

import functools
import tomllib
from pathlib import Path

import streamlit as st

LANGUAGES = ("ko", "en")  # each named in itself by the catalogues' `languages.*`
DEFAULT_LANGUAGE = "ko"
LANG_KEY = "lang"  # state.Key.LANG (state imports settings, which must not import this)
LOCALES = Path(__file__).resolve().parent / "locales"


def _flatten(table: dict, prefix: str = "") -> dict[str, str]:
    flat = {}
    for name, value in table.items():
        key = f"{prefix}{name}"
        flat.update(_flatten(value, key + ".") if isinstance(value, dict) else {key: value})
    return flat


@functools.cache
def catalogue(language: str) -> dict[str, str]:
    """One language's strings, as flat dotted keys ("draw.prompt")."""
    with (LOCALES / f"{language}.toml").open("rb") as f:
        return _flatten(tomllib.load(f))


def language() -> str:
    value = st.session_state.get(LANG_KEY)
    return value if value in CATALOGUES else DEFAULT_LANGUAGE


def t(key: str, **values) -> str:
    """The string `key` in the session's language, with `{name}` fields filled from `values`."""
    text = CATALOGUES[language()][key]
    return text.format(**values) if values else text


def from_locale(locale: str | None) -> str:
    """The language for a browser locale such as "ko-KR" or "en-US"; Korean for anything else."""
    code = (locale or "").split("-")[0].split("_")[0].lower()
    return code if code in LANGUAGES else DEFAULT_LANGUAGE


CATALOGUES: dict[str, dict[str, str]] = {code: catalogue(code) for code in LANGUAGES}

"""Korean and English: every visible string comes from `locales/ko.toml` or `locales/en.toml` via `t`.

The language is the session's own: `?lang=` when the URL gives one, else the browser's language
(`st.context.locale`), else Korean, the language the tutorial is taught in. Numbers and digits read
the same in both.

`t` finishes what a catalogue string cannot know in advance: a Korean particle written as both forms
("{digit}(으)로", "{name}은(는)", 이(가), 을(를), 과(와)) becomes the one the word before it takes by its
last sound (`particle`), an English "epoch(s)" agrees with the number before it, and a model's
internal id (state.OWN_MODEL) is named for people ("내가 학습한 모델"), whichever section passed it.
`duration` says a length of time as people say it ("약 11시간", not "663분 56초").
"""

from __future__ import annotations

import functools
import re
import tomllib
from pathlib import Path

import streamlit as st

from .state import OWN_MODEL

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
    return text_in(language(), key, **values)


def text_in(lang: str, key: str, **values) -> str:
    """The string `key` in `lang`, finished as `t` finishes it (no session needed)."""
    text = CATALOGUES[lang][key]
    if values:
        own = {
            name: CATALOGUES[lang]["model.own"] for name, v in values.items() if isinstance(v, str) and v == OWN_MODEL
        }
        text = text.format(**{**values, **own})
    return finish(text, lang)


def finish(text: str, lang: str) -> str:
    """Korean particles by the sound before them; English plurals by the number before them."""
    if "(" not in text:
        return text
    return _PARTICLE.sub(_choose_particle, text) if lang == "ko" else _PLURAL.sub(_choose_plural, text)


def from_locale(locale: str | None) -> str:
    """The language for a browser locale such as "ko-KR" or "en-US"; Korean for anything else."""
    code = (locale or "").split("-")[0].split("_")[0].lower()
    return code if code in LANGUAGES else DEFAULT_LANGUAGE


# ------------------------------------------------------------------ Korean particles

VOWEL, RIEUL, CONSONANT = "vowel", "rieul", "consonant"  # how a word ends: no final consonant, ㄹ, another
# Written forms -> (after a consonant, after a vowel). (으)로 takes 로 after ㄹ too ("일로", "tutorial로").
PARTICLES = {"은(는)": ("은", "는"), "이(가)": ("이", "가"), "을(를)": ("을", "를"), "과(와)": ("과", "와"),
             "(으)로": ("으로", "로")}  # fmt: skip
_PARTICLE = re.compile("|".join(re.escape(p) for p in PARTICLES))
DIGITS = "영일이삼사오육칠팔구"  # how each digit is read: 일, 칠, 팔 end in ㄹ; 영, 삼, 육 in another consonant
POWERS = "십백천"  # 10, 100, 1000: "20" is read 이십, "300" 삼백
GROUPS = ("", "만", "억", "조", "경")  # 10^4, 10^8, ...: "120000" is read 십이만
_MARKUP = "*_`'\"’”」』 "  # around a word (bold, quotes) or between it and a bracket: not read
_NUMBER = re.compile(r"(\d[\d,]*)(\.\d+)?$")
_LATIN = re.compile(r"[A-Za-z]+$")
LETTER_NAMES = {"l": RIEUL, "r": RIEUL, "m": CONSONANT, "n": CONSONANT}  # 엘 알 엠 엔; the others end in a vowel


def final_sound(word: str) -> str | None:
    """How `word` ends when read aloud in Korean: VOWEL, RIEUL, CONSONANT, or None when it cannot be told."""
    word = word.rstrip(_MARKUP)
    while word.endswith(")") and "(" in word:  # "모델 (저장 안 됨)": a bracket adds to the word before it
        word = word[: word.rindex("(")].rstrip(_MARKUP)
    if not word:
        return None
    last = word[-1]
    if "가" <= last <= "힣":
        final = (ord(last) - ord("가")) % 28
        return VOWEL if final == 0 else RIEUL if final == 8 else CONSONANT
    if number := _NUMBER.search(word):
        return final_sound(_number_word(number.group(1).replace(",", ""), number.group(2)))
    if latin := _LATIN.search(word):
        return _latin_sound(latin.group())
    return VOWEL if last == "%" else None  # 퍼센트


def _number_word(whole: str, fraction: str | None) -> str:
    """The last word of a number read aloud: "3" 삼, "10" 십, "2018" 팔, "60000" 만, "0.01" 일."""
    if fraction:
        return DIGITS[int(fraction[-1])]
    whole = whole.lstrip("0")
    if not whole:
        return DIGITS[0]
    zeros = len(whole) - len(whole.rstrip("0"))
    if zeros == 0:
        return DIGITS[int(whole[-1])]
    return POWERS[zeros - 1] if zeros < 4 else GROUPS[min(zeros // 4, len(GROUPS) - 1)]


def _latin_sound(word: str) -> str:
    """A Latin-letter name ("tutorial", "best_mlp", "MLP") as Korean reads it. Its pronunciation cannot
    be known, so a rule that holds for most English words: capitals are spelled (MLP 엠엘피); a word
    ending in l or -le ends in ㄹ (튜토리얼, 심플); in m, n, ng, ck in another consonant (트레인, 록);
    in k, p, t after a vowel too (넷, 딥, 북); in anything else in a vowel (베스트, 와이드, 라지, 에포크)."""
    if word.isupper():
        return LETTER_NAMES.get(word[-1].lower(), VOWEL)
    word = word.lower()
    if word.endswith("l") or (word.endswith("le") and len(word) > 2 and word[-3] not in "aeiou"):
        return RIEUL
    if word[-1] in "mn" or word.endswith(("ng", "ck")):
        return CONSONANT
    if word[-1] in "kpt" and len(word) > 1 and word[-2] in "aeiou":
        return CONSONANT
    return VOWEL


def particle(word: str, written: str) -> str:
    """The particle `written` as both forms ("(으)로", "은(는)", ...) in the form `word` takes; both forms
    as written when the word's last sound cannot be told (a symbol)."""
    after_consonant, after_vowel = PARTICLES[written]
    sound = final_sound(word)
    if sound is None:
        return written
    if written == "(으)로":
        return after_consonant if sound == CONSONANT else after_vowel
    return after_vowel if sound == VOWEL else after_consonant


def _choose_particle(match: re.Match) -> str:
    return particle(match.string[: match.start()][-60:], match.group())


# ------------------------------------------------------------------ English plurals and durations

# "3 epoch(s)", "**1** drawing(s)", "1 test image(s)": the number at most two words before the noun.
_PLURAL = re.compile(r"(?<![\w.])(\d[\d,]*(?:\.\d+)?)((?:\**\s+|\*+)(?:[A-Za-z-]+\s+){0,2}[A-Za-z-]*?)(\(e?s\))")


def _choose_plural(match: re.Match) -> str:
    number, words, ending = match.groups()
    return number + words + ("" if number == "1" else ending.strip("()"))


def duration(seconds: float, lang: str | None = None) -> str:
    """A length of time as people say it, in the session's language (or `lang`): "45초", "1분 20초",
    "25분", "1시간 20분", "11시간", "3일" ("45 seconds", ..., "11 hours"). Seconds only under ten
    minutes, minutes only under ten hours: past that nobody counts them."""
    lang = lang or language()
    s, minutes = max(0, round(seconds)), max(0, round(seconds / 60))
    if s < 600:
        said = (("time.min", s // 60), ("time.s", s % 60))
    elif minutes < 60:
        said = (("time.min", minutes),)
    elif minutes < 600:
        said = (("time.h", minutes // 60), ("time.min", minutes % 60))
    elif seconds < 48 * 3600:
        said = (("time.h", round(seconds / 3600)),)
    else:
        said = (("time.d", round(seconds / 86_400)),)
    return " ".join(text_in(lang, unit, n=n) for unit, n in said if n) or text_in(lang, "time.s", n=0)


CATALOGUES: dict[str, dict[str, str]] = {code: catalogue(code) for code in LANGUAGES}

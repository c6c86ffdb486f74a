"""How the desk writes names and values: language and direction by script, ages, bars.

A name keeps its original script; the page declares its language (so the browser
picks the right font and glyph forms, e.g. Japanese rather than Chinese Han) and its
direction (Arabic and Hebrew run right to left).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

_SCRIPTS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("Arab", re.compile("[\u0600-\u06ff\u0750-\u077f\u08a0-\u08ff\ufb50-\ufdff\ufe70-\ufeff]")),
    ("Hebr", re.compile("[\u0590-\u05ff\ufb1d-\ufb4f]")),
    ("Kana", re.compile("[\u3040-\u30ff\u31f0-\u31ff\uff66-\uff9f]")),
    ("Hang", re.compile("[\uac00-\ud7af\u1100-\u11ff\u3130-\u318f]")),
    ("Hani", re.compile("[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f]")),
    ("Cyrl", re.compile("[\u0400-\u052f\u1c80-\u1c8f\ua640-\ua69f]")),
    ("Ethi", re.compile("[\u1200-\u139f\u2d80-\u2ddf\uab00-\uab2f]")),
    ("Geor", re.compile("[\u10a0-\u10ff\u1c90-\u1cbf]")),
    ("Armn", re.compile("[\u0530-\u058f]")),
    ("Thai", re.compile("[\u0e00-\u0e7f]")),
    ("Deva", re.compile("[\u0900-\u097f]")),
)
_RTL = {"Arab", "Hebr"}
# The language a script is most likely written in, refined by the person's nationality
# where one script serves several languages.
_DEFAULT_LANG = {
    "Arab": "ar",
    "Hebr": "he",
    "Kana": "ja",
    "Hang": "ko",
    "Hani": "zh",
    "Cyrl": "ru",
    "Ethi": "am",
    "Geor": "ka",
    "Armn": "hy",
    "Thai": "th",
    "Deva": "hi",
}
_BY_NATIONALITY = {
    ("Hani", "JPN"): "ja",
    ("Hani", "KOR"): "ko",
    ("Hani", "TWN"): "zh-Hant",
    ("Hani", "HKG"): "zh-Hant",
    ("Hani", "MAC"): "zh-Hant",
    ("Cyrl", "UKR"): "uk",
    ("Cyrl", "BLR"): "be",
    ("Cyrl", "BGR"): "bg",
    ("Cyrl", "SRB"): "sr",
    ("Cyrl", "MKD"): "mk",
    ("Cyrl", "KAZ"): "kk",
    ("Cyrl", "KGZ"): "ky",
    ("Cyrl", "MNG"): "mn",
    ("Cyrl", "TJK"): "tg",
    ("Arab", "AFG"): "fa",
    ("Arab", "IRN"): "fa",
    ("Arab", "PAK"): "ur",
    ("Ethi", "ERI"): "ti",
}


def script_of(text: str) -> str | None:
    """The first non-Latin script found in ``text`` (kana before Han: Japanese mixes them).

    >>> script_of("王小明"), script_of("محمد"), script_of("Wang")
    ('Hani', 'Arab', None)
    """
    for script, pattern in _SCRIPTS:
        if pattern.search(text):
            return script
    return None


@dataclass(frozen=True, slots=True)
class Written:
    """A value with the language and direction the page declares for it."""

    text: str
    lang: str | None
    dir: str


def written(text: object, nationality: Iterable[str] = ()) -> Written:
    """``text`` with its script's language (``None`` for Latin) and direction."""
    value = "" if text is None else str(text)
    script = script_of(value)
    if script is None:
        return Written(value, None, "auto")
    lang = _DEFAULT_LANG[script]
    for country in nationality:
        lang = _BY_NATIONALITY.get((script, country), lang)
        if (script, country) in _BY_NATIONALITY:
            break
    return Written(value, lang, "rtl" if script in _RTL else "auto")


@dataclass(frozen=True, slots=True)
class NameView:
    full: Written
    kind: str
    parts: str | None


def names_of(person: Mapping[str, Any]) -> list[NameView]:
    """The person's names as given (strings or objects), each with its language."""
    nationality = [str(c) for c in person.get("nationality", []) or []]
    out: list[NameView] = []
    for name in person.get("names", []) or []:
        if isinstance(name, str):
            out.append(NameView(written(name, nationality), "primary", None))
        elif isinstance(name, Mapping):
            parts = [f"{label}: {name[key]}" for key, label in _PARTS if name.get(key)]
            out.append(
                NameView(
                    written(name.get("full", ""), nationality),
                    str(name.get("kind", "primary")),
                    "; ".join(parts) or None,
                )
            )
    return out


_PARTS = (("family", "family name"), ("given", "given name"))


def birth_of(person: Mapping[str, Any]) -> str | None:
    """The birth date, or the assessed range, as the person record states it."""
    if person.get("birth_date"):
        return str(person["birth_date"])
    span = person.get("birth_date_range")
    if isinstance(span, Mapping) and span.get("from"):
        return f"between {span['from']} and {span['to']}"
    return None


def place_of(person: Mapping[str, Any]) -> Written | None:
    place = person.get("birth_place")
    if not isinstance(place, Mapping):
        return None
    text = ", ".join(str(place[k]) for k in ("name", "country") if place.get(k))
    return written(text, [str(place.get("country") or "")]) if text else None


def age(since: datetime, now: datetime | None = None) -> str:
    """A short human age: '40 s', '12 min', '5 h', '3 d'.

    >>> from datetime import timedelta
    >>> t = datetime(2025, 1, 1, tzinfo=UTC)
    >>> age(t, t + timedelta(hours=50))
    '2 d 2 h'
    """
    seconds = max(0, int(((now or datetime.now(UTC)) - since).total_seconds()))
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min"
    if seconds < 86400:
        return f"{seconds // 3600} h"
    days, hours = divmod(seconds // 3600, 24)
    return f"{days} d {hours} h" if hours else f"{days} d"


@dataclass(frozen=True, slots=True)
class Bar:
    """A feature weight drawn from a centre line: supporting right, contradicting left.

    ``x`` and ``width`` are in the drawing's own units (``WIDTH`` wide); the text
    beside the bar says the same thing in words.
    """

    x: float
    width: float
    sign: str
    words: str


WIDTH = 200.0


def bar(weight: float, scale: float) -> Bar:
    half = WIDTH / 2
    length = min(abs(weight) / scale, 1.0) * half if scale > 0 else 0.0
    if weight > 0:
        return Bar(half, length, "supports", f"+{weight:.2f}, supports the match")
    if weight < 0:
        return Bar(half - length, length, "contradicts", f"{weight:.2f}, contradicts the match")
    return Bar(half, 0.0, "neutral", "0.00, neither supports nor contradicts")


def bar_scale(weights: Sequence[float]) -> float:
    """A common scale for one table of bars: the largest weight, and at least 8."""
    return max([8.0, *(abs(w) for w in weights)])

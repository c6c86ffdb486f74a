"""Latin renderings of names written in other scripts, and a learned score for how
well a Latin spelling fits a native one.

Renderings come from two sources, both returned with a label a caseworker can read:

* **rules**: ICU ``Any-Latin`` (with ``Latin-ASCII``), pinyin for Han (pypinyin,
  family name first), Wade–Giles and Cantonese syllables mapped to pinyin, the
  Russian passport (ICAO 9303), GOST and BGN styles, ICU's kana (Hepburn) and hangul
  (Revised Romanisation) transforms, and consonant skeletons for Arabic and Hebrew
  (which leave short vowels unwritten);
* **learned**: a channel model P(Latin segment | native unit) trained by EM on the
  train split of the cross-script name pairs (``bench/build_translit_tables.py``),
  decoded with a beam search steered by a character 4-gram model of Latin name
  spellings. It turns ``伊莎貝拉`` into ``isabella`` where pinyin says ``yishabeila``.

Units are what a script writes one sound with: a letter (a Hebrew letter with its
geresh, ``ג׳``, is one), a kana, a Han character (traditional and simplified read
alike), and for Korean the letters (jamo) of a hangul syllable, so ``클`` is
``ㅋ ㅡ ㄹ`` and the model learns that the ``ㅡ`` is often silent.

The **context channel** (:func:`channel_pmi`) scores a Latin spelling against a
native token directly: P(segment | unit, its left and right neighbours), smoothed
level by level, summed over every alignment, and compared with the probability of
the spelling by chance. That ratio (pointwise mutual information) ranks candidate
Latin names by how likely each would be written as the token, which is what a search
across scripts needs; the name comparator maps it onto its similarity scale
(:func:`pmi_similarity`).

Tables live in ``matching/data/*.json.gz`` and load once, lazily.

>>> "mariya" in [r.latin for r in latin_renderings("Мария")]
True
"""

from __future__ import annotations

import gzip
import heapq
import json
import math
import re
import unicodedata
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, TypedDict

from matching.normalize import (
    GERESH,
    RULE_SCRIPTS,
    ascii_fold,
    attach_geresh,
    detect_script,
    normalize_text,
    script_of_char,
    skeleton,
    tokenize,
)
from matching.romanize import has_persian_letters, persian_renderings, rule_renderings
from matching.romanize import icu_transliterate as _icu

__all__ = [
    "SCRIPT_MODELS",
    "SOUND_FOLD_COST",
    "Rendering",
    "cantonese_to_pinyin",
    "channel_logprob",
    "channel_pmi",
    "channel_similarity",
    "clear_memos",
    "has_channel_model",
    "latin_renderings",
    "learned_renderings",
    "native_units",
    "normalised_channel_pmi",
    "pmi_similarity",
    "sound_fold",
    "token_renderings",
    "wade_giles_to_pinyin",
]

#: The learned tables. Found through the package (whose ``__init__`` is never
#: compiled): a module compiled by mypyc reports a ``__file__`` one folder too deep.
DATA = Path(str(resources.files("matching"))) / "data"


class ModelSpec(TypedDict):
    max_seg: int
    max_width: int
    iterations: int


#: Learned models: the longest Latin segment one native character may produce.
SCRIPT_MODELS: dict[str, ModelSpec] = {
    "arabic": {"max_seg": 4, "max_width": 1, "iterations": 10},
    "chinese": {"max_seg": 5, "max_width": 1, "iterations": 10},
    "hebrew": {"max_seg": 4, "max_width": 1, "iterations": 10},
    "japanese": {"max_seg": 5, "max_width": 1, "iterations": 10},
    "katakana": {"max_seg": 5, "max_width": 1, "iterations": 10},
    "korean": {"max_seg": 4, "max_width": 1, "iterations": 10},
    "russian": {"max_seg": 4, "max_width": 1, "iterations": 10},
}

#: Which learned models read a token of a given script.
_MODELS_FOR_SCRIPT: dict[str, tuple[str, ...]] = {
    "arabic": ("arabic",),
    "hebrew": ("hebrew",),
    "cyrillic": ("russian",),
    "han": ("chinese", "japanese"),
    "kana": ("katakana", "japanese"),
    "japanese": ("japanese",),
    "hangul": ("korean",),
}

_LABELS = {
    "arabic": "learned Arabic",
    "chinese": "learned Chinese",
    "hebrew": "learned Hebrew",
    "japanese": "learned Japanese",
    "katakana": "learned katakana",
    "korean": "learned Korean",
    "russian": "learned Cyrillic",
}


@dataclass(frozen=True, slots=True)
class Rendering:
    """One Latin reading of a name: lower-case ASCII parts separated by spaces.

    ``cost`` is 0 for the most likely reading of its source and grows (in nats) for
    less likely ones; rule renderings carry a small fixed cost.
    """

    latin: str
    label: str
    cost: float = 0.0


def native_units(text: str, script: str) -> list[str]:
    """The units a learned model reads: normalised letters (a Hebrew letter with its
    geresh is one), hiragana as katakana, Han characters in simplified form for the
    Chinese model, hangul syllables as their letters (jamo) for the Korean one.

    >>> native_units("伊莎貝拉", "chinese")
    ['伊', '莎', '贝', '拉']
    >>> len(native_units("클라우스", "korean"))
    9
    """
    out: list[str] = []
    norm = normalize_text(text)
    if script == "hebrew":
        norm = attach_geresh(norm)
    for ch in norm:
        if ch == GERESH and out:
            out[-1] += ch  # ג׳ is one letter (j), not ג and a mark
            continue
        if not (ch.isalnum() or ch == "ー" or unicodedata.category(ch) in ("Mn", "Mc", "Lm")):
            continue
        cp = ord(ch)
        if script in ("katakana", "japanese") and 0x3041 <= cp <= 0x3096:
            ch = chr(cp + 0x60)
        if script == "chinese" and script_of_char(ch) == "han":
            # traditional and simplified characters are read alike
            ch = _simplified(ch)
        if script == "korean" and 0xAC00 <= cp <= 0xD7A3:
            # a hangul syllable is its letters: lead consonant, vowel, tail consonant
            out.extend(unicodedata.normalize("NFD", ch))
            continue
        out.append(ch)
    return out


@lru_cache(maxsize=8192)
def _simplified(ch: str) -> str:
    out = _icu("Traditional-Simplified", ch)
    return out if len(out) == 1 else ch


def positional_units(units: list[str]) -> list[str]:
    """Units marked by their place in the word: ``^`` initial, ``$`` final."""
    n = len(units)
    return [u + ("^" if i == 0 else "$" if i == n - 1 else "") for i, u in enumerate(units)]


# ---------------------------------------------------------------- learned tables

_POS_WEIGHT = 0.7  # interpolation weight of the place-marked model


class _Model:
    __slots__ = ("_cache", "max_seg", "pos_units", "units")

    def __init__(self, data: dict[str, Any]) -> None:
        self.max_seg: int = int(data["max_seg"])
        self.units: dict[str, tuple[tuple[str, float], ...]] = {
            u: tuple((str(s), float(lp)) for s, lp in segs) for u, segs in data["units"].items()
        }
        self.pos_units: dict[str, tuple[tuple[str, float], ...]] = {
            u: tuple((str(s), float(lp)) for s, lp in segs)
            for u, segs in data.get("units_pos", {}).items()
        }
        self._cache: dict[str, tuple[tuple[str, float], ...]] = {}

    def segs(self, unit: str, mark: str) -> tuple[tuple[str, float], ...]:
        """Latin segments of a unit at a place in the word, with log-probabilities."""
        key = unit + mark
        found = self._cache.get(key)
        if found is not None:
            return found
        plain = self.units.get(unit, ())
        pos = self.pos_units.get(key, ())
        if not pos:
            found = plain
        elif not plain:
            found = pos
        else:
            mix: dict[str, float] = {}
            for seg, lp in pos:
                mix[seg] = mix.get(seg, 0.0) + _POS_WEIGHT * math.exp(lp)
            for seg, lp in plain:
                mix[seg] = mix.get(seg, 0.0) + (1.0 - _POS_WEIGHT) * math.exp(lp)
            ranked = sorted(mix.items(), key=lambda kv: (-kv[1], kv[0]))[:12]
            found = tuple((seg, math.log(p)) for seg, p in ranked)
        self._cache[key] = found
        return found


@cache
def _model(name: str) -> _Model | None:
    path = DATA / f"translit_{name}.json.gz"
    try:
        with gzip.open(path, "rt", encoding="utf-8") as fh:
            return _Model(json.load(fh))
    except (OSError, ValueError, KeyError):
        return None


_MEMO_LIMIT = 500_000


class _LM:
    __slots__ = ("_memo", "logp", "order")

    def __init__(self, data: dict[str, Any]) -> None:
        self.order: int = int(data["order"])
        self.logp: dict[str, float] = {k: float(v) for k, v in data["logp"].items()}
        self._memo: dict[tuple[str, str], float] = {}

    def score(self, history: str, text: str) -> float:
        """log P(text | history) with stupid backoff."""
        ctx = ("^" * (self.order - 1) + history[-(self.order - 1) :])[-(self.order - 1) :]
        key = (ctx, text)
        found = self._memo.get(key)
        if found is None:
            found = self._score(ctx, text)
            if len(self._memo) < _MEMO_LIMIT:
                self._memo[key] = found
        return found

    def _score(self, ctx: str, text: str) -> float:
        total = 0.0
        get = self.logp.get
        for ch in text:
            penalty = 0.0
            n = len(ctx)
            while True:
                v = get(ctx[len(ctx) - n :] + ch) if n else get(ch)
                if v is not None:
                    total += v + penalty
                    break
                if n == 0:
                    total += -12.0 + penalty
                    break
                n -= 1
                penalty -= 0.9
            ctx = (ctx + ch)[1:]
        return total


@lru_cache(maxsize=1)
def _lm() -> _LM | None:
    try:
        with gzip.open(DATA / "latin_lm.json.gz", "rt", encoding="utf-8") as fh:
            return _LM(json.load(fh))
    except (OSError, ValueError, KeyError):
        return None


_LM_WEIGHT = 0.6
#: per-letter bonus: without it the language model favours dropping letters
_LETTER_BONUS = 0.8
_BEAM = 40
_NBEST = 16


def _decode(
    units: list[str], model: _Model, lm: _LM | None, nbest: int, *, syllabic: bool = False
) -> list[tuple[str, float]]:
    hyps: dict[str, float] = {"": 0.0}
    lm_w = _LM_WEIGHT if lm is not None else 0.0
    for u, mark in zip(units, _marks(len(units)), strict=True):
        segs = model.segs(u, mark)
        if not segs:
            fallback = _icu_ascii(u).replace(" ", "")
            segs = ((fallback, -1.0),) if fallback else (("", -1.0),)
        elif syllabic:
            # a Han or hangul syllable is always heard: never read it as nothing
            segs = tuple(s for s in segs if s[0]) or segs
        new: dict[str, float] = {}
        for prefix, score in hyps.items():
            for seg, lp in segs:
                cand = prefix + seg
                sc = score + lp
                if seg and lm is not None:
                    sc += lm_w * lm.score(prefix, seg) + _LETTER_BONUS * len(seg)
                old = new.get(cand)
                if old is None or sc > old:
                    new[cand] = sc
        if len(new) > _BEAM:
            hyps = dict(heapq.nlargest(_BEAM, new.items(), key=lambda kv: kv[1]))
        else:
            hyps = new
    final = []
    for latin, score in hyps.items():
        if not latin:
            continue
        if lm is not None:
            score += lm_w * lm.score(latin, "$")
        final.append((latin, score))
    final.sort(key=lambda kv: (-kv[1], kv[0]))
    return final[:nbest]


_SEP = "\x1f"
_HSEP = "\x1e"


class _Graphones:
    """Witten–Bell smoothed n-grams over (native unit, Latin segment) pairs."""

    __slots__ = ("_memo", "grams", "hists", "order", "uni_floor")

    def __init__(self, data: dict[str, Any]) -> None:
        self.order: int = int(data["order"])
        self.grams: dict[str, int] = {str(k): int(v) for k, v in data["grams"].items()}
        self.hists: dict[str, tuple[int, int]] = {
            str(k): (int(v[0]), int(v[1])) for k, v in data["hists"].items()
        }
        self.uni_floor = 0.1 / (self.hists.get("", (1, 1))[1] + 1)
        self._memo: dict[tuple[tuple[str, ...], str], float] = {}

    def logp(self, history: tuple[str, ...], tok: str) -> float:
        key = (history, tok)
        found = self._memo.get(key)
        if found is None:
            found = self._logp(history, tok)
            if len(self._memo) < _MEMO_LIMIT:
                self._memo[key] = found
        return found

    def _logp(self, history: tuple[str, ...], tok: str) -> float:
        total, types = self.hists.get("", (1, 1))
        p = (self.grams.get(tok, 0) + types * self.uni_floor) / (total + types)
        for n in range(1, self.order):
            if len(history) < n:
                break
            h = _HSEP.join(history[len(history) - n :])
            ht = self.hists.get(h)
            if ht is None:
                break
            c_h, t_h = ht
            p = (self.grams.get(h + _HSEP + tok, 0) + t_h * p) / (c_h + t_h)
        return math.log(p)


@cache
def _graphones(name: str) -> _Graphones | None:
    try:
        with gzip.open(DATA / f"graphone_{name}.json.gz", "rt", encoding="utf-8") as fh:
            return _Graphones(json.load(fh))
    except (OSError, ValueError, KeyError):
        return None


_G_LM_WEIGHT = 0.3
_G_TEMPER = 0.3
_PLAIN_OFFSET = 0.3
_G_LETTER_BONUS = 0.4


def _decode_graphones(
    units: list[str],
    model: _Model,
    graph: _Graphones,
    lm: _LM | None,
    nbest: int,
    *,
    syllabic: bool = False,
) -> list[tuple[str, float]]:
    keep = graph.order - 1
    start = ("<s>",) * keep
    hyps: dict[tuple[str, tuple[str, ...]], float] = {("", start): 0.0}
    for u, mark in zip(units, _marks(len(units)), strict=True):
        segs = model.segs(u, mark)
        if not segs:
            fallback = _icu_ascii(u).replace(" ", "")
            segs = ((fallback, -1.0),)
        elif syllabic:
            segs = tuple(s for s in segs if s[0]) or segs
        new: dict[tuple[str, tuple[str, ...]], float] = {}
        for (prefix, hist), score in hyps.items():
            for seg, _lp in segs:
                tok = u + _SEP + seg
                sc = score + graph.logp(hist, tok)
                if seg and lm is not None:
                    sc += _G_LM_WEIGHT * lm.score(prefix, seg) + _G_LETTER_BONUS * len(seg)
                key = (prefix + seg, (*hist[1:], tok) if keep else ())
                old = new.get(key)
                if old is None or sc > old:
                    new[key] = sc
        hyps = dict(heapq.nlargest(_BEAM, new.items(), key=lambda kv: kv[1]))
    final: dict[str, float] = {}
    for (latin, hist), score in hyps.items():
        if not latin:
            continue
        sc = score + graph.logp(hist, "</s>")
        if lm is not None:
            sc += _G_LM_WEIGHT * lm.score(latin, "$")
        if latin not in final or sc > final[latin]:
            final[latin] = sc
    return sorted(final.items(), key=lambda kv: (-kv[1], kv[0]))[:nbest]


@lru_cache(maxsize=65536)
def learned_renderings(token: str, *, nbest: int = _NBEST) -> tuple[Rendering, ...]:
    """The n-best Latin spellings of one native-script token from the learned models."""
    script = detect_script(token)
    models = _MODELS_FOR_SCRIPT.get(script, ())
    lm = _lm()
    out: dict[str, Rendering] = {}
    for name in models:
        model = _model(name)
        if model is None:
            continue
        units = native_units(token, name)
        if not units or len(units) > 40:
            continue
        syllabic = name == "chinese"
        # the second model for a script (Japanese for Han) is a back-up reading
        extra = 0.0 if name == models[0] else 1.0
        lists: list[tuple[list[tuple[str, float]], float, float]] = []
        graph = _graphones(name)
        if graph is not None:
            # sharp and context-aware: its best reading first, its costs tempered
            decoded = _decode_graphones(units, model, graph, lm, nbest, syllabic=syllabic)
            lists.append((decoded, _G_TEMPER, 0.0))
        # the character model keeps the list diverse
        decoded = _decode(units, model, lm, nbest, syllabic=syllabic)
        lists.append((decoded, 1.0, _PLAIN_OFFSET if graph is not None else 0.0))
        for decoded, temper, offset in lists:
            if not decoded:
                continue
            best = decoded[0][1]
            for latin, score in decoded:
                cost = round((best - score) * temper + offset + extra, 3)
                if latin not in out or out[latin].cost > cost:
                    out[latin] = Rendering(latin, _LABELS[name], cost)
    return tuple(sorted(out.values(), key=lambda r: (r.cost, r.latin))[:nbest])


# ---------------------------------------------------------------- rules


def _icu_ascii(text: str) -> str:
    return ascii_fold(_icu("Any-Latin; Latin-ASCII", text))


_PASSPORT = str.maketrans(
    {
        "а": "a",
        "б": "b",
        "в": "v",
        "г": "g",
        "д": "d",
        "е": "e",
        "ё": "e",
        "ж": "zh",
        "з": "z",
        "и": "i",
        "й": "i",
        "к": "k",
        "л": "l",
        "м": "m",
        "н": "n",
        "о": "o",
        "п": "p",
        "р": "r",
        "с": "s",
        "т": "t",
        "у": "u",
        "ф": "f",
        "х": "kh",
        "ц": "ts",
        "ч": "ch",
        "ш": "sh",
        "щ": "shch",
        "ъ": "ie",
        "ы": "y",
        "ь": "",
        "э": "e",
        "ю": "iu",
        "я": "ia",
        "і": "i",
        "ї": "i",
        "є": "ie",
        "ґ": "g",
        "ў": "u",
    }
)
_OLD_PASSPORT = str.maketrans(
    {
        "й": "y",
        "ю": "yu",
        "я": "ya",
        "ъ": "",
        "ё": "e",
        "х": "kh",
        "щ": "shch",
        "є": "ye",
        "ї": "yi",
    }
)

_COMPOUND_SURNAMES = frozenset(
    {
        "欧阳",
        "歐陽",
        "司马",
        "司馬",
        "诸葛",
        "諸葛",
        "上官",
        "东方",
        "東方",
        "皇甫",
        "尉迟",
        "尉遲",
        "公孙",
        "公孫",
        "慕容",
        "夏侯",
        "令狐",
        "长孙",
        "長孫",
        "宇文",
        "司徒",
        "端木",
    }
)


def _pinyin(token: str) -> list[Rendering]:
    try:
        from pypinyin import Style, lazy_pinyin

        sylls = [ascii_fold(s) for s in lazy_pinyin(token, style=Style.NORMAL, errors="ignore")]
    except Exception:
        return []
    sylls = [s.replace(" ", "") for s in sylls if s]
    if not sylls:
        return []
    out = [Rendering("".join(sylls), "Han→pinyin", 0.3)]
    if 2 <= len(sylls) <= 4 and len(token) == len(sylls):
        fam = 2 if token[:2] in _COMPOUND_SURNAMES and len(sylls) > 2 else 1
        out.insert(
            0,
            Rendering(
                "".join(sylls[:fam]) + " " + "".join(sylls[fam:]),
                "Han→pinyin, family name first",
                0.0,
            ),
        )
    return out


def token_renderings(token: str) -> tuple[Rendering, ...]:
    """Every Latin reading of one name token, best first; a Latin token reads as itself."""
    return _token_renderings(token)


@lru_cache(maxsize=65536)
def _token_renderings(token: str) -> tuple[Rendering, ...]:
    script = detect_script(token)
    if script in ("latin", "other"):
        folded = ascii_fold(token).replace(" ", "")
        return (Rendering(folded, "Latin", 0.0),) if folded else ()
    norm = normalize_text(token)
    rules: list[Rendering] = []
    if script == "han":
        rules.extend(_pinyin(norm))
    elif script == "cyrillic":
        rules.append(Rendering(ascii_fold(_icu("Russian-Latin/BGN", norm)), "Cyrillic→BGN", 0.4))
        rules.append(Rendering(ascii_fold(norm.translate(_PASSPORT)), "Cyrillic→passport", 0.4))
        rules.append(
            Rendering(
                ascii_fold(norm.translate(_OLD_PASSPORT).translate(_PASSPORT)),
                "Cyrillic→passport (before 2013)",
                0.4,
            )
        )
        rules.append(Rendering(ascii_fold(_icu("Cyrillic-Latin", norm)), "Cyrillic→GOST", 0.6))
    elif script in ("kana", "japanese"):
        rules.append(Rendering(_icu_ascii(norm), "kana→Hepburn (ICU)", 0.5))
    elif script == "hangul":
        rules.append(Rendering(_icu_ascii(norm), "hangul→Revised Romanisation (ICU)", 0.5))
    elif script in RULE_SCRIPTS:
        rules.extend(
            Rendering(latin, label, cost) for latin, label, cost in rule_renderings(norm, script)
        )
    elif script == "arabic" and has_persian_letters(norm):
        # Persian, Dari, Pashto and Urdu letters read as themselves, beside the Arabic model
        rules.extend(
            Rendering(latin, label, cost) for latin, label, cost in persian_renderings(norm)
        )
        rules.append(Rendering(_icu_ascii(norm), "ICU Any-Latin", 0.8))
    else:
        rules.append(Rendering(_icu_ascii(norm), "ICU Any-Latin", 0.8))
    learned = learned_renderings(norm)
    seen: dict[str, Rendering] = {}
    for r in (*learned, *rules):
        latin = " ".join(r.latin.split())
        if latin and (latin not in seen or seen[latin].cost > r.cost):
            seen[latin] = Rendering(latin, r.label, r.cost)
    if not seen:
        icu_form = _icu_ascii(norm).replace(" ", "")
        if icu_form:
            seen[icu_form] = Rendering(icu_form, "ICU Any-Latin", 0.8)
    return tuple(sorted(seen.values(), key=lambda r: (r.cost, r.latin)))


def skeleton_rendering(token: str) -> Rendering | None:
    """The consonant skeleton of the best reading of an Arabic or Hebrew token."""
    script = detect_script(token)
    if script not in ("arabic", "hebrew"):
        return None
    readings = _token_renderings(token)
    if not readings:
        return None
    label = "Arabic skeleton" if script == "arabic" else "Hebrew skeleton"
    return Rendering(skeleton(readings[0].latin.replace(" ", "")), label, 0.0)


def latin_renderings(text: str) -> tuple[Rendering, ...]:
    """Latin readings of a whole name, best first (each token read on its own, the
    best few combinations kept, labelled by the source of their first non-Latin part).

    >>> [r.latin for r in latin_renderings("王小明")][:1]
    ['wang xiaoming']
    """
    tokens = tokenize(text)
    if not tokens:
        return ()
    per_token = [_token_renderings(t)[:4] or (Rendering(t, "as written", 0.0),) for t in tokens]
    combos: list[tuple[float, list[Rendering]]] = [(0.0, [])]
    for options in per_token:
        combos = sorted(
            ((cost + r.cost, [*parts, r]) for cost, parts in combos for r in options),
            key=lambda c: c[0],
        )[:8]
    out: dict[str, Rendering] = {}
    for cost, parts in combos:
        latin = " ".join(p.latin for p in parts)
        label = next((p.label for p in parts if p.label != "Latin"), "Latin")
        if latin not in out:
            out[latin] = Rendering(latin, label, round(cost, 3))
    return tuple(out.values())


# ---------------------------------------------------------------- Latin → pinyin

_WG_INITIALS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("tz'", ("c",)),
    ("ts'", ("c",)),
    ("ch'", ("ch", "q")),
    ("hs", ("x",)),
    ("tz", ("z", "c")),
    ("ts", ("z", "c")),
    ("ch", ("zh", "j", "ch", "q")),
    ("sh", ("sh",)),
    ("k'", ("k",)),
    ("p'", ("p",)),
    ("t'", ("t",)),
    ("k", ("g", "k")),
    ("p", ("b", "p")),
    ("t", ("d", "t")),
    ("j", ("r",)),
)
_WG_FINALS: tuple[tuple[str, str], ...] = (
    ("ieh", "ie"),
    ("ien", "ian"),
    ("ung", "ong"),
    ("uei", "ui"),
    ("ih", "i"),
    ("erh", "er"),
    ("ueh", "ue"),
    ("iung", "iong"),
    ("uo", "uo"),
    ("o", "e"),
)

_PINYIN_SYLLABLES: frozenset[str] | None = None


def _pinyin_syllables() -> frozenset[str]:
    global _PINYIN_SYLLABLES
    if _PINYIN_SYLLABLES is None:
        initials = [
            "",
            "b",
            "p",
            "m",
            "f",
            "d",
            "t",
            "n",
            "l",
            "g",
            "k",
            "h",
            "j",
            "q",
            "x",
            "zh",
            "ch",
            "sh",
            "r",
            "z",
            "c",
            "s",
            "y",
            "w",
        ]
        finals = [
            "a",
            "o",
            "e",
            "i",
            "u",
            "v",
            "ai",
            "ei",
            "ao",
            "ou",
            "an",
            "en",
            "ang",
            "eng",
            "ong",
            "er",
            "ia",
            "ie",
            "iao",
            "iu",
            "ian",
            "in",
            "iang",
            "ing",
            "iong",
            "ua",
            "uo",
            "uai",
            "ui",
            "uan",
            "un",
            "uang",
            "ue",
        ]
        palatal = {
            "i",
            "ia",
            "ie",
            "iao",
            "iu",
            "ian",
            "in",
            "iang",
            "ing",
            "iong",
            "u",
            "ue",
            "uan",
            "un",
        }
        _PINYIN_SYLLABLES = frozenset(
            i + f for i in initials for f in finals if i not in ("j", "q", "x") or f in palatal
        )
    return _PINYIN_SYLLABLES


def wade_giles_to_pinyin(syllable: str) -> frozenset[str]:
    """Pinyin syllables a Wade–Giles spelling may stand for (apostrophes often lost).

    >>> sorted(wade_giles_to_pinyin("chang"))
    ['chang', 'zhang']
    >>> sorted(wade_giles_to_pinyin("hsiao"))
    ['xiao']
    """
    s = syllable.lower().replace("’", "'").replace("ü", "v")
    valid = _pinyin_syllables()
    heads: list[tuple[str, str]] = [("", s)]
    for wg, pys in _WG_INITIALS:
        if s.startswith(wg):
            heads = [(py, s[len(wg) :]) for py in pys]
            break
    out: set[str] = set()
    for head, rest in heads:
        rest = rest.replace("'", "")
        finals = {rest}
        for wg, py in _WG_FINALS:
            if rest.endswith(wg):
                finals.add(rest[: len(rest) - len(wg)] + py)
        if head in ("zh", "ch", "sh", "r", "z", "c", "s") and rest == "u":
            finals.add("i")
        for f in finals:
            cand = head + f
            if cand in valid:
                out.add(cand)
    return frozenset(out)


# Hong Kong (Cantonese) romanisations of common name syllables → Mandarin pinyin.
_CANTONESE: dict[str, tuple[str, ...]] = {
    "wong": ("wang", "huang"),
    "chan": ("chen",),
    "cheung": ("zhang",),
    "lee": ("li",),
    "lau": ("liu",),
    "ng": ("wu",),
    "ho": ("he",),
    "leung": ("liang",),
    "tsang": ("zeng",),
    "yeung": ("yang",),
    "kwok": ("guo",),
    "siu": ("xiao", "shao"),
    "wai": ("wei", "hui"),
    "kin": ("jian",),
    "chi": ("zhi", "qi"),
    "man": ("wen", "min"),
    "ka": ("jia",),
    "kit": ("jie",),
    "yan": ("ren", "xin", "en"),
    "fai": ("hui",),
    "kwan": ("jun", "guan"),
    "tak": ("de",),
    "hung": ("xiong", "hong"),
    "chun": ("zhen", "jun"),
    "lam": ("lin",),
    "tam": ("tan",),
    "cheng": ("zheng",),
    "tse": ("xie",),
    "mak": ("mai",),
    "fung": ("feng",),
    "lo": ("lu", "luo"),
    "so": ("su",),
    "kam": ("jin",),
    "yip": ("ye",),
    "choi": ("cai",),
    "chow": ("zhou",),
    "chau": ("zhou",),
    "tang": ("deng", "tang"),
    "ko": ("gao",),
    "lai": ("li", "lai"),
    "tung": ("dong",),
    "au": ("ou",),
    "kong": ("jiang", "kong"),
    "mok": ("mo",),
    "yu": ("yu", "ru", "yao"),
    "keung": ("qiang",),
    "wing": ("rong", "yong"),
    "hoi": ("kai", "hai"),
    "sze": ("shi", "si"),
    "shing": ("cheng", "sheng"),
    "kei": ("ji", "qi"),
    "lok": ("le", "luo"),
    "on": ("an",),
    "kai": ("qi", "jie"),
    "hon": ("han",),
    "chung": ("zhong", "song"),
    "kwong": ("guang", "kuang"),
    "chiu": ("zhao", "chao"),
    "yiu": ("yao",),
    "pang": ("peng",),
    "shek": ("shi",),
    "suen": ("sun",),
    "poon": ("pan",),
    "kwai": ("gui",),
    "wan": ("yun", "wen"),
    "lun": ("lun",),
    "ping": ("ping",),
    "sum": ("sen", "xin"),
    "chuen": ("quan",),
    "hing": ("xing",),
    "tin": ("tian",),
    "yee": ("yi", "er"),
    "mei": ("mei",),
    "ling": ("ling",),
    "kwun": ("jun",),
    "ying": ("ying",),
    "yuen": ("yuan",),
    "sau": ("xiu",),
    "po": ("bao", "bo"),
    "fat": ("fa",),
    "ting": ("ting",),
    "koon": ("guan",),
    "hin": ("xian",),
    "tsz": ("zi",),
    "wah": ("hua",),
    "wa": ("hua",),
    "kuen": ("quan",),
    "yat": ("yi",),
    "shun": ("xin", "shun"),
    "ming": ("ming",),
}


def cantonese_to_pinyin(syllable: str) -> tuple[str, ...]:
    """Pinyin readings of a Hong Kong Cantonese romanisation of a name syllable.

    >>> cantonese_to_pinyin("wong")
    ('wang', 'huang')
    """
    return _CANTONESE.get(syllable.lower(), ())


def pinyin_alternatives(part: str) -> tuple[str, ...]:
    """Pinyin forms a Latin name part may stand for, read as Wade–Giles or Cantonese
    syllables (one syllable, or a hyphen-less run of two)."""
    part = part.lower()
    found: list[str] = []
    for single in (part,):
        found.extend(cantonese_to_pinyin(single))
        found.extend(sorted(wade_giles_to_pinyin(single)))
    return tuple(dict.fromkeys(f for f in found if f != part))


# ---------------------------------------------------------------- channel score


def _marks(n: int) -> list[str]:
    return ["^" if i == 0 else "$" if i == n - 1 else "" for i in range(n)]


_CSEP = "\x1f"  # between the units of a context key in the channel tables


def _unseen_of_length(k: int) -> float:
    return 1e-7 * 0.1 ** max(k - 1, 0)


_UNSEEN = tuple(_unseen_of_length(k) for k in range(16))


def _unseen(seg: str) -> float:
    """P0 of a segment no unit ever produced in training."""
    k = len(seg)
    return _UNSEEN[k] if k < 16 else _unseen_of_length(k)


class _Position:
    """P(segment | a unit and its neighbours) at one place of one native token: four
    levels of counts, each smoothed toward the one below (Dirichlet priors), the last
    toward the generic segment distribution P0.

    A segment that some level has counts for (about 50 per place) takes the four
    lookups once and is remembered: a token is scored against many Latin spellings
    that share their pieces. Any other segment takes the same formula with every count
    zero, which comes down to its P0 times the place's smoothing weights, and needs
    no memo."""

    __slots__ = (
        "a2",
        "a3",
        "beta",
        "c1",
        "c2a",
        "c2b",
        "c3",
        "counted",
        "d1",
        "d2a",
        "d2b",
        "d3",
        "memo",
        "segments",
    )

    def __init__(self, ch: _Channel, unit: str, left: str, right: str) -> None:
        k2a, k2b = left + _CSEP + unit, unit + _CSEP + right
        k3 = left + _CSEP + unit + _CSEP + right
        self.c1 = ch.unit.get(unit, _EMPTY)
        self.c2a = ch.left.get(k2a, _EMPTY)
        self.c2b = ch.right.get(k2b, _EMPTY)
        self.c3 = ch.both.get(k3, _EMPTY)
        self.counted = frozenset(self.c1).union(self.c2a, self.c2b, self.c3)
        self.beta, self.a2, self.a3 = ch.beta, ch.a2, ch.a3
        self.d1 = ch.unit_mass.get(unit, 0.0) + ch.beta
        self.d2a = ch.left_mass.get(k2a, 0.0) + ch.a2
        self.d2b = ch.right_mass.get(k2b, 0.0) + ch.a2
        self.d3 = ch.both_mass.get(k3, 0.0) + ch.a3
        self.segments = ch.segments
        self.memo: dict[str, float] = {}

    def prob(self, seg: str) -> float:
        if seg in self.counted:
            return self.counted_prob(seg)
        return self.unseen(seg)

    def counted_prob(self, seg: str) -> float:
        """:meth:`prob` of a segment some level has counts for."""
        found = self.memo.get(seg)
        if found is not None:
            return found
        p0 = self.segments.get(seg)
        if p0 is None:
            p0 = _unseen(seg)
        p1 = (self.c1.get(seg, 0.0) + self.beta * p0) / self.d1
        p2a = (self.c2a.get(seg, 0.0) + self.a2 * p1) / self.d2a
        p2b = (self.c2b.get(seg, 0.0) + self.a2 * p1) / self.d2b
        p = (self.c3.get(seg, 0.0) + self.a3 * 0.5 * (p2a + p2b)) / self.d3
        self.memo[seg] = p
        return p

    def unseen(self, seg: str) -> float:
        """:meth:`prob` of a segment no level has counts for (the counts are zero)."""
        p0 = self.segments.get(seg)
        if p0 is None:
            p0 = _unseen(seg)
        p1 = self.beta * p0 / self.d1
        p2a = self.a2 * p1 / self.d2a
        p2b = self.a2 * p1 / self.d2b
        return self.a3 * 0.5 * (p2a + p2b) / self.d3


_EMPTY: dict[str, float] = {}


class _Channel:
    """The context channel of one script (``channel_<script>.json.gz``, written by
    ``bench/build_translit_tables.py``) and the Latin marginal of its unigram level."""

    __slots__ = (
        "a2",
        "a3",
        "beta",
        "both",
        "both_mass",
        "g",
        "kappa",
        "left",
        "left_mass",
        "max_seg",
        "name",
        "ps",
        "right",
        "right_mass",
        "segments",
        "unit",
        "unit_mass",
    )

    def __init__(self, name: str, data: dict[str, Any]) -> None:
        def counts(key: str) -> dict[str, dict[str, float]]:
            return {
                str(u): {str(s): float(c) for s, c in segs.items()} for u, segs in data[key].items()
            }

        def masses(key: str) -> dict[str, float]:
            return {str(u): float(m) for u, m in data[key].items()}

        self.name = name
        self.max_seg = int(data["max_seg"])
        self.beta = float(data["beta"])
        self.a2 = float(data["a2"])
        self.a3 = float(data["a3"])
        self.segments = {str(s): float(p) for s, p in data["segments"].items()}
        self.unit, self.unit_mass = counts("unit"), masses("unit_mass")
        self.left, self.left_mass = counts("left"), masses("left_mass")
        self.right, self.right_mass = counts("right"), masses("right_mass")
        self.both, self.both_mass = counts("both"), masses("both_mass")
        # the unigram level summed over units: how likely a Latin segment is from any
        # unit, and the share of every unit's mass that goes to P0
        total = sum(self.unit_mass.values()) or 1.0
        ps: dict[str, float] = {}
        kappa = 0.0
        for u, m in self.unit_mass.items():
            if m <= 0:
                continue
            kappa += (m / total) * self.beta / (m + self.beta)
            for seg, c in self.unit.get(u, _EMPTY).items():
                ps[seg] = ps.get(seg, 0.0) + (m / total) * c / (m + self.beta)
        self.ps = ps
        self.kappa = kappa
        self.g = 1.0 / (1.0 - self._seg_marginal(""))

    def _seg_marginal(self, seg: str) -> float:
        p0 = self.segments.get(seg)
        return self.ps.get(seg, 0.0) + self.kappa * (_unseen(seg) if p0 is None else p0)

    def positions(self, units: list[str]) -> tuple[_Position, ...]:
        n = len(units)
        return tuple(
            _Position(
                self,
                u,
                units[i - 1] if i > 0 else "^",
                units[i + 1] if i < n - 1 else "$",
            )
            for i, u in enumerate(units)
        )

    def logprob(self, positions: tuple[_Position, ...], latin: str) -> float:
        """log P(latin | native token): the forward sum over every alignment of the
        token's units with Latin segments of 0..max_seg letters.

        Only cells that can still reach the end are extended: after ``i`` units the
        Latin position lies between ``m - (n - i) * max_seg`` and ``i * max_seg``.
        The cells skipped never contribute to the end, so the sum is the same, term for
        term, as over every cell."""
        m = len(latin)
        n = len(positions)
        max_seg = self.max_seg
        # the segments starting at each Latin position, sliced once for every unit
        pieces = [[latin[j : j + k] for k in range(min(max_seg, m - j) + 1)] for j in range(m + 1)]
        alpha = [0.0] * (m + 1)
        alpha[0] = 1.0
        for i, pos in enumerate(positions):
            new = [0.0] * (m + 1)
            counted = pos.counted
            lo = max(m - (n - i) * max_seg, 0)
            hi = min(m, i * max_seg)
            # each cell sums what flows into it, from the lowest Latin position up: the
            # same additions in the same order as pushing each position's mass forward
            for t in range(lo, min(m, hi + max_seg) + 1):
                acc = 0.0
                for j in range(max(t - max_seg, lo), min(t, hi) + 1):
                    a = alpha[j]
                    if a == 0.0:
                        continue
                    seg = pieces[j][t - j]
                    p = pos.counted_prob(seg) if seg in counted else pos.unseen(seg)
                    acc += a * p
                new[t] = acc
            alpha = new
        return math.log(alpha[m]) if alpha[m] > 0.0 else -math.inf

    def marginal(self, latin: str) -> float:
        """log P(latin) when the native token is unknown: the unigram channel's Latin
        side, any number of units."""
        m = len(latin)
        g = self.g
        a = [0.0] * (m + 1)
        a[0] = g
        for j in range(1, m + 1):
            acc = 0.0
            for k in range(1, min(self.max_seg, j) + 1):
                acc += a[j - k] * self._seg_marginal(latin[j - k : j])
            a[j] = acc * g
        return math.log(a[m]) if a[m] > 0.0 else -math.inf


@cache
def _channel(name: str) -> _Channel | None:
    try:
        with gzip.open(DATA / f"channel_{name}.json.gz", "rt", encoding="utf-8") as fh:
            return _Channel(name, json.load(fh))
    except (OSError, ValueError, KeyError):
        return None


def _token_positions(name: str, token: str) -> tuple[_Position, ...]:
    channel = _channel(name)
    if channel is None:
        return ()
    units = native_units(token, name)
    if not units or len(units) > 40:
        return ()
    return channel.positions(units)


@lru_cache(maxsize=65536)
def _marginal(name: str, latin: str) -> float:
    channel = _channel(name)
    return channel.marginal(latin) if channel is not None else -math.inf


def has_channel_model(token: str) -> bool:
    """Whether :func:`channel_pmi` can score Latin spellings of this token."""
    models = _MODELS_FOR_SCRIPT.get(detect_script(token), ())
    return bool(models) and _channel(models[0]) is not None


@lru_cache(maxsize=8192)
def _prepared(token: str) -> tuple[_Channel, tuple[_Position, ...]] | None:
    """The channel of a normalised token's script and the token's places in it (empty
    when it has no units or too many); None when its script has no channel."""
    models = _MODELS_FOR_SCRIPT.get(detect_script(token), ())
    if not models:
        return None
    channel = _channel(models[0])
    if channel is None:
        return None
    return channel, _token_positions(models[0], token)


def _scorable(token: str, latin: str) -> tuple[_Channel, tuple[_Position, ...]] | None:
    """:func:`_prepared` of a normalised token, when some alignment with ``latin`` can
    exist (the token has places and the spelling is not too long for them)."""
    prepared = _prepared(token)
    if prepared is None or not latin:
        return None
    channel, positions = prepared
    if not positions or len(latin) > channel.max_seg * len(positions):
        return None
    return prepared


def clear_memos() -> None:
    """Forget what scoring remembered: each token's places with their segment
    probabilities, and the chance probabilities of Latin spellings (benchmarks
    measuring cold work call this; results never depend on it)."""
    _prepared.cache_clear()
    _marginal.cache_clear()


def channel_pmi(token: str, latin: str) -> float:
    """How much better the native ``token`` explains the Latin spelling than chance:
    ``log P(latin | token) − log P(latin)`` in nats (pointwise mutual information, a
    log likelihood ratio), under the learned context channel of the token's script.

    Ranking Latin names by it ranks them by ``P(token | latin)``: which of them would
    most likely be written as this token. ``-inf`` when nothing can align them.
    About 10 µs (compiled): used on a shortlist.

    >>> channel_pmi("Мария", "maria") > channel_pmi("Мария", "marina")
    True
    """
    return normalised_channel_pmi(normalize_text(token), latin)


def normalised_channel_pmi(token: str, latin: str) -> float:
    """:func:`channel_pmi` of a token already through ``normalize_text`` (as every
    name part of a profile is), without normalising or detecting its script again."""
    scorable = _scorable(token, latin)
    if scorable is None:
        return -math.inf
    channel, positions = scorable
    return channel.logprob(positions, latin) - _marginal(channel.name, latin)


def channel_logprob(token: str, latin: str) -> float:
    """``log P(latin | token)`` per native unit under the learned context channel of the
    token's script (the forward sum over every alignment); ``-inf`` when no alignment
    exists or the script has no channel."""
    scorable = _scorable(normalize_text(token), latin)
    if scorable is None:
        return -math.inf
    channel, positions = scorable
    return channel.logprob(positions, latin) / len(positions)


#: Letters European spellings write differently for about the same sound, folded in
#: order: "jeans" → "jins", "wynne" → "win", "stallone" → "stalon", "vancouver" →
#: "vankuver". A token's channel learned the spellings its train pairs happened to
#: use; a name it was rendered from may spell the same sounds another way.
_SOUND_FOLDS = tuple(
    (re.compile(pattern), repl)
    for pattern, repl in (
        ("sch", "sh"),
        ("ph", "f"),
        ("ck", "k"),
        ("th", "t"),
        ("gh", "g"),
        ("ee", "i"),
        ("ea", "i"),
        ("ie", "i"),
        ("oo", "u"),
        ("ou", "u"),
        ("c(?=[eiy])", "s"),
        ("c", "k"),
        ("q", "k"),
        ("x", "ks"),
        (r"([b-df-hj-np-tv-z])\1", r"\1"),  # doubled consonants
        ("(?<=[^aeiou])y(?=[^aeiou]|$)", "i"),  # y as a vowel
        ("(?<=[b-df-hj-np-tv-z])e$", ""),  # a silent final e
    )
)
#: What reading a Latin name by its folded spelling costs against its own (nats of
#: channel PMI): the fold is a guess at how the name sounds, so the spelling itself
#: wins when both explain the token alike. On held-out train pairs (check fifth),
#: Chinese rank-1 0.725 → 0.738 and recall@10 0.877 → 0.881.
SOUND_FOLD_COST = 1.0


def sound_fold(latin: str) -> str:
    """``latin`` (ASCII letters) with :data:`_SOUND_FOLDS` applied; "" when that changes
    nothing or leaves fewer than two letters.

    >>> sound_fold("jeans"), sound_fold("wynne"), sound_fold("li")
    ('jins', 'win', '')
    """
    folded = latin
    for pattern, repl in _SOUND_FOLDS:
        folded = pattern.sub(repl, folded)
    return folded if folded != latin and len(folded) >= 2 else ""


#: Channel PMI (nats) → the name comparator's similarity scale: linear between
#: anchors at the comparator's weak, close and strong thresholds (0.70, 0.78, 0.86),
#: approaching 1 above and 0 below without reaching them, so that every difference in
#: PMI stays a difference in similarity (ranks are kept). A spelling e^4 ≈ 55 times
#: likelier from the token than by chance agrees closely (transliteration); e^1 ≈ 2.7
#: times, roughly (close); down to e^-2, a resemblance (weak).
_PMI_WEAK, _PMI_CLOSE, _PMI_STRONG = -2.0, 1.0, 4.0
_SIM_WEAK, _SIM_CLOSE, _SIM_STRONG = 0.70, 0.78, 0.86
_PMI_TAIL = 10.0  # nats over which the remaining distance to 1 (or to 0) shrinks by e


def pmi_similarity(pmi: float) -> float:
    """A channel PMI on the comparator's 0..1 similarity scale (strictly increasing)."""
    if pmi >= _PMI_STRONG:
        return 1.0 - (1.0 - _SIM_STRONG) * math.exp(-(pmi - _PMI_STRONG) / _PMI_TAIL)
    if pmi >= _PMI_CLOSE:
        t = (pmi - _PMI_CLOSE) / (_PMI_STRONG - _PMI_CLOSE)
        return _SIM_CLOSE + (_SIM_STRONG - _SIM_CLOSE) * t
    if pmi >= _PMI_WEAK:
        t = (pmi - _PMI_WEAK) / (_PMI_CLOSE - _PMI_WEAK)
        return _SIM_WEAK + (_SIM_CLOSE - _SIM_WEAK) * t
    if pmi == -math.inf:
        return 0.0
    return _SIM_WEAK * math.exp((pmi - _PMI_WEAK) / _PMI_TAIL)


#: Scripts whose decoded readings are kept beside the channel (the better of the two
#: counts): a Han character stands for many spellings, and the decoder's Latin-side
#: context adds what the channel cannot see (on held-out train pairs: recall@10 0.85 →
#: 0.88 for Chinese; for the other scripts the channel alone ranks better).
_READINGS_TOO = frozenset({"han"})
#: The most a reading alone can give: the similarity of a channel PMI of about 7.4
#: nats. A reading that meets a Latin name exactly says the decoder would write it,
#: not which of several such names the token most likely stands for; the channel says
#: that, so above this level its order stands (伯斯: "boes" over "bos", 佐勒: "zoeller"
#: over "soler"). On held-out train pairs, Chinese rank-1 0.706 → 0.725, recall@10
#: unchanged (0.877).
_READINGS_CAP = 0.90


def channel_similarity(token: str, pmi: float, readings: float) -> float:
    """The similarity of a native ``token`` and a Latin spelling for the name
    comparator, from the spelling's :func:`channel_pmi` and the best similarity of the
    token's decoded readings to it (``readings``, counted up to ``_READINGS_CAP``).

    >>> channel_similarity("伯斯", 5.5, 1.0) == _READINGS_CAP
    True
    """
    sim = pmi_similarity(pmi)
    if detect_script(token) in _READINGS_TOO:
        return max(sim, min(readings, _READINGS_CAP))
    return sim

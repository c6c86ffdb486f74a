"""Person names: built once per profile, compared many times, keyed for blocking.

Decisions the scorer relies on (keep them stable):

* ``compare_names(query, candidate)`` returns a :class:`~matching.comparison.Comparison`
  with ``feature="name"`` and ``level`` one of, best first:

  - ``exact``: the same name parts, same script, after normalisation (order free);
  - ``transliteration``: the same name across scripts or romanisations: every part
    of the shorter name agrees closely with an accepted Latin reading of the other
    (王小明 / Wang Xiaoming, Chang / Zhang, Мария / Mariia, 伊莎貝拉 / Isabella);
  - ``strong``: every part of the shorter name matched closely (Latin on both sides);
  - ``close``: every part of the shorter name matched, some only roughly or by initial;
  - ``partial``: some parts match well (e.g. only the family name);
  - ``weak``: a rough resemblance of one part;
  - ``different``; ``missing`` when a side has no usable name.

  ``similarity`` (0..1) ranks pairs inside a level. A single name part against a
  name of several parts is at best ``partial``; initials alone at best ``weak``.
* How parts are compared: every Latin reading of one part against every reading of
  the other (mean of normalised edit similarity, a swap of neighbouring letters
  counting as one edit, and Jaro–Winkler), less 0.025 per nat
  of the reading's cost; Latin consonant skeletons that agree count as 0.86
  ("Ahmad"/"Ahmed"). A native part against a Latin part (when the readings come
  within 0.6) is scored by the script's learned context channel instead: how much
  likelier the Latin spelling is from the native token than by chance
  (``translit.channel_pmi``), on the similarity scale (``translit.channel_similarity``;
  for Han the better of that and the readings, a reading counting up to 0.90). Ranking
  Latin names by it ranks them by how likely each would be written as the token, far
  better than the readings. The channel also reads the Latin name as it sounds
  (``translit.sound_fold``: "Jeans" as "jins"), 1 nat dearer than the spelling, and
  the explanation says so when that reading decided.
* Rarity is a separate number: ``name_rarity(query, candidate)`` is the information
  (in bits) of the candidate's name parts that matched, from part frequencies
  estimated on the train split (a very common given name such as "john" is about
  6 bits, an unseen family name about 21; a full name adds its parts). The scorer
  adds weight for rare names and removes it for common ones; 0.0 when nothing matched.
* Speed (``bench/score_speed.py``): everything above that depends on one name is
  computed when the name set is built; a comparison remembers the result of each pair
  of parts by their content (bounded memo), answers parts with many forms with whole
  matrices computed in C, and passes over forms that cannot reach the weak threshold
  or beat the best pair so far (Jaro–Winkler, length and edit-similarity bounds). The
  levels, similarities, explanations and rarities are those of the plain loop over
  every form (``tests/unit/names_reference.py``, checked by ``test_names_fast_path``).
* ``name_keys(names)`` returns at most a few dozen strings: ``tr:<form>`` (a Latin
  form of one part, for pg_trgm and equality), ``sk:<skeleton>`` (consonant
  skeleton), ``ph:<metaphone>`` (phonetic code); a true match shares at least one key
  with its query for nearly every pair.
"""

from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import numpy as np
from rapidfuzz import process
from rapidfuzz.distance import OSA, JaroWinkler

from matching.comparison import Comparison
from matching.frequency import blended_share, listed_share, part_bits
from matching.normalize import (
    ascii_fold,
    detect_script,
    normalize_text,
    skeleton,
    sound_classes,
    split_particles,
    tokenize,
)
from matching.translit import (
    SOUND_FOLD_COST,
    Rendering,
    channel_similarity,
    has_channel_model,
    normalised_channel_pmi,
    pinyin_alternatives,
    pmi_similarity,
    sound_fold,
    token_renderings,
)
from matching.translit import (
    clear_memos as clear_translit_memos,
)

__all__ = [
    "LEVELS",
    "NameSet",
    "build_name_set",
    "clear_memos",
    "commonest_reading",
    "compare_names",
    "compare_names_with_rarity",
    "judge_names",
    "name_count_keys",
    "name_keys",
    "name_rarity",
    "unread_parts",
    "unread_said",
    "with_name_counts",
]

#: Levels of the name feature, best first.
LEVELS: tuple[str, ...] = (
    "exact",
    "transliteration",
    "strong",
    "close",
    "partial",
    "weak",
    "different",
    "missing",
)

_FORMS_PER_PART = 16
_COST_WEIGHT = 0.025  # similarity lost per nat of rendering cost
_MAX_NAMES = 12


@dataclass(frozen=True, slots=True)
class _Part:
    text: str  # the token as written (normalised)
    forms: tuple[str, ...]  # Latin forms, best first
    costs: tuple[float, ...]
    labels: tuple[str, ...]
    role: str  # "given", "family" or ""
    native: bool
    bits: float  # information content of the best form
    skels: tuple[str, ...] = ()  # consonant skeletons of the forms
    channel: bool = False  # an alphabetic learned model can score Latin spellings of it
    simple: bool = False  # one Latin form of two letters or more: the fast path
    #: Everything :func:`_part_sim` reads, as one string: two parts with the same key
    #: compare alike, so a pair's result can be remembered (see ``_PAIR_MEMO``).
    key: str = ""
    #: Costs as an array, for the many-readings path; None when that path cannot be
    #: used (a part with a single-letter form).
    cost_array: Any = field(default=None, compare=False, repr=False)
    lengths: tuple[int, ...] = ()  # of the forms
    shortest: int = 0
    longest: int = 0
    least_cost: float = 0.0
    #: A Latin part's first form as it sounds (:func:`sound_fold`), "" if the same: the
    #: learned channel also reads the name this way
    folded: str = ""


#: Name parts (and their forms) whose readings, rarity and keys are remembered: a
#: registry of a million people spells a few hundred thousand distinct name parts, and
#: a memo smaller than that is emptied faster than parts recur (bench/index_write.py).
_PART_MEMO = 1 << 19


@lru_cache(maxsize=_PART_MEMO)
def _with_skeletons(p: _Part) -> _Part:
    channel = p.native and has_channel_model(p.text)
    key = "\x1e".join(
        (
            ("N" if p.native else "L") + ("C" + p.text if channel else ""),
            "\x1f".join(p.forms),
            ",".join(map(repr, p.costs)),
        )
    )
    vectorisable = len(p.forms) > 2 and all(len(f) > 1 for f in p.forms)
    return _Part(
        p.text,
        p.forms,
        p.costs,
        p.labels,
        p.role,
        p.native,
        p.bits,
        tuple(skeleton(f) for f in p.forms),
        channel,
        not p.native and len(p.forms) == 1 and len(p.forms[0]) > 1,
        key,
        np.array(p.costs, dtype=np.float64) if vectorisable else None,
        tuple(len(f) for f in p.forms),
        min(len(f) for f in p.forms),
        max(len(f) for f in p.forms),
        min(p.costs),
        "" if p.native else sound_fold(p.forms[0]),
    )


@dataclass(frozen=True, slots=True)
class _Reading:
    original: str
    parts: tuple[_Part, ...]
    particles: tuple[str, ...]
    kind: str
    exact_key: tuple[str, ...]  # sorted normalised tokens
    note: str  # how this reading was obtained
    #: name parts in a script the matcher cannot read: kept for exact agreement and
    #: keys, and named in the explanation, never dropped without a word
    unread: tuple[str, ...] = ()
    #: the name with its hyphenated words read as one part each ("Gebre-Medhin" as
    #: Gebremedhin): compared, but gives no search keys of its own
    joined: bool = False


@dataclass(frozen=True, slots=True)
class NameSet:
    """All names of one person, every reading precomputed. Build with
    :func:`build_name_set`; compare with :func:`compare_names`."""

    readings: tuple[_Reading, ...]
    originals: tuple[str, ...]
    exact_keys: frozenset[tuple[str, ...]]
    #: Set by :func:`with_name_counts`: the information of the name's tradition in this
    #: gallery (``-log2`` of the share of its records that are of it), added once to an
    #: agreement whose parts' information is then counted within the tradition.
    tradition_bits: float = 0.0

    def __bool__(self) -> bool:
        return bool(self.readings)


def unread_parts(names: NameSet) -> tuple[str, ...]:
    """The name parts, over every name of the set, in a script the matcher cannot read
    (each once, in order): they are compared only as written and are to be reported.

    >>> unread_parts(build_name_set(["ᏣᎳᎩ Smith", "Ahmed"]))
    ('ᏣᎳᎩ',)
    >>> unread_parts(build_name_set(["ትግርኛ"]))
    ()
    """
    return tuple(dict.fromkeys(tok for r in names.readings for tok in r.unread))


# ------------------------------------------------------------------ frequencies


def _bits(form: str) -> float:
    """Information of a name part by the population prior alone (``matching.frequency``);
    a query is given the gallery's counts later (:func:`with_name_counts`)."""
    return _prior_bits(form)


@lru_cache(maxsize=_PART_MEMO)
def _prior_bits(form: str) -> float:
    return part_bits(form)


#: How many of a native-script part's Latin forms (best first) count as its plausible
#: spellings for :func:`commonest_reading`.
_COMMON_FORMS = 4


def commonest_reading(names: NameSet) -> NameSet:
    """The same names with each native-script part only as informative as the
    commonest of its first few Latin forms. An unrelated record agrees with a
    native-script name across scripts whenever it bears any spelling the name reads
    as, so how often that happens is set by the commonest one (尼尔森 by Nelson, not by
    Nilson): the same for every candidate, whichever spelling it bears. Latin parts are
    unchanged; without a native part the set itself is returned.

    >>> n = build_name_set(["Ahmed"])
    >>> commonest_reading(n) is n
    True
    """
    changed = False
    readings = []
    for r in names.readings:
        parts = []
        for p in r.parts:
            if p.native:
                least = min(p.bits, *(_prior_bits(f) for f in p.forms[:_COMMON_FORMS]))
                if least < p.bits:
                    p = dataclasses.replace(p, bits=least)
                    changed = True
            parts.append(p)
        readings.append(dataclasses.replace(r, parts=tuple(parts)))
    return dataclasses.replace(names, readings=tuple(readings)) if changed else names


# ------------------------------------------------------------------ building


@lru_cache(maxsize=_PART_MEMO)
def _latin_part(token: str, role: str) -> _Part | None:
    folded = ascii_fold(token).replace(" ", "")
    if not folded:
        return None
    forms = [folded]
    costs = [0.0]
    labels = ["Latin"]
    if len(folded) <= 6:
        for alt in pinyin_alternatives(folded):
            forms.append(alt)
            costs.append(0.5)
            labels.append("Wade–Giles/Cantonese→pinyin")
    return _Part(token, tuple(forms), tuple(costs), tuple(labels), role, False, _bits(folded))


def _native_part(token: str, renderings: Sequence[Rendering], role: str) -> _Part | None:
    forms: list[str] = []
    costs: list[float] = []
    labels: list[str] = []
    for r in renderings:
        latin = r.latin.replace(" ", "")
        if latin and latin not in forms:
            forms.append(latin)
            costs.append(r.cost)
            labels.append(r.label)
        if len(forms) >= _FORMS_PER_PART:
            break
    if not forms:
        return None
    return _Part(token, tuple(forms), tuple(costs), tuple(labels), role, True, _bits(forms[0]))


def _readings_of(text: str, kind: str, given: str, family: str) -> list[_Reading]:
    tokens = tokenize(text)
    parts_tokens, particles = split_particles(tokens)
    if not parts_tokens:
        return []
    given_toks = set(tokenize(given)) if given else set()
    family_toks = set(tokenize(family)) if family else set()

    def role_of(tok: str) -> str:
        if tok in family_toks:
            return "family"
        if tok in given_toks:
            return "given"
        return ""

    exact_key = tuple(sorted(parts_tokens))
    base: list[_Part] = []
    split_variants: list[tuple[int, list[_Part], str]] = []
    unread: list[str] = []
    for idx, tok in enumerate(parts_tokens):
        script = detect_script(tok)
        if script in ("latin", "other"):
            part = _latin_part(tok, role_of(tok))
            if part is not None:
                base.append(part)
            elif any(ch.isalpha() for ch in tok):
                unread.append(tok)
            continue
        rends = token_renderings(tok)
        whole = [r for r in rends if " " not in r.latin]
        part = _native_part(tok, whole or rends, role_of(tok))
        if part is not None:
            base.append(part)
        else:
            unread.append(tok)
        for r in rends:
            if " " in r.latin and r.label.startswith("Han→pinyin"):
                fam, _, giv = r.latin.partition(" ")
                fam_part = _Part(tok, (fam,), (r.cost,), (r.label,), "family", True, _bits(fam))
                giv_part = _Part(tok, (giv,), (r.cost,), (r.label,), "given", True, _bits(giv))
                split_variants.append((idx, [fam_part, giv_part], f"{r.latin} ({r.label})"))
                break
    if not base and not unread:
        return []
    readings = [_Reading(text, tuple(base), particles, kind, exact_key, "", tuple(unread))]
    # "Siu Ming" / "Xiao-Ming": a given name written as separate syllables
    if len(base) == 3 and all(not p.native and len(p.forms[0]) <= 5 for p in base):
        combos: dict[str, float] = {}
        for f1, c1 in zip(base[1].forms, base[1].costs, strict=True):
            for f2, c2 in zip(base[2].forms, base[2].costs, strict=True):
                combos.setdefault(f1 + f2, c1 + c2)
        merged = _Part(
            base[1].text + " " + base[2].text,
            tuple(combos),
            tuple(combos.values()),
            tuple("Latin" if v == 0 else "Wade–Giles/Cantonese→pinyin" for v in combos.values()),
            "given",
            False,
            _bits(base[1].forms[0] + base[2].forms[0]),
        )
        readings.append(
            _Reading(text, (base[0], merged), particles, kind, exact_key, "", tuple(unread))
        )
    for idx, pieces, note in split_variants[:1]:
        if idx < len(base):
            parts = [*base[:idx], *pieces, *base[idx + 1 :]]
            readings.append(
                _Reading(text, tuple(parts), particles, kind, exact_key, note, tuple(unread))
            )
    return [
        _Reading(
            r.original,
            tuple(_with_skeletons(p) for p in r.parts),
            r.particles,
            r.kind,
            r.exact_key,
            r.note,
            r.unread,
        )
        for r in readings
    ]


#: A hyphen between two letters: "Gebre-Medhin", "Al-Hassan", "Xiao-Ming".
_HYPHEN_RE = re.compile(r"(?<=\w)[\-\u2010-\u2015](?=\w)")


def _joined_reading(
    text: str, kind: str, given: str, family: str, split: Sequence[_Reading]
) -> list[_Reading]:
    """The name with each hyphenated word as one part, when it has one: records write
    Gebre-Medhin and Gebremedhin, Al-Hassan and Alhassan for the same name, and read
    apart "Gebre Medhin" would agree with "Gebremedhin" only in part. At most one
    reading; it gives no search keys (the split reading's keys find the record).

    >>> name = "Aster Gebre-Medhin"
    >>> split = _readings_of(name, "primary", "", "")
    >>> [p.forms[0] for p in _joined_reading(name, "primary", "", "", split)[0].parts]
    ['aster', 'gebremedhin']
    >>> _joined_reading("Aster Gebremedhin", "primary", "", "", [])
    []
    """
    joined = _HYPHEN_RE.sub("", text)
    if joined == text or not split:
        return []
    found = _readings_of(joined, kind, _HYPHEN_RE.sub("", given), _HYPHEN_RE.sub("", family))
    if not found:
        return []
    # Read as one part, a hyphenated word never says more than its pieces read apart:
    # "Alhassan" is in no name list, yet it is as common as Hassan.
    budget: dict[str, float] = {}
    words = [w for w in text.split() if _HYPHEN_RE.search(w)]
    for word in words:
        one = tokenize(_HYPHEN_RE.sub("", word))
        if len(one) == 1:
            pieces = set(tokenize(word))
            budget[one[0]] = sum(p.bits for p in split[0].parts if p.text in pieces)
    parts = tuple(
        dataclasses.replace(p, bits=min(p.bits, budget[p.text])) if p.text in budget else p
        for p in found[0].parts
    )
    note = f"{' '.join(words)} read as one part"
    return [dataclasses.replace(found[0], original=text, parts=parts, note=note, joined=True)]


def build_name_set(names: Sequence[str | Mapping[str, str]]) -> NameSet:
    """Every name variant of one person, normalised and read into Latin once.

    ``names`` holds strings or mappings with ``full``, ``given``, ``family`` and
    ``kind`` (primary, alias, birth).

    >>> bool(build_name_set(["王小明", {"given": "Xiaoming", "family": "Wang"}]))
    True
    """
    readings: list[_Reading] = []
    originals: list[str] = []
    for item in list(names)[:_MAX_NAMES]:
        if isinstance(item, str):
            full, given, family, kind = item, "", "", "primary"
        elif isinstance(item, Mapping):
            given = str(item.get("given") or "")
            family = str(item.get("family") or "")
            full = str(item.get("full") or " ".join(x for x in (given, family) if x))
            kind = str(item.get("kind") or "primary")
        else:
            continue
        if not full.strip():
            continue
        full = full[:300]
        found = _readings_of(full, kind, given, family)
        if found:
            readings.extend(found)
            originals.append(full)
            readings.extend(_joined_reading(full, kind, given, family, found))
    keys = frozenset(r.exact_key for r in readings)
    return NameSet(tuple(readings), tuple(originals), keys)


def name_count_keys(names: NameSet) -> frozenset[str]:
    """The search keys (``tr:<form>``) whose gallery counts :func:`with_name_counts`
    reads: each part's best Latin form."""
    return frozenset(
        f"tr:{p.forms[0]}" for r in names.readings for p in r.parts if len(p.forms[0]) >= 2
    )


def with_name_counts(names: NameSet, counts: Mapping[str, int], gallery_size: int) -> NameSet:
    """The same names with each part's information blended with the gallery's counts:
    ``counts`` maps ``tr:<form>`` keys to the number of the ``gallery_size`` records
    bearing that form (see :func:`matching.frequency.blended_share`). A part the gallery
    holds often weighs less than the prior alone would say.

    Name parts are not independent across a mixed gallery: whoever bears Hoang is most
    likely Vietnamese, and then bears Ngoc and Lan far more often than the gallery's
    shares say. So the tradition's share of the gallery is estimated from the name's
    listed common parts (their gallery share over their share in the tradition), each
    part's information is counted within the tradition, and the tradition's own
    information is added once (``tradition_bits``): the joint share is the first part's
    gallery share times the others' shares within the tradition.

    >>> n = build_name_set(["Zhanibekov"])
    >>> common = with_name_counts(n, {"tr:zhanibekov": 900}, 20_000)
    >>> common.readings[0].parts[0].bits < n.readings[0].parts[0].bits
    True
    """
    if gallery_size <= 0 or not names.readings:
        return names
    forms = {p.forms[0]: int(counts.get(f"tr:{p.forms[0]}", 0)) for r in names.readings
             for p in r.parts}  # fmt: skip
    shares = {form: blended_share(form, count, gallery_size) for form, count in forms.items()}
    tradition = 1.0
    for form, share in shares.items():
        listed = listed_share(form)
        if listed is not None and listed >= _TRADITION_MARKER:
            tradition = min(tradition, share / listed)
    tradition = max(tradition, _LEAST_TRADITION)
    readings = tuple(
        dataclasses.replace(
            r,
            parts=tuple(
                dataclasses.replace(
                    p, bits=round(-math.log2(min(shares[p.forms[0]] / tradition, 0.5)), 3)
                )
                for p in r.parts
            ),
        )
        for r in names.readings
    )
    return NameSet(
        readings, names.originals, names.exact_keys, max(round(-math.log2(tradition), 3), 0.0)
    )


#: A listed part at least this common in its tradition marks the name's tradition.
_TRADITION_MARKER = 0.01
#: The smallest share of a gallery taken for one tradition.
_LEAST_TRADITION = 1 / 64


# ------------------------------------------------------------------ comparing


_jw = JaroWinkler.similarity
#: Edit similarity counts two neighbouring letters swapped as one edit (optimal string
#: alignment), as typists and transcribers most often make it: with plain Levenshtein
#: "Iirna"/"Irina" or "Olag"/"Olga" scored as two edits and fell below every level
#: that says the part agrees (0.77 < 0.78), leaving "Irina Ivanova" only a partial
#: match of itself with a typo.
_lev = OSA.normalized_similarity


def _cdist() -> tuple[Any, Any]:
    """rapidfuzz's compiled cdist without its Python wrapper (a few µs a call), and its
    float64 dtype; the public ``process.cdist`` in a build without the C++ module."""
    try:
        import rapidfuzz.process_cpp_impl as cpp  # type: ignore[import-not-found]
    except ImportError:  # pragma: no cover - a rapidfuzz build without the C++ module
        return process.cdist, np.float64
    return cpp.cdist, cpp.FLOAT64


_cdist_impl, _FLOAT64 = _cdist()


def _matrix(a: Sequence[str], b: Sequence[str], scorer: Any) -> Any:
    """``process.cdist(a, b, scorer=scorer, dtype=np.float64)``."""
    return np.asarray(_cdist_impl(a, b, scorer=scorer, dtype=_FLOAT64))


def _form_sim(a: str, b: str) -> float:
    if a == b:
        return 1.0
    if len(a) == 1 or len(b) == 1:
        return 0.0
    jw = _jw(a, b)
    if jw < 0.5:
        return jw  # far apart either way: spare the edit distance
    return 0.5 * (_lev(a, b) + jw)


#: Results of :func:`_part_sim` by the two parts' keys: common name parts meet again
#: and again (the same query part against every candidate, "smith" against "smith").
#: Bounded: cleared when full.
_PAIR_MEMO: dict[tuple[str, str], tuple[float, int, int]] = {}
_PAIR_MEMO_SIZE = 1 << 15  # about 6 MB full (keys are the parts' own strings)
#: channel_pmi by (native token, Latin spelling), bounded the same way.
#: Each value also says whether the PMI came from the spelling's sounds.
_CHANNEL_MEMO: dict[tuple[str, str], tuple[float, bool]] = {}
_CHANNEL_MEMO_SIZE = 1 << 14


def clear_memos() -> None:
    """Forget remembered part comparisons and channel scores, and what the channel
    itself remembered (:func:`matching.translit.clear_memos`), for benchmarks
    measuring cold work."""
    _PAIR_MEMO.clear()
    _CHANNEL_MEMO.clear()
    clear_translit_memos()


def _part_sim(q: _Part, c: _Part) -> tuple[float, int, int]:
    """Best similarity of two parts over their forms, less the rendering cost, and the
    forms that gave it. Exact from the weak threshold up (``_WEAK_T``, the only values
    :func:`_compare_readings` reads); below it, only that it is below."""
    key = (q.key, c.key)
    found = _PAIR_MEMO.get(key)
    if found is None:
        found = _remember(key, q, c)
    return found


def _remember(key: tuple[str, str], q: _Part, c: _Part) -> tuple[float, int, int]:
    found = _part_sim_uncached(q, c)
    if len(_PAIR_MEMO) >= _PAIR_MEMO_SIZE:
        _PAIR_MEMO.clear()
    _PAIR_MEMO[key] = found
    return found


def _part_sim_uncached(q: _Part, c: _Part) -> tuple[float, int, int]:
    qf, cf = q.forms, c.forms
    if q.simple and c.simple:  # the common case, kept short
        x, y = qf[0], cf[0]
        if x == y:
            s = 1.0
        else:
            s = _jw(x, y)
            if s >= 0.5:
                s = 0.5 * (_lev(x, y) + s)
            if s < _SKELETON_SIM and x[0] == y[0]:
                sk = q.skels[0]
                if len(sk) >= 3 and sk == c.skels[0]:
                    s = _SKELETON_SIM
        return s - _COST_WEIGHT * (q.costs[0] + c.costs[0]), 0, 0
    # initials: "J" against "John"
    if len(qf[0]) == 1 or len(cf[0]) == 1:
        if qf[0][0] == cf[0][0]:
            return _INITIAL_SIM, 0, 0
        return 0.0, 0, 0
    best = -1.0
    bi = bj = 0
    qc, cc = q.costs, c.costs
    qs, cs = q.skels, c.skels
    # vowel-tolerant: "Ahmad"/"Ahmed", "Mohammed"/"Muhamad" (native readings already
    # carry their vowel variants in the n-best list)
    both_latin = not q.native and not c.native
    if both_latin and len(qf) == 1 and len(cf) == 1:  # the common case, kept short
        s = _form_sim(qf[0], cf[0])
        if s < _SKELETON_SIM and len(qs[0]) >= 3 and qs[0] == cs[0] and qf[0][0] == cf[0][0]:
            s = _SKELETON_SIM
        return s - _COST_WEIGHT * (qc[0] + cc[0]), 0, 0
    if len(qf) * len(cf) > 6:
        # many readings: the few nearest of the longer list by Jaro–Winkler, looked at
        # closely
        swap = (len(cf), cf) < (len(qf), qf)  # iterate the shorter list, either way round
        op, ip = (c, q) if swap else (q, c)
        # below this the similarity is never read (see _part_sim): the learned model
        # lifts a pair from _CHANNEL_GATE up, any other pair counts from _WEAK_T
        need = _CHANNEL_GATE if q.native != c.native and (q.channel or c.channel) else _WEAK_T
        if len(op.forms) > 2 and op.cost_array is not None and ip.cost_array is not None:
            best, a, b = _nearest_many(op, ip, need)
        else:
            best, a, b = _nearest_few(op, ip, need)
        bi, bj = (b, a) if swap else (a, b)
    else:
        for j, fc in enumerate(cf):
            for i, fq in enumerate(qf):
                penalty = _COST_WEIGHT * (qc[i] + cc[j])
                if 1.0 - penalty <= best:
                    continue
                s = _form_sim(fq, fc)
                if (
                    s < _SKELETON_SIM
                    and both_latin
                    and len(qs[i]) >= 3
                    and qs[i] == cs[j]
                    and fq[0] == fc[0]
                ):
                    s = _SKELETON_SIM
                s -= penalty
                if s > best:
                    best, bi, bj = s, i, j
    if best >= _CHANNEL_GATE and q.native != c.native and (q.channel or c.channel):
        # how much likelier the learned channel makes the Latin spelling than chance
        # ranks far better than string similarity to a few readings
        # (bench/xscript_names.py); mapped so that the level thresholds keep their meaning
        nat, lat = (q, c) if q.native else (c, q)
        best = channel_similarity(nat.text, _channel_pmi(nat, lat)[0], best)
    return best, bi, bj


def _channel_pmi(nat: _Part, lat: _Part) -> tuple[float, bool]:
    """The channel PMI of a Latin part's spelling for a native part, or of the
    spelling's sounds less :data:`SOUND_FOLD_COST` when that is higher, and whether it
    was the sounds (for the explanation). Remembered."""
    ckey = (nat.text, lat.forms[0])
    found = _CHANNEL_MEMO.get(ckey)
    if found is None:
        lp = normalised_channel_pmi(nat.text, lat.forms[0])
        sounded = False
        if lat.folded:
            sounds = normalised_channel_pmi(nat.text, lat.folded) - SOUND_FOLD_COST
            if sounds > lp:
                lp, sounded = sounds, True
        if len(_CHANNEL_MEMO) >= _CHANNEL_MEMO_SIZE:
            _CHANNEL_MEMO.clear()
        found = _CHANNEL_MEMO[ckey] = (lp, sounded)
    return found


def _nearest_few(op: _Part, ip: _Part, need: float) -> tuple[float, int, int]:
    """For each form of ``op``, the ``_NEAREST`` forms of ``ip`` by Jaro–Winkler (ties
    by position); the best of those by form similarity less the costs, and its forms.

    Exact when the best reaches ``need``; below it only "below" is certain, which lets
    forms be passed over: under 0.5 Jaro–Winkler a form scores its Jaro–Winkler (< 0.5);
    and two forms of lengths ``m <= n`` are at most ``m/n`` alike by edits, so a form
    whose similarity cannot beat the best so far or reach ``need`` is not looked at
    closely (nor, when no inner form's length allows it, searched at all).
    """
    best = -1.0
    bi = bj = 0
    inner, ic, lengths = ip.forms, ip.costs, ip.lengths
    shortest, longest = ip.shortest, ip.longest
    floor = need - 1e-9 + _COST_WEIGHT * ip.least_cost
    for a, fa in enumerate(op.forms):
        oca = op.costs[a]
        la = op.lengths[a]
        # Jaro <= (2 + m/n) / 3, Jaro–Winkler <= 0.6 Jaro + 0.4 and edit similarity
        # <= m/n: two forms score at most 0.4 + 0.6 m/n
        ratio = la / shortest if la < shortest else longest / la if la > longest else 1.0
        if 0.4 + 0.6 * ratio - _COST_WEIGHT * oca < floor:
            continue
        for fb, jw, b in process.extract(fa, inner, scorer=_jw, limit=_NEAREST, score_cutoff=0.5):
            penalty = _COST_WEIGHT * (oca + ic[b])
            lb = lengths[b]
            bound = 0.5 * (jw + (la / lb if la < lb else lb / la)) - penalty + 1e-9
            if bound <= best or bound < need:
                continue
            if fa == fb:
                s = 1.0
            elif la == 1 or lb == 1:
                continue  # 0.0
            else:
                s = 0.5 * (_lev(fa, fb) + jw)
            s -= penalty
            if s > best:
                best, bi, bj = s, a, b
    return best, bi, bj


def _nearest_many(op: _Part, ip: _Part, need: float) -> tuple[float, int, int]:
    """:func:`_nearest_few` on whole matrices in C and numpy, for parts with many
    forms (no form of one letter on either side). Same result, same ties: a stable
    sort keeps equal scores in position order as ``process.extract`` does, and the
    first maximum in row order wins as the loop's strict comparison does. A pair of
    parts none of whose forms come within ``need`` is answered without the sort."""
    outer, inner, oc, ic = op.forms, ip.forms, op.cost_array, ip.cost_array
    lev = _matrix(outer, inner, _lev)
    floor = need - 1e-9 + _COST_WEIGHT * (op.least_cost + ip.least_cost)
    # the largest value by ``argmax`` and ``item``: a quarter of the time ``max`` takes on
    # a matrix this small (ufunc reduction machinery), the same value
    if 0.5 * (1.0 + float(lev.item(lev.argmax()))) < floor:  # Jaro–Winkler is at most 1
        return -1.0, 0, 0
    jw = _matrix(outer, inner, _jw)
    both = jw + lev
    if 0.5 * float(both.item(both.argmax())) < floor:
        return -1.0, 0, 0
    k = min(_NEAREST, len(inner))
    order = np.argsort(-jw, axis=1, kind="stable")[:, :k]
    rows = np.arange(len(outer))[:, None]
    jw_k = jw[rows, order]
    s = np.where(jw_k < 0.5, jw_k, 0.5 * (lev[rows, order] + jw_k))
    s -= _COST_WEIGHT * (oc[:, None] + ic[order])
    flat = int(s.argmax())
    a, t = divmod(flat, k)
    return float(s[a, t]), a, int(order[a, t])


_CHANNEL_GATE = 0.6
_NEAREST = 4  # readings of a part looked at closely, by Jaro–Winkler


_Aligned = tuple[float, int, int, int, int]  # similarity, part i, part j, form i, form j


_INITIAL_SIM = 0.8
_SKELETON_SIM = 0.86
_EXACT_T = 0.999
_STRONG_T = 0.86
_CLOSE_T = 0.78
_WEAK_T = 0.70


#: A reading pair judged: (rank of the level, -similarity, level, similarity, bits,
#: aligned parts). Tuples order by the first two fields, as :func:`_best` wants.
_Judged = tuple[int, float, str, float, float, tuple[_Aligned, ...]]


def _compare_readings(q: _Reading, c: _Reading) -> _Judged:
    qparts, cparts = q.parts, c.parts
    memo = _PAIR_MEMO
    # only pairs of parts at the weak threshold or above take part in the alignment
    pairs: list[tuple[float, int, int, int, int]] = []
    for i, qp in enumerate(qparts):
        qk = qp.key
        for j, cp in enumerate(cparts):
            key = (qk, cp.key)
            r = memo.get(key)
            if r is None:
                r = _remember(key, qp, cp)
            if r[0] >= _WEAK_T:
                pairs.append((-r[0], i, j, r[1], r[2]))
    if not pairs:
        return _DIFFERENT
    nq, nc = len(qparts), len(cparts)
    if len(pairs) > 1:
        pairs.sort()  # best first, ties by part position (i, j are unique)
        used_q: set[int] = set()
        used_c: set[int] = set()
        matched: list[_Aligned] = []
        for ns, i, j, fi, fj in pairs:
            if i in used_q or j in used_c:
                continue
            used_q.add(i)
            used_c.add(j)
            matched.append((-ns, i, j, fi, fj))
    else:
        ns, i, j, fi, fj = pairs[0]
        matched = [(-ns, i, j, fi, fj)]
    shorter = min(nq, nc)
    # weights: longer parts carry more evidence, extra parts weigh little
    total_w = 0.0
    weighted = 0.0
    n_good = n_fair = 0
    bits = 0.0
    exact_forms = True
    native = rendered = False
    longest_good = 0
    initials_only = True
    for m in matched:
        sim, i, j, fi, fj = m
        qp, cp = qparts[i], cparts[j]
        n = qp.lengths[fi] + cp.lengths[fj]
        w = float(min(n, 24) + 4)
        total_w += w
        weighted += sim * w
        if sim >= _CLOSE_T:
            n_fair += 1
            # the commoner reading of the part decides (the query's carries the
            # gallery's counts, a stored candidate's the prior alone)
            bits += qp.bits if qp.bits < cp.bits else cp.bits
            if qp.lengths[0] != 1 and cp.lengths[0] != 1:
                initials_only = False
            if sim >= _STRONG_T:
                n_good += 1
                if qp.lengths[fi] > longest_good:
                    longest_good = qp.lengths[fi]
        if sim < 1.0 - 1e-9:
            exact_forms = False
        if qp.native or cp.native:
            native = True
        if (
            qp.costs[fi] > 0
            or cp.costs[fj] > 0
            or qp.labels[fi] != "Latin"
            or cp.labels[fj] != "Latin"
        ):
            rendered = True
    mean_sim = weighted / (total_w or 1.0)
    coverage = n_fair / shorter if shorter else 0.0
    extra = (nq + nc - 2 * n_fair) / max(nq + nc, 1)
    similarity = max(0.0, min(1.0, mean_sim * (0.75 + 0.25 * coverage) - 0.08 * extra))
    if shorter == 1 and max(nq, nc) > 1:
        shorter = 2  # one name against several: at best a partial match
    if n_fair == shorter and shorter and n_good == shorter:
        # across scripts, every accepted reading that agrees closely is a
        # transliteration; the similarity (less the reading's cost) ranks them
        if exact_forms and not native and not rendered and nq == nc:
            level = "exact"
        elif native or rendered:
            level = "transliteration"
        else:
            level = "strong"
    elif n_fair == shorter and shorter:
        level = "close"
    elif n_good and longest_good >= 3:
        level = "partial"
    else:
        level = "weak"
    if initials_only and (level == "close" or level == "partial"):
        level = "weak"  # initials alone say little
    similarity = round(similarity, 6)
    return _RANK[level], -similarity, level, similarity, round(bits, 3), tuple(matched)


_DIFFERENT: _Judged = (LEVELS.index("different"), -0.0, "different", 0.0, 0.0, ())


_TAILS = {
    "exact": "all parts agree",
    "transliteration": "all parts agree across scripts",
    "strong": "all parts agree closely",
    "close": "all parts agree, some only roughly or by initial",
    "weak": "only a rough resemblance",
    "different": "no part agrees",
}


def _describe(
    level: str,
    q: _Reading,
    c: _Reading,
    matched: Sequence[_Aligned],
    nq: int,
    nc: int,
) -> str:
    how: list[str] = [q.note or c.note] if q.note or c.note else []
    for sim, i, j, fi, fj in matched:
        qp, cp = q.parts[i], c.parts[j]
        if qp.native or qp.labels[fi] != "Latin":
            how.append(f"{qp.text} → {qp.forms[fi]} ({qp.labels[fi]})")
        if cp.native or cp.labels[fj] != "Latin":
            how.append(f"{cp.text} → {cp.forms[fj]} ({cp.labels[fj]})")
        if qp.native != cp.native:
            nat, lat = (qp, cp) if qp.native else (cp, qp)
            # every such pair that agrees was judged by the channel (above the gate)
            if lat.folded and nat.channel and _sounds_decided(nat, lat, sim):
                how.append(f"{lat.text} sounds like {lat.folded}, a likely spelling of {nat.text}")
    if level == "partial":
        tail = f"{len(matched)} of {max(nq, nc)} parts agree"
    else:
        tail = _TAILS[level]
        if nq != nc and (level == "exact" or level == "transliteration" or level == "strong"):
            more = abs(nq - nc)
            tail += f" (the other name has {more} more part{'s' if more > 1 else ''})"
    if not how:
        return tail[:1].upper() + tail[1:]
    head = "; ".join(dict.fromkeys(how)) if len(how) > 1 else how[0]
    return f"{head}; {tail}"


def _sounds_decided(nat: _Part, lat: _Part, sim: float) -> bool:
    """Whether a cross-script part pair of similarity ``sim`` owes it to the Latin
    part's sounds: the channel read them better than the spelling, and its reading is
    the similarity (not a Han token's decoded readings)."""
    lp, sounded = _channel_pmi(nat, lat)
    return sounded and pmi_similarity(lp) >= sim


_RANK = {lvl: i for i, lvl in enumerate(LEVELS)}


def _best(query: NameSet, candidate: NameSet) -> tuple[_Judged, _Reading, _Reading]:
    if len(query.readings) == 1 and len(candidate.readings) == 1:
        q, c = query.readings[0], candidate.readings[0]
        return _compare_readings(q, c), q, c
    best: _Judged | None = None
    bq = bc = query.readings[0]
    for q in query.readings:
        for c in candidate.readings:
            m = _compare_readings(q, c)
            if best is None or m[0] < best[0] or (m[0] == best[0] and m[1] < best[1]):
                best, bq, bc = m, q, c
    assert best is not None
    return best, bq, bc


def _exact_bits(
    query: NameSet, candidate: NameSet, key: tuple[str, ...]
) -> tuple[float, _Reading, _Reading]:
    qr = next(r for r in query.readings if r.exact_key == key)
    cr = next(r for r in candidate.readings if r.exact_key == key)
    return min(sum(p.bits for p in cr.parts), sum(p.bits for p in qr.parts)), qr, cr


def judge_names(
    query: NameSet, candidate: NameSet
) -> tuple[tuple[str, str | None, str | None, str, float], float]:
    """:func:`compare_names_with_rarity` as a judgement tuple (level, query name,
    candidate name, detail, similarity) and the rarity, for the scorer's hot loop."""
    if not query.readings or not candidate.readings:
        qo = query.originals[0] if query.originals else None
        co = candidate.originals[0] if candidate.originals else None
        return ("missing", qo, co, "No usable name on one side", 0.0), 0.0
    if not query.exact_keys.isdisjoint(candidate.exact_keys):
        # of the names both sides bear exactly, the one that says the most
        bits, qr, cr = max(
            (_exact_bits(query, candidate, key) for key in query.exact_keys & candidate.exact_keys),
            key=lambda found: (found[0], not found[1].joined, found[1].exact_key),
        )
        bits += query.tradition_bits
        joined = dict.fromkeys(r.note for r in (qr, cr) if r.joined)
        detail = f"{'; '.join(joined)}; all parts agree" if joined else "All parts agree"
        return ("exact", qr.original, cr.original, detail, 1.0), round(bits, 3)
    (_, _, level, similarity, bits, matched), q, c = _best(query, candidate)
    detail = (
        _describe(level, q, c, matched, len(q.parts), len(c.parts)) if matched else "No part agrees"
    )
    level, detail = unread_said(level, detail, q, c)
    if bits > 0:
        bits = round(bits + query.tradition_bits, 3)
    return (
        (level, q.original, c.original, detail, similarity),
        bits if level not in ("weak", "different", "missing") else 0.0,
    )


def unread_said(level: str, detail: str, q: _Reading, c: _Reading) -> tuple[str, str]:
    """The level and explanation once the parts neither side could read are named:
    a name with nothing readable against another compares as ``missing``, not
    ``different``; agreement of the read parts is not ``exact`` when the unread parts
    differ; each unread part is said in the explanation.

    >>> compare_names(build_name_set(["Ꭰ"]), build_name_set(["Ali"])).detail
    "No readable name part on one side; part 'Ꭰ' in an unsupported script was not compared"
    >>> compare_names(build_name_set(["Ali Ꭰ"]), build_name_set(["Ali"])).level
    'strong'
    """
    if not q.unread and not c.unread:
        return level, detail
    if level == "different" and (not q.parts or not c.parts):
        level, detail = "missing", "No readable name part on one side"
    elif level == "exact" and sorted(q.unread) != sorted(c.unread):
        level = "strong"  # the parts read agree, but a part not read is not the same
    notes = [
        f"part '{t}' in an unsupported script was not compared" for t in (*q.unread, *c.unread)
    ]
    return level, "; ".join([detail, *dict.fromkeys(notes)])


def compare_names_with_rarity(query: NameSet, candidate: NameSet) -> tuple[Comparison, float]:
    """:func:`compare_names` and :func:`name_rarity` in one pass."""
    (level, q, c, detail, similarity), bits = judge_names(query, candidate)
    return Comparison("name", level, q, c, detail, similarity), bits


def compare_names(query: NameSet, candidate: NameSet) -> Comparison:
    """The best agreement between any name of ``query`` and any of ``candidate``.

    >>> compare_names(build_name_set(["Chang Wei"]), build_name_set(["张伟"])).level
    'transliteration'
    """
    return compare_names_with_rarity(query, candidate)[0]


def name_rarity(query: NameSet, candidate: NameSet) -> float:
    """Information (bits) of the candidate name parts that matched the query."""
    return compare_names_with_rarity(query, candidate)[1]


# ------------------------------------------------------------------ keys


def _phonetic(form: str) -> str:
    try:
        import jellyfish

        return str(jellyfish.metaphone(form)).lower()
    except Exception:
        return ""


def _add_form_keys(keys: set[str], form: str, *, trigram: bool) -> None:
    if len(form) < 2:
        return
    if trigram:
        keys.add("tr:" + form)
    keys.update(_form_keys(form))


@lru_cache(maxsize=_PART_MEMO)
def _form_keys(form: str) -> tuple[str, ...]:
    """The ``sk:``, ``ph:`` and ``sc:`` keys of one Latin form."""
    keys: list[str] = []
    sk = skeleton(form)
    if len(sk) >= 2:
        keys.append("sk:" + sk)
    ph = _phonetic(form)
    if len(ph) >= 2:
        keys.append("ph:" + ph)
    for sc in sound_classes(form):
        if len(sc) >= 2:
            keys.append("sc:" + sc)
        if len(sc) >= 4:
            # a final consonant heard or lost: "strabon" for Strabo, "spense" for Spencer
            keys.append("sc:" + sc[:-1])
    return tuple(keys)


def name_keys(names: NameSet, *, per_part: int = 16) -> frozenset[str]:
    """Blocking keys for candidate search, per name part and reading:

    * ``tr:<form>`` a Latin form (the best three readings of a native part), for
      equality and pg_trgm similarity;
    * ``sk:<skeleton>`` its consonant skeleton (vowels and doubling dropped);
    * ``ph:<metaphone>`` its phonetic code;
    * ``sc:<classes>`` its consonant classes (:func:`matching.normalize.sound_classes`),
      and, from four classes on, the same without the last: the coarse key that finds
      a reading differing in voicing, ``l``/``r``, ``m``/``n`` or a final consonant
      (the rarity weights of blocking keep it from outweighing the finer ones);
    * ``nt:<token>`` a native-script part as written (normalised), and a part in a
      script the matcher cannot read: an exact copy always shares a key.

    Skeleton and phonetic keys come from the best ``per_part`` readings of a native
    part; they collapse the spelling variants, so a person has tens of keys. A Latin
    part also has the three keys of its spelling as it sounds (``sound_fold``: "Jeans"
    is found as "jins", a reading of 金斯), as the comparator reads it.

    >>> sorted(name_keys(build_name_set(["Ahmed"])))
    ['ph:amt', 'sc:nd', 'sk:hmd', 'tr:ahmed']
    """
    keys: set[str] = set()
    for reading in names.readings:
        if reading.joined:
            continue
        for part in reading.parts:
            n = per_part if part.native else len(part.forms)
            for rank, form in enumerate(part.forms[:n]):
                _add_form_keys(keys, form, trigram=rank < 3)
            if part.folded:
                _add_form_keys(keys, part.folded, trigram=True)
            if part.native:
                keys.add("nt:" + part.text)
        keys.update("nt:" + tok for tok in reading.unread)
    return frozenset(keys)


def _debug_forms(names: NameSet) -> list[list[str]]:  # pragma: no cover - for the bench
    return [[p.forms[0] for p in r.parts] for r in names.readings]


def normalise_for_display(text: str) -> str:
    """The normalised form of a name as the matcher sees it."""
    return normalize_text(text)

"""Name normalisation: Unicode forms, scripts, tokens, particles and titles.

Everything here is total: any ``str`` (empty, mixed scripts, lone combining marks,
emoji, surrogates, very long) gives a result and never an exception.

>>> tokenize("Dr. Ahmad  bin Al-Rashid")
['ahmad', 'bin', 'al', 'rashid']
>>> split_particles(tokenize("Dr. Ahmad bin Al-Rashid"))
(('ahmad', 'rashid'), ('bin', 'al'))
>>> detect_script("王小明")
'han'
>>> ascii_fold("Müller-Šoljan")
'muller soljan'
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from typing import Any

__all__ = [
    "GERESH",
    "PARTICLES",
    "RULE_SCRIPTS",
    "TITLES",
    "ascii_fold",
    "ascii_letters",
    "attach_geresh",
    "detect_script",
    "normalize_text",
    "script_of_char",
    "skeleton",
    "sound_classes",
    "split_particles",
    "tokenize",
]

#: Connecting words kept as features but not as name parts (Latin and native forms).
PARTICLES: frozenset[str] = frozenset(
    {
        # Arabic, Persian, Hebrew in Latin letters
        "al",
        "el",
        "ul",
        "bin",
        "ben",
        "ibn",
        "bint",
        "bat",
        "abu",
        "abou",
        "umm",
        "ould",
        "bou",
        # European
        "van",
        "von",
        "der",
        "den",
        "de",
        "del",
        "della",
        "di",
        "da",
        "das",
        "dos",
        "do",
        "du",
        "la",
        "le",
        "ter",
        "ten",
        "zu",
        "y",
        "e",
        "mac",
        "af",
        "av",
        # native script forms
        "بن",
        "بنت",
        "ابن",
        "ابو",
        "أبو",
        "بو",
        "ال",
        "בן",
        "בת",
        "фон",
        "ван",
        "де",
    }
)

#: Titles and honorifics dropped from names.
TITLES: frozenset[str] = frozenset(
    {
        "mr",
        "mrs",
        "ms",
        "miss",
        "mx",
        "dr",
        "prof",
        "sir",
        "dame",
        "lord",
        "lady",
        "sheikh",
        "shaikh",
        "sheik",
        "haji",
        "hajji",
        "hadji",
        "sayyid",
        "sayed",
        "mullah",
        "herr",
        "frau",
        "mme",
        "mlle",
        "m",
        "sr",
        "sra",
        "srta",
        "don",
        "dona",
        "jr",
        "snr",
        "jnr",
        "ii",
        "iii",
        "iv",
        "господин",
        "госпожа",
        "الشيخ",
        "السيد",
        "الحاج",
    }
)

_SPLIT_RE = re.compile(r"[\s\-‐-―_,;:/\\|.·・•()\[\]{}\"'`´‘’“”«»‹›،؛]+")
_TATWEEL_AND_MARKS = {0x0640: None}  # Arabic tatweel


def _safe(text: str) -> str:
    """Drop code points that no encoder accepts (lone surrogates)."""
    if not text.isascii():
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            text = text.encode("utf-8", "ignore").decode("utf-8")
    return text


def normalize_text(text: str) -> str:
    """NFKC, case fold, strip marks that carry no letter (harakat, niqqud, tatweel).

    >>> normalize_text("ＭÜLLER")
    'müller'
    >>> normalize_text("مُحَمَّد")
    'محمد'
    """
    text = unicodedata.normalize("NFKC", _safe(text)).casefold()
    if text.isascii():
        return text
    out = []
    for ch in text.translate(_TATWEEL_AND_MARKS):
        cp = ord(ch)
        # Arabic harakat and Hebrew niqqud / cantillation are optional vowel marks.
        if 0x064B <= cp <= 0x065F or cp == 0x0670 or 0x0591 <= cp <= 0x05C7:
            continue
        out.append(ch)
    return unicodedata.normalize("NFC", "".join(out))


#: Scripts read by rule (``matching.romanize``), by code-point range; a vowel sign or
#: other mark inside a range belongs to its script too.
_RANGE_SCRIPTS: tuple[tuple[int, int, str], ...] = (
    (0x0530, 0x058F, "armenian"),
    (0xFB13, 0xFB17, "armenian"),
    (0x0900, 0x097F, "devanagari"),
    (0xA8E0, 0xA8FF, "devanagari"),
    (0x0980, 0x09FF, "bengali"),
    (0x0A00, 0x0A7F, "gurmukhi"),
    (0x0B80, 0x0BFF, "tamil"),
    (0x0D80, 0x0DFF, "sinhala"),
    (0x0E00, 0x0E7F, "thai"),
    (0x1000, 0x109F, "myanmar"),
    (0xA9E0, 0xA9FF, "myanmar"),
    (0xAA60, 0xAA7F, "myanmar"),
    (0x10A0, 0x10FF, "georgian"),
    (0x1C90, 0x1CBF, "georgian"),
    (0x2D00, 0x2D2F, "georgian"),
    (0x1200, 0x139F, "ethiopic"),
    (0x2D80, 0x2DDF, "ethiopic"),
    (0xAB00, 0xAB2F, "ethiopic"),
    (0x1780, 0x17FF, "khmer"),
    (0x19E0, 0x19FF, "khmer"),
)

#: Every script :func:`script_of_char` names besides ``latin``, ``digit`` and ``other``.
RULE_SCRIPTS: frozenset[str] = frozenset(s for _, _, s in _RANGE_SCRIPTS)


def script_of_char(ch: str) -> str:
    """The script of one character: latin, cyrillic, arabic, hebrew, han, kana, hangul,
    greek, armenian, devanagari, bengali, gurmukhi, tamil, sinhala, thai, myanmar,
    georgian, ethiopic, khmer, digit or other.

    >>> script_of_char("ተ"), script_of_char("ი"), script_of_char("ा")
    ('ethiopic', 'georgian', 'devanagari')
    """
    cp = ord(ch)
    if cp < 0x80:
        if ch.isalpha():
            return "latin"
        return "digit" if ch.isdigit() else "other"
    if cp <= 0x024F or 0x1E00 <= cp <= 0x1EFF:
        return "latin" if ch.isalpha() else "other"
    if 0x0370 <= cp <= 0x03FF:
        return "greek"
    if 0x0400 <= cp <= 0x052F:
        return "cyrillic"
    if 0x0590 <= cp <= 0x05FF or 0xFB1D <= cp <= 0xFB4F:
        return "hebrew"
    if (
        0x0600 <= cp <= 0x06FF
        or 0x0750 <= cp <= 0x077F
        or 0x08A0 <= cp <= 0x08FF
        or 0xFB50 <= cp <= 0xFDFF
        or 0xFE70 <= cp <= 0xFEFF
    ):
        return "arabic" if ch.isalpha() else "other"
    if 0x3040 <= cp <= 0x30FF or 0x31F0 <= cp <= 0x31FF or 0xFF66 <= cp <= 0xFF9F:
        return "kana"
    if 0xAC00 <= cp <= 0xD7AF or 0x1100 <= cp <= 0x11FF or 0x3130 <= cp <= 0x318F:
        return "hangul"
    if 0x4E00 <= cp <= 0x9FFF or 0x3400 <= cp <= 0x4DBF or 0xF900 <= cp <= 0xFAFF:
        return "han"
    if 0x20000 <= cp <= 0x3134F:
        return "han"
    if 0x0530 <= cp <= 0x2DDF or 0xA8E0 <= cp <= 0xAB2F or 0xFB13 <= cp <= 0xFB17:
        for lo, hi, name in _RANGE_SCRIPTS:
            if lo <= cp <= hi:
                if ch.isdigit():
                    return "digit"
                return name if ch.isalpha() or unicodedata.category(ch)[0] == "M" else "other"
    if ch.isalpha():
        return "latin" if unicodedata.name(ch, "").startswith("LATIN") else "other"
    return "other"


def detect_script(text: str) -> str:
    """The dominant script of a text (``latin``, ``cyrillic``, ``arabic``, ``hebrew``,
    ``han``, ``kana``, ``hangul``, ``japanese`` for kanji mixed with kana, ``greek``,
    ``other`` when nothing is a letter).

    >>> detect_script("キャサリン")
    'kana'
    >>> detect_script("山田たろう")
    'japanese'
    """
    if text.isascii():  # the common case: letters are Latin, the rest is not a script
        return "latin" if any(ch.isalpha() for ch in text[:200]) else "other"
    counts: dict[str, int] = {}
    for ch in text[:200]:
        s = script_of_char(ch)
        if s not in ("other", "digit"):
            counts[s] = counts.get(s, 0) + 1
    if not counts:
        return "other"
    if "kana" in counts and "han" in counts:
        return "japanese"
    return max(sorted(counts), key=lambda k: counts[k])


#: A Hebrew letter with a geresh (ג׳ j, צ׳ ch, ז׳ zh, ת׳ th, ח׳ kh), however the mark
#: is typed: one letter, not a break between two name parts.
_GERESH_RE = re.compile(r"([\u05d0-\u05ea])[\u05f3'’`´]")
GERESH = "\u05f3"


def attach_geresh(text: str) -> str:
    """Hebrew letters followed by an apostrophe-like mark take the geresh ``׳``."""
    return _GERESH_RE.sub(r"\1" + GERESH, text) if not text.isascii() else text


def _keep(ch: str) -> bool:
    # Mc: the spacing vowel signs of Indic, Sinhala, Myanmar and Khmer are part of a name
    return ch.isalnum() or ch == GERESH or unicodedata.category(ch) in ("Mn", "Mc")


def tokenize(text: str) -> list[str]:
    """Normalised name parts: split on spaces, hyphens, dots, commas, middle dots;
    titles dropped; Arabic article ``ال`` split off as the particle ``ال``; a Hebrew
    letter keeps its geresh.

    >>> tokenize("Mr. Jean-Luc  PICARD")
    ['jean', 'luc', 'picard']
    >>> tokenize("ג'ורג' בוש")
    ['ג׳ורג׳', 'בוש']
    """
    norm = normalize_text(text)
    norm = attach_geresh(norm)
    out: list[str] = []
    for raw in _SPLIT_RE.split(norm):
        tok = raw if raw.isalnum() else "".join(ch for ch in raw if _keep(ch))
        if not tok or tok in TITLES:
            continue
        if len(tok) > 3 and tok.startswith("ال") and script_of_char(tok[0]) == "arabic":
            out.append("ال")
            tok = tok[2:]
        if "\u1000" <= tok[0] <= "\u109f":
            out.extend(_myanmar_syllables(tok))
            continue
        out.append(tok)
    return out


def _myanmar_syllables(tok: str) -> list[str]:
    """A Burmese name is written without spaces and romanised a syllable a part
    (အောင်ဆန်း Aung San): a consonant or vowel letter opens a syllable unless an asat
    or a stacking mark closes it onto the previous one."""
    out: list[str] = []
    for k, ch in enumerate(tok):
        opens = "\u1000" <= ch <= "\u102a" and ch != "\u1022"
        if opens and k + 1 < len(tok) and tok[k + 1] in "\u103a\u1039":
            opens = False
        if opens and k > 0 and tok[k - 1] == "\u1039":
            opens = False
        if opens or not out:
            out.append(ch)
        else:
            out[-1] += ch
    return out


#: The commonest Vietnamese family names (folded; about nine in ten Vietnamese people
#: bear one: see bench/build_name_priors.py). A name that begins or ends with one is read
#: as Vietnamese, where "Le", "Do" and "Van" are name parts, not particles.
VIETNAMESE_FAMILY: frozenset[str] = frozenset(
    {
        "nguyen", "tran", "le", "pham", "huynh", "hoang", "phan", "vu", "vo", "dang", "bui",
        "do", "ho", "ngo", "duong", "ly", "dinh", "trinh", "truong", "luong",
    }
)  # fmt: skip


def split_particles(tokens: list[str] | tuple[str, ...]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Separate name parts from particles (al, bin, van, de ...).

    A token is only a particle when something else remains, so "De" alone stays a name.
    """
    if tokens and (
        ascii_fold(tokens[0]) in VIETNAMESE_FAMILY or ascii_fold(tokens[-1]) in VIETNAMESE_FAMILY
    ):
        # a Vietnamese name has no particles: Lê and Đỗ are family names, Văn a middle name
        return tuple(tokens), ()
    parts = tuple(t for t in tokens if t not in PARTICLES)
    if not parts:
        return tuple(tokens), ()
    return parts, tuple(t for t in tokens if t in PARTICLES)


@lru_cache(maxsize=1)
def _latin_ascii() -> Any:
    try:
        import icu

        return icu.Transliterator.createInstance("Latin-ASCII")
    except Exception:  # ICU missing or broken: fall back to unicodedata
        return None


_EXTRA_FOLD = str.maketrans(
    {
        "ß": "ss",
        "æ": "ae",
        "œ": "oe",
        "ø": "o",
        "đ": "d",
        "ð": "d",
        "þ": "th",
        "ł": "l",
        "ı": "i",
        "ə": "e",
        "ʻ": "",
        "ʿ": "",
        "ʾ": "",
    }
)


def ascii_fold(text: str) -> str:
    """Latin text to lower-case ASCII letters and single spaces (diacritics removed).

    Non-Latin letters are dropped; use :mod:`matching.translit` for those.
    """
    text = normalize_text(text).translate(_EXTRA_FOLD)
    if not text.isascii():
        tr = _latin_ascii()
        if tr is not None:
            try:
                text = str(tr.transliterate(text))
            except Exception:  # ICU refuses some inputs: the NFKD fallback below copes
                text = text
        text = unicodedata.normalize("NFKD", text)
    return " ".join(re.sub(r"[^a-z]+", " ", text.lower()).split())


def ascii_letters(text: str) -> str:
    """``ascii_fold`` without spaces: the comparable form of one name part."""
    return ascii_fold(text).replace(" ", "")


_VOWELS_RE = re.compile(r"[aeiouy]+")
_DOUBLE_RE = re.compile(r"(.)\1+")
_SKEL_MAP = str.maketrans({"w": "v", "q": "k", "c": "k", "j": "g", "z": "s", "p": "b", "x": "ks"})
_DIGRAPH_H_RE = re.compile(r"(?<=[cskgtpdz])h")


#: Consonant classes of :func:`sound_classes`: labials, dentals, velars (and the
#: affricates transliteration confuses with them), sibilants, liquids, nasals.
_CLASS_MAP = str.maketrans(
    {
        **dict.fromkeys("bpvfw", "b"),
        **dict.fromkeys("dt", "d"),
        **dict.fromkeys("kgqjxc", "k"),
        **dict.fromkeys("sz", "s"),
        **dict.fromkeys("lr", "l"),
        **dict.fromkeys("mn", "n"),
    }
)
_NOT_CLASS_RE = re.compile(r"[^bdklns]")
_CLASS_DIGRAPHS = (("ch", "s"), ("sh", "s"), ("ph", "f"), ("th", "t"))


def sound_classes(part: str) -> tuple[str, ...]:
    """The consonant-class strings of an ASCII name part: coarser than
    :func:`skeleton`, they let a native reading find a Latin spelling that differs in
    voicing (``b``/``p``, ``d``/``t``, ``s``/``z``), in ``l``/``r`` (one letter in
    Chinese, Japanese and Korean readings) or ``m``/``n``. A ``c`` is tried both as
    ``k`` and as ``s``.

    >>> sound_classes("besancon"), sound_classes("bezanson")
    (('bsnkn', 'bsnsn'), ('bsnsn',))
    >>> sound_classes("kjellman"), sound_classes("calman")
    (('kln',), ('kln', 'sln'))
    """
    s = part
    for digraph, letter in _CLASS_DIGRAPHS:
        s = s.replace(digraph, letter)
    variants = (s, s.replace("c", "s")) if "c" in s else (s,)
    out = (_DOUBLE_RE.sub(r"\1", _NOT_CLASS_RE.sub("", v.translate(_CLASS_MAP))) for v in variants)
    return tuple(dict.fromkeys(out))


def skeleton(part: str) -> str:
    """A vowel-free consonant skeleton of an ASCII name part, tolerant of the
    spellings that Arabic and Hebrew script cannot tell apart.

    >>> skeleton("mohammed"), skeleton("muhamad"), skeleton("ahmad")
    ('mhmd', 'mhmd', 'hmd')
    """
    s = _DIGRAPH_H_RE.sub("", part).translate(_SKEL_MAP)
    s = _DOUBLE_RE.sub(r"\1", s)
    return _VOWELS_RE.sub("", s)

"""Rule romanisation of the scripts that have no learned model: Ge'ez (Ethiopic),
Georgian, Armenian, Devanagari, Bengali, Gurmukhi, Tamil, Sinhala, Thai, Myanmar,
Khmer; and the letters of Persian, Dari, Pashto and Urdu in Arabic script.

Each script gives a few Latin spellings as documents and officers write them, each
with the convention that gave it (the comparison's explanation names it):

* Georgian: the national romanisation of 2002 used in passports (ჯ j, ჩ ch, შ sh,
  ხ kh, ყ q, ღ gh, წ ts, ...), and the ICU scholarly form;
* Armenian: passport practice (խ kh, ճ ch, ժ zh, ու u, և ev, initial ե ye, initial
  ո vo, -յան -yan or -ian), and ICU's;
* Ge'ez: one consonant per syllable with its order's vowel, the sixth order as a bare
  consonant (ተስፋይ tesfay), a final sixth order also as ``e`` (Tesfaye), a glide
  ``y`` also as ``i`` (Hayle / Haile), the first order as ``e`` or ``a``;
* Devanagari, Bengali, Gurmukhi: ICU (ISO 15919) with English letters for its marks
  (ś sh, c ch, ṅ/ñ/ṇ/ṁ n) and schwa deletion (राम Ram, not Rama);
* Tamil: ICU with English letters and the voiced readings officers write
  (முருகன் Murugan, செல்வம் Selvam);
* Thai, Myanmar: ICU with common vowels (the script's inherent vowels are not
  written, so these are rough); Sinhala and Khmer: a small table of letters.

Pure: no I/O beyond ICU's in-memory transliterators.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from typing import Any

from matching.normalize import ascii_fold

__all__ = [
    "PERSIAN_LETTERS",
    "has_persian_letters",
    "icu_transliterate",
    "persian_renderings",
    "rule_renderings",
]

Spelling = tuple[str, str, float]  # latin, convention, cost


@lru_cache(maxsize=32)
def _transliterator(spec: str) -> Any:
    try:
        import icu

        return icu.Transliterator.createInstance(spec)
    except Exception:  # ICU missing or without this transliterator
        return None


def icu_transliterate(spec: str, text: str) -> str:
    """``text`` through the ICU transliterator ``spec``; empty when ICU lacks it."""
    tr = _transliterator(spec)
    if tr is None:
        return ""
    try:
        return str(tr.transliterate(text))
    except Exception:
        return ""


def _fold(text: str) -> str:
    return ascii_fold(text).replace(" ", "")


# ------------------------------------------------------------------ Georgian

_GEORGIAN = str.maketrans(
    {
        "ა": "a",
        "ბ": "b",
        "გ": "g",
        "დ": "d",
        "ე": "e",
        "ვ": "v",
        "ზ": "z",
        "თ": "t",
        "ი": "i",
        "კ": "k",
        "ლ": "l",
        "მ": "m",
        "ნ": "n",
        "ო": "o",
        "პ": "p",
        "ჟ": "zh",
        "რ": "r",
        "ს": "s",
        "ტ": "t",
        "უ": "u",
        "ფ": "p",
        "ქ": "k",
        "ღ": "gh",
        "ყ": "q",
        "შ": "sh",
        "ჩ": "ch",
        "ც": "ts",
        "ძ": "dz",
        "წ": "ts",
        "ჭ": "ch",
        "ხ": "kh",
        "ჯ": "j",
        "ჰ": "h",
        "ჱ": "e",
        "ჲ": "i",
        "ჳ": "v",
        "ჴ": "kh",
        "ჵ": "o",
    }
)


def _georgian(token: str) -> list[Spelling]:
    national = token.translate(_GEORGIAN)
    out = [(national, "Georgian→national passport romanisation", 0.2)]
    out.append((national.replace("q", "k"), "Georgian→national, ყ as k", 0.5))
    out.append((_fold(icu_transliterate("Georgian-Latin", token)), "Georgian→ICU", 0.5))
    return out


# ------------------------------------------------------------------ Armenian

_ARMENIAN = str.maketrans(
    {
        "ա": "a",
        "բ": "b",
        "գ": "g",
        "դ": "d",
        "ե": "e",
        "զ": "z",
        "է": "e",
        "ը": "y",
        "թ": "t",
        "ժ": "zh",
        "ի": "i",
        "լ": "l",
        "խ": "kh",
        "ծ": "ts",
        "կ": "k",
        "հ": "h",
        "ձ": "dz",
        "ղ": "gh",
        "ճ": "ch",
        "մ": "m",
        "յ": "y",
        "ն": "n",
        "շ": "sh",
        "ո": "o",
        "չ": "ch",
        "պ": "p",
        "ջ": "j",
        "ռ": "r",
        "ս": "s",
        "վ": "v",
        "տ": "t",
        "ր": "r",
        "ց": "ts",
        "ւ": "v",
        "փ": "p",
        "ք": "k",
        "օ": "o",
        "ֆ": "f",
        "և": "ev",
    }
)


def _armenian(token: str) -> list[Spelling]:
    t = token.replace("ու", "u")
    if t.startswith("ե"):
        t = "ye" + t[1:]
    elif t.startswith("ո"):
        t = "vo" + t[1:]
    if t.startswith("և"):
        t = "yev" + t[1:]
    passport = t.translate(_ARMENIAN)
    out = [(passport, "Armenian→passport practice", 0.2)]
    if passport.endswith("yan"):
        out.append((passport[:-3] + "ian", "Armenian→passport, -յան as -ian", 0.4))
    out.append((_fold(icu_transliterate("Armenian-Latin", token)), "Armenian→ICU", 0.6))
    return out


# ------------------------------------------------------------------ Ge'ez

#: Consonant of each row of eight Ethiopic syllables, by the row's first code point.
_ETHIOPIC_ROWS: dict[int, str] = {
    0x1200: "h",
    0x1208: "l",
    0x1210: "h",
    0x1218: "m",
    0x1220: "s",
    0x1228: "r",
    0x1230: "s",
    0x1238: "sh",
    0x1240: "q",
    0x1250: "q",
    0x1260: "b",
    0x1268: "v",
    0x1270: "t",
    0x1278: "ch",
    0x1280: "h",
    0x1290: "n",
    0x1298: "ny",
    0x12A0: "",
    0x12A8: "k",
    0x12B8: "kh",
    0x12C8: "w",
    0x12D0: "",
    0x12D8: "z",
    0x12E0: "zh",
    0x12E8: "y",
    0x12F0: "d",
    0x12F8: "d",
    0x1300: "j",
    0x1308: "g",
    0x1318: "g",
    0x1320: "t",
    0x1328: "ch",
    0x1330: "p",
    0x1338: "ts",
    0x1340: "ts",
    0x1348: "f",
    0x1350: "p",
}
#: Labiovelar rows (ቈ ኈ ኰ ዀ ጐ): their consonant; offsets 0, 2, 3, 4, 5 are used.
_ETHIOPIC_LABIO: dict[int, str] = {
    0x1248: "qw",
    0x1258: "qw",
    0x1288: "hw",
    0x12B0: "kw",
    0x12C0: "khw",
    0x1310: "gw",
}
_FIRST, _SIXTH = "\x01", "\x02"  # placeholders for the two vowels written many ways
_ORDER_VOWELS = (_FIRST, "u", "i", "a", "e", _SIXTH, "o", "wa")
_LABIO_VOWELS = ("e", "", "i", "a", "e", "", "o", "")


def _ethiopic_units(token: str) -> list[tuple[str, str]]:
    units: list[tuple[str, str]] = []
    for ch in token:
        cp = ord(ch)
        row, off = cp & ~7, cp & 7
        if row in _ETHIOPIC_ROWS:
            units.append((_ETHIOPIC_ROWS[row], _ORDER_VOWELS[off]))
        elif row in _ETHIOPIC_LABIO:
            units.append((_ETHIOPIC_LABIO[row], _LABIO_VOWELS[off]))
        else:
            latin = _fold(icu_transliterate("Ethiopic-Latin", ch).replace("ǝ", ""))
            if latin:
                units.append((latin, ""))
    return units


def _ethiopic_spell(units: list[tuple[str, str]], first: str, final_e: bool) -> str:
    out: list[str] = []
    n = len(units)
    for k, (cons, vowel) in enumerate(units):
        if vowel == _FIRST:
            # a glottal first order (አ, ዐ) is an a in nearly every spelling
            vowel = "a" if cons == "" else first
        elif vowel == _SIXTH:
            if k == n - 1:
                vowel = "e" if final_e and cons else ""
            elif k == n - 2 and units[-1][1] == _SIXTH and k > 0 and units[k - 1][1] != _SIXTH:
                vowel = "i"  # መድህን medhin: a sixth order before a final one takes i
            else:
                vowel = ""
        out.append(cons + vowel)
    return "".join(out)


def _ethiopic(token: str) -> list[Spelling]:
    units = _ethiopic_units(token)
    if not units:
        return []
    out: list[Spelling] = []
    for first, final_e, cost, label in (
        ("e", False, 0.1, "Ge'ez→English, sixth order bare"),
        ("e", True, 0.3, "Ge'ez→English, final sixth order as e"),
        ("a", False, 0.4, "Ge'ez→English, first order as a"),
        ("a", True, 0.6, "Ge'ez→English, first order as a, final e"),
    ):
        spelled = _ethiopic_spell(units, first, final_e)
        out.append((spelled, label, cost))
        glide = re.sub(r"(?<=[aeiou])y(?=[^aeiou]|$)", "i", spelled)
        if glide != spelled:
            out.append((glide, label + ", y as i", cost + 0.1))
    return out


# ------------------------------------------------------------------ Indic

_ISO_TO_ENGLISH = (
    ("ś", "sh"),
    ("ṣ", "sh"),
    ("ch", "chh"),
    ("c", "ch"),
    ("ṅ", "n"),
    ("ñ", "n"),
    ("ṇ", "n"),
    ("ṁ", "n"),
    ("ṉ", "n"),
    ("ṟ", "r"),
    ("ḻ", "l"),
)
_VIRAMA = {"devanagari": "\u094d", "bengali": "\u09cd", "gurmukhi": "\u0a4d"}
_ICU_SPEC = {
    "devanagari": "Devanagari-Latin",
    "bengali": "Bengali-Latin",
    "gurmukhi": "Gurmukhi-Latin",
    "tamil": "Tamil-Latin",
    "thai": "Thai-Latin",
    "myanmar": "Myanmar-Latin",
}
_SCHWA_RE = re.compile(r"(?<=[aeiou][^aeiou])a(?=[^aeiouy]+[aeiou])")


def _english(iso: str) -> str:
    text = unicodedata.normalize("NFC", iso)
    for a, b in _ISO_TO_ENGLISH:
        text = text.replace(a, b)
    return _fold(text)


def _indic(token: str, script: str) -> list[Spelling]:
    name = script.capitalize()
    if script == "gurmukhi":  # tippi and bindi: a nasal ICU leaves out
        token = token.replace("\u0a70", "\u0a28\u0a4d").replace("\u0a02", "\u0a28\u0a4d")
    full = _english(icu_transliterate(_ICU_SPEC[script], token))
    out: list[Spelling] = []
    last = token[-1:]
    if last and unicodedata.category(last) == "Lo" and _is_consonant(last):
        deleted = _english(icu_transliterate(_ICU_SPEC[script], token + _VIRAMA[script]))
        out.append((deleted, f"{name}→English, final schwa dropped", 0.1))
    else:
        deleted = full
    medial = _SCHWA_RE.sub("", deleted)
    if medial != deleted:
        out.append((medial, f"{name}→English, schwas dropped", 0.3))
    out.append((full, f"{name}→ISO 15919 (ICU)", 0.4))
    final = token + _VIRAMA[script] if out and out[0][2] == 0.1 else token
    iso = unicodedata.normalize("NFC", icu_transliterate(_ICU_SPEC[script], final))
    if "ī" in iso or "ū" in iso:  # Gurpreet, Poonam: long vowels written double
        doubled = _english(iso.replace("ī", "ee").replace("ū", "oo"))
        out.append((doubled, f"{name}→English, long ī/ū as ee/oo", 0.3))
        medial = _SCHWA_RE.sub("", doubled)
        if medial != doubled:
            out.append((medial, f"{name}→English, long ī/ū as ee/oo, schwas dropped", 0.35))
    if script == "bengali":  # Bengali a is often written o (Hossain / Hosen)
        out.extend((s.replace("a", "o"), f"{name}→English, a as o", 0.6) for s, _, _ in out[:1])
    return out


def _is_consonant(ch: str) -> bool:
    name = unicodedata.name(ch, "")
    if "LETTER" not in name:
        return False
    tail = name.split("LETTER ")[-1]
    return tail not in {"A", "AA", "I", "II", "U", "UU", "E", "EE", "AI", "O", "OO", "AU"} and not (
        tail.startswith("VOCALIC")
    )


def _tamil(token: str) -> list[Spelling]:
    iso = _english(icu_transliterate("Tamil-Latin", token))
    out: list[Spelling] = [(iso, "Tamil→ISO 15919 (ICU)", 0.4)]
    spoken = re.sub(r"(?<=[aeiou])k(?=[aeiou])", "g", iso)  # intervocalic k is g
    spoken = re.sub(r"(?<=[aeiou])t(?=[aeiou])", "d", spoken)
    spoken = re.sub(r"(?<=[aeiou])p(?=[aeiou])", "b", spoken)
    spoken = re.sub(r"^ch", "s", spoken)  # initial ச is s
    out.insert(0, (spoken, "Tamil→English (voiced between vowels)", 0.1))
    return out


def _thai_myanmar(token: str, script: str) -> list[Spelling]:
    raw = _fold(icu_transliterate(_ICU_SPEC[script], token))
    if not raw:
        return []
    label = f"{script.capitalize()}→ICU"
    out: list[Spelling] = [(raw, label, 0.4)]
    if script == "thai":
        # the inherent o between two written consonants, and final -ay/-aw as -ai/-ao
        voweled = re.sub(r"^([^aeiou])([^aeiouh])", r"\1o\2", raw)
        voweled = re.sub(r"ay$", "ai", voweled)
        if voweled != raw:
            out.insert(0, (voweled, "Thai→English (inherent o, final ai)", 0.3))
    else:
        english = _myanmar_english(token, raw)
        out.insert(0, (english, "Myanmar→English (Burmese name spelling)", 0.2))
        if english.startswith("ht"):
            out.insert(1, (english[1:], "Myanmar→English, ht as t", 0.4))
    return out


_MYANMAR_FIXES = (
    (re.compile(r"aa"), "a"),
    (re.compile(r"aine$"), "aing"),
    (re.compile(r"nn"), "n"),
    (re.compile(r"^hc"), "s"),
    (re.compile(r"c"), "s"),
    (re.compile(r"^lh"), "hl"),
    (re.compile(r"^hk"), "kh"),
    (re.compile(r"^hp"), "ph"),
    (re.compile(r"wan$"), "un"),
    (re.compile(r"wn$"), "unt"),
    (re.compile(r"ain$"), "in"),
)


def _myanmar_english(token: str, raw: str) -> str:
    """ICU's reading of one Burmese syllable as names are spelt in English: သ th,
    စ s, ကြ ky, -င် -in (Min, Khin, Win), -ွန်း -un (Tun), ..."""
    english = raw
    for pattern, repl in _MYANMAR_FIXES:
        english = pattern.sub(repl, english)
    if token[:1] == "\u101e" and english.startswith("s"):
        english = "th" + english[1:]
    return english


# ------------------------------------------------------------------ Sinhala, Khmer

_SINHALA = {
    "අ": "a", "ආ": "a", "ඇ": "a", "ඈ": "a", "ඉ": "i", "ඊ": "i", "උ": "u", "ඌ": "u",
    "එ": "e", "ඒ": "e", "ඓ": "ai", "ඔ": "o", "ඕ": "o", "ඖ": "au",
    "ක": "k", "ඛ": "k", "ග": "g", "ඝ": "g", "ඞ": "n", "ඟ": "ng", "ච": "ch", "ඡ": "ch",
    "ජ": "j", "ඣ": "j", "ඤ": "ny", "ට": "t", "ඨ": "t", "ඩ": "d", "ඪ": "d", "ණ": "n",
    "ඬ": "nd", "ත": "t", "ථ": "t", "ද": "d", "ධ": "d", "න": "n", "ඳ": "nd", "ප": "p",
    "ඵ": "p", "බ": "b", "භ": "b", "ම": "m", "ඹ": "mb", "ය": "y", "ර": "r", "ල": "l",
    "ව": "w", "ශ": "sh", "ෂ": "sh", "ස": "s", "හ": "h", "ළ": "l", "ෆ": "f",
}  # fmt: skip
_SINHALA_SIGNS = {
    "ා": "a", "ැ": "a", "ෑ": "a", "ි": "i", "ී": "i", "ු": "u", "ූ": "u", "ෘ": "ru",
    "ෙ": "e", "ේ": "e", "ෛ": "ai", "ො": "o", "ෝ": "o", "ෞ": "au", "ං": "n", "ඃ": "h",
}  # fmt: skip
_KHMER = {
    "ក": "k", "ខ": "kh", "គ": "k", "ឃ": "kh", "ង": "ng", "ច": "ch", "ឆ": "chh", "ជ": "ch",
    "ឈ": "chh", "ញ": "nh", "ដ": "d", "ឋ": "th", "ឌ": "d", "ឍ": "th", "ណ": "n", "ត": "t",
    "ថ": "th", "ទ": "t", "ធ": "th", "ន": "n", "ប": "b", "ផ": "ph", "ព": "p", "ភ": "ph",
    "ម": "m", "យ": "y", "រ": "r", "ល": "l", "វ": "v", "ស": "s", "ហ": "h", "ឡ": "l",
    "អ": "", "ឥ": "e", "ឦ": "ei", "ឧ": "o", "ឪ": "ov", "ឯ": "ae", "ឱ": "ao",
}  # fmt: skip
_KHMER_SIGNS = {
    "ា": "a", "ិ": "e", "ី": "ei", "ឹ": "oe", "ឺ": "eu", "ុ": "o", "ូ": "ou", "ួ": "uo",
    "ើ": "aeu", "ឿ": "oea", "ៀ": "ie", "េ": "e", "ែ": "ae", "ៃ": "ai", "ោ": "ao",
    "ៅ": "au", "ំ": "m", "ះ": "h",
}  # fmt: skip


def _abugida(token: str, letters: dict[str, str], signs: dict[str, str], virama: str) -> str:
    out: list[str] = []
    pending = ""  # the inherent vowel of the last consonant, not yet written
    for ch in token:
        if ch in letters:
            out.append(pending)
            cons = letters[ch]
            vowel_letter = cons in ("a", "i", "u", "e", "o", "ai", "au", "ei", "ov", "ae", "ao", "")
            out.append(cons if cons or not vowel_letter else "")
            pending = "" if vowel_letter and cons else "a"
        elif ch in signs:
            out.append(signs[ch])
            pending = ""
        elif ch == virama:
            pending = ""
    return "".join(out)  # a final inherent vowel is not written (Perera, Sok)


def _sinhala(token: str) -> list[Spelling]:
    return [(_fold(_abugida(token, _SINHALA, _SINHALA_SIGNS, "\u0dca")), "Sinhala→English", 0.3)]


def _khmer(token: str) -> list[Spelling]:
    spelled = _fold(_abugida(token, _KHMER, _KHMER_SIGNS, "\u17d2"))
    return [(spelled, "Khmer→English (UNGEGN-like)", 0.4)]


# ------------------------------------------------------------------ Persian, Pashto, Urdu

#: Letters that Persian, Dari, Pashto or Urdu write and Arabic does not.
PERSIAN_LETTERS = frozenset("پچژگکیٹڈڑںہےۀټځڅډړږښګڼېۍھۓ")

_PERSIAN = {
    "ا": "a", "آ": "a", "أ": "a", "إ": "e", "ب": "b", "پ": "p", "ت": "t", "ٹ": "t",
    "ټ": "t", "ث": "s", "ج": "j", "چ": "ch", "ح": "h", "خ": "kh", "ځ": "dz", "څ": "ts",
    "د": "d", "ڈ": "d", "ډ": "d", "ذ": "z", "ر": "r", "ڑ": "r", "ړ": "r", "ز": "z",
    "ژ": "zh", "ږ": "zh", "س": "s", "ش": "sh", "ښ": "sh", "ص": "s", "ض": "z", "ط": "t",
    "ظ": "z", "ع": "", "غ": "gh", "ف": "f", "ق": "q", "ک": "k", "ك": "k", "گ": "g",
    "ګ": "g", "ل": "l", "م": "m", "ن": "n", "ں": "n", "ڼ": "n", "و": "w", "ه": "h",
    "ہ": "h", "ھ": "h", "ۀ": "e", "ة": "a", "ی": "y", "ي": "y", "ې": "e", "ۍ": "ai",
    "ئ": "y", "ے": "e", "ۓ": "e", "ؤ": "o", "ء": "",
}  # fmt: skip
_VOWELISH = {"ا": "a", "آ": "a", "و": "o", "ی": "i", "ي": "i", "ے": "e", "ې": "e"}


def has_persian_letters(token: str) -> bool:
    return any(ch in PERSIAN_LETTERS for ch in token)


def persian_renderings(token: str) -> list[Spelling]:
    """Latin spellings of a Persian, Dari, Pashto or Urdu token letter by letter:
    و is v before a vowel letter and at the start, else o (or u); ی is y before a
    vowel letter and at the start, else i; a final silent ه is a (zadeh, Fatemeh);
    unwritten short vowels are left out, or guessed as a after the first consonant
    (the comparator's skeletons and edit similarity bridge the rest).

    >>> [s for s, _, _ in persian_renderings("پرویز")][:2]
    ['prviz', 'parviz']
    """
    out: list[str] = []
    n = len(token)
    for k, ch in enumerate(token):
        nxt = token[k + 1] if k + 1 < n else ""
        if ch == "و":
            out.append("v" if k == 0 or (nxt and nxt in "اآیيې") else "o")
        elif ch in "یي":
            out.append("y" if k == 0 or (nxt and nxt in "اآو") else "i")
        elif ch in "هہ" and k == n - 1 and k > 0:
            out.append("a")
        else:
            out.append(_PERSIAN.get(ch, ""))
    bare = _fold("".join(out))
    if not bare:
        return []
    spellings: list[Spelling] = [(bare, "Persian/Urdu/Pashto letters", 0.3)]
    first = re.match(r"(?:[^aeiou]h|[^aeiou])(?=[^aeiouh])", bare)
    if first:
        cut = first.end()
        spellings.append(
            (bare[:cut] + "a" + bare[cut:], "Persian/Urdu/Pashto letters, a after the first", 0.4)
        )
        spellings.append(
            (bare[:cut] + "o" + bare[cut:], "Persian/Urdu/Pashto letters, o after the first", 0.6)
        )
    if "o" in bare:
        spellings.append((bare.replace("o", "u"), "Persian/Urdu/Pashto letters, و as u", 0.4))
    if bare.endswith("a") and token[-1] in "هہ":
        spellings.append((bare[:-1] + "eh", "Persian/Urdu/Pashto letters, final ه as eh", 0.4))
    if bare.endswith("i") and len(bare) > 2:
        spellings.append((bare[:-1] + "y", "Persian/Urdu/Pashto letters, final ی as y", 0.5))
    return spellings


# ------------------------------------------------------------------ entry point


def rule_renderings(token: str, script: str) -> list[Spelling]:
    """Latin spellings of one normalised token of a rule script, best first; empty
    when the script has no rules here or nothing could be read."""
    if script == "georgian":
        found = _georgian(token)
    elif script == "armenian":
        found = _armenian(token)
    elif script == "ethiopic":
        found = _ethiopic(token)
    elif script in ("devanagari", "bengali", "gurmukhi"):
        found = _indic(token, script)
    elif script == "tamil":
        found = _tamil(token)
    elif script in ("thai", "myanmar"):
        found = _thai_myanmar(token, script)
    elif script == "sinhala":
        found = _sinhala(token)
    elif script == "khmer":
        found = _khmer(token)
    else:
        return []
    seen: dict[str, Spelling] = {}
    for latin, label, cost in found:
        if latin and (latin not in seen or seen[latin][2] > cost):
            seen[latin] = (latin, label, cost)
    return sorted(seen.values(), key=lambda s: s[2])

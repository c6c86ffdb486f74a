"""Machine-readable zones (ICAO Doc 9303): parse, check the check digits, and compare
with the fields printed on the document's data page.

Formats: TD1 (ID cards, 3 lines of 30), TD2 (2 lines of 36) and TD3 (passports, 2
lines of 44). Every problem is reported as a stable code in ``errors``; parsing never
raises on bad input.

>>> r = parse_mrz([
...     "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<",
...     "L898902C36UTO7408122F1204159ZE184226B<<<<<10",
... ])
>>> r.valid, r.surname, r.given_names, r.document_number, r.birth_date
(True, 'ERIKSSON', 'ANNA MARIA', 'L898902C3', '1974-08-12')
>>> check_digit("L898902C3")
6
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

__all__ = [
    "MrzMismatch",
    "MrzResult",
    "check_digit",
    "compare_mrz_to_printed",
    "parse_mrz",
]

_WEIGHTS = (7, 3, 1)
_VALID_RE = re.compile(r"^[A-Z0-9<]*$")


def _char_value(ch: str) -> int:
    if ch.isdigit():
        return ord(ch) - 48
    if "A" <= ch <= "Z":
        return ord(ch) - 55
    return 0  # the filler '<' (and anything unreadable) counts as zero


def check_digit(field: str) -> int:
    """ICAO 9303 check digit: values weighted 7, 3, 1 repeating, summed, modulo 10.

    >>> check_digit("740812"), check_digit("120415")
    (2, 9)
    """
    return sum(_char_value(ch) * _WEIGHTS[i % 3] for i, ch in enumerate(field)) % 10


@dataclass(frozen=True, slots=True)
class MrzResult:
    """What a machine-readable zone says, and what is wrong with it.

    Dates are ISO (``YYYY-MM-DD``) with the century inferred (birth dates are never in
    the future; expiry dates are 2000–2069 or 1970–1999); ``*_raw`` keep the
    six digits as printed. ``errors`` holds stable codes such as
    ``mrz_check_digit_document_number``; ``valid`` is true when there are none.
    """

    format: str | None
    document_type: str | None = None
    issuer: str | None = None
    surname: str | None = None
    given_names: str | None = None
    document_number: str | None = None
    nationality: str | None = None
    birth_date: str | None = None
    birth_date_raw: str | None = None
    sex: str | None = None
    expiry_date: str | None = None
    expiry_date_raw: str | None = None
    optional_data: str | None = None
    errors: tuple[str, ...] = ()

    @property
    def valid(self) -> bool:
        """True when the zone parsed and every check digit agreed."""
        return not self.errors


def _clean_line(line: str) -> str:
    return re.sub(r"\s+", "", line).upper()


def _filler_to_text(value: str) -> str:
    return re.sub(r"<+", " ", value).strip()


def _code(value: str) -> str | None:
    text = value.replace("<", "").strip()
    return text or None


def _names(field: str) -> tuple[str | None, str | None]:
    primary, _, secondary = field.partition("<<")
    return _code(primary) and _filler_to_text(primary), _code(secondary) and _filler_to_text(
        secondary
    )


def _date(raw: str, *, birth: bool, today: dt.date) -> str | None:
    if not raw.isdigit() or len(raw) != 6:
        return None
    yy, mm, dd = int(raw[:2]), int(raw[2:4]), int(raw[4:])
    if birth:
        year = 2000 + yy if 2000 + yy <= today.year else 1900 + yy
    else:
        year = 2000 + yy if yy < 70 else 1900 + yy
    try:
        value = dt.date(year, mm, dd)
    except ValueError:
        return None
    if birth and value > today:
        value = value.replace(year=year - 100)
    return value.isoformat()


def _check(value: str, digit: str, code: str, errors: list[str]) -> None:
    if not digit.isdigit() or check_digit(value) != int(digit):
        errors.append(code)


def _sex(ch: str, errors: list[str]) -> str | None:
    if ch in ("M", "F"):
        return ch
    if ch in ("<", "X"):
        return "X"
    errors.append("mrz_invalid_sex")
    return None


def parse_mrz(lines: Sequence[str], *, today: dt.date | None = None) -> MrzResult:
    """Parse a TD1, TD2 or TD3 machine-readable zone and check its check digits.

    Whitespace inside lines is ignored and letters are upper-cased. ``today`` fixes
    the reference date used to infer birth-date centuries (default: the current date).

    >>> parse_mrz(["too short"]).errors
    ('mrz_format',)
    """
    today = today or dt.date.today()
    cleaned = [_clean_line(line) for line in lines if line and line.strip()]
    lengths = tuple(len(line) for line in cleaned)
    if lengths == (30, 30, 30):
        fmt = "TD1"
    elif lengths == (36, 36):
        fmt = "TD2"
    elif lengths == (44, 44):
        fmt = "TD3"
    else:
        return MrzResult(format=None, errors=("mrz_format",))
    errors: list[str] = []
    if not all(_VALID_RE.match(line) for line in cleaned):
        errors.append("mrz_invalid_characters")
    if fmt == "TD1":
        return _parse_td1(cleaned, errors, today)
    return _parse_td2_td3(cleaned, fmt, errors, today)


def _parse_td1(lines: list[str], errors: list[str], today: dt.date) -> MrzResult:
    l1, l2, l3 = lines
    number_field, number_check, optional1 = l1[5:14], l1[14], l1[15:30]
    if number_check == "<" and _code(optional1):
        # Long document number: it continues in the optional data, check digit last.
        rest = optional1.split("<", 1)[0]
        number_field, number_check = number_field + rest[:-1], rest[-1:] or "<"
        optional1 = optional1[len(rest) :]
    _check(number_field, number_check, "mrz_check_digit_document_number", errors)
    birth_raw, expiry_raw = l2[0:6], l2[8:14]
    _check(birth_raw, l2[6], "mrz_check_digit_birth_date", errors)
    _check(expiry_raw, l2[14], "mrz_check_digit_expiry_date", errors)
    composite = l1[5:30] + l2[0:7] + l2[8:15] + l2[18:29]
    _check(composite, l2[29], "mrz_check_digit_composite", errors)
    sex = _sex(l2[7], errors)
    surname, given = _names(l3)
    return _finish(
        "TD1",
        l1[0:2],
        l1[2:5],
        surname,
        given,
        number_field,
        l2[15:18],
        birth_raw,
        sex,
        expiry_raw,
        _filler_to_text(optional1 + "<" + l2[18:29]),
        errors,
        today,
    )


def _parse_td2_td3(lines: list[str], fmt: str, errors: list[str], today: dt.date) -> MrzResult:
    l1, l2 = lines
    _check(l2[0:9], l2[9], "mrz_check_digit_document_number", errors)
    _check(l2[13:19], l2[19], "mrz_check_digit_birth_date", errors)
    _check(l2[21:27], l2[27], "mrz_check_digit_expiry_date", errors)
    if fmt == "TD3":
        optional = l2[28:42]
        # An all-filler personal number may carry '<' or '0' as its check digit.
        if not (optional.strip("<") == "" and l2[42] in "<0"):
            _check(optional, l2[42], "mrz_check_digit_optional_data", errors)
        composite, composite_digit = l2[0:10] + l2[13:20] + l2[21:43], l2[43]
    else:
        optional = l2[28:35]
        composite, composite_digit = l2[0:10] + l2[13:20] + l2[21:35], l2[35]
    _check(composite, composite_digit, "mrz_check_digit_composite", errors)
    sex = _sex(l2[20], errors)
    surname, given = _names(l1[5:])
    return _finish(
        fmt,
        l1[0:2],
        l1[2:5],
        surname,
        given,
        l2[0:9],
        l2[10:13],
        l2[13:19],
        sex,
        l2[21:27],
        _filler_to_text(optional),
        errors,
        today,
    )


def _finish(
    fmt: str,
    doc_type: str,
    issuer: str,
    surname: str | None,
    given: str | None,
    number: str,
    nationality: str,
    birth_raw: str,
    sex: str | None,
    expiry_raw: str,
    optional: str,
    errors: list[str],
    today: dt.date,
) -> MrzResult:
    birth = _date(birth_raw, birth=True, today=today)
    if birth is None and birth_raw.strip("<"):
        errors.append("mrz_invalid_birth_date")
    expiry = _date(expiry_raw, birth=False, today=today)
    if expiry is None and expiry_raw.strip("<"):
        errors.append("mrz_invalid_expiry_date")
    return MrzResult(
        format=fmt,
        document_type=_code(doc_type),
        issuer=_code(issuer),
        surname=surname,
        given_names=given,
        document_number=_code(number),
        nationality=_code(nationality),
        birth_date=birth,
        birth_date_raw=birth_raw,
        sex=sex,
        expiry_date=expiry,
        expiry_date_raw=expiry_raw,
        optional_data=optional or None,
        errors=tuple(dict.fromkeys(errors)),
    )


@dataclass(frozen=True, slots=True)
class MrzMismatch:
    """A printed field that the machine-readable zone contradicts."""

    field: str
    code: str
    mrz: str | None
    printed: str | None


_GERMAN = str.maketrans(
    {"Ä": "AE", "Ö": "OE", "Ü": "UE", "ß": "SS", "Å": "AA", "Æ": "AE", "Ø": "OE", "Þ": "TH"}
)


def _mrz_forms(text: str) -> set[str]:
    """The ways ICAO transliteration may write a printed name in the MRZ."""
    upper = unicodedata.normalize("NFC", text).upper()
    forms = set()
    for variant in (upper, upper.translate(_GERMAN)):
        folded = unicodedata.normalize("NFKD", variant)
        ascii_only = "".join(ch for ch in folded if not unicodedata.combining(ch))
        forms.add(re.sub(r"[^A-Z0-9]+", "", ascii_only))
    return forms


def _names_agree(mrz: str, printed: str) -> bool:
    m = re.sub(r"[^A-Z0-9]+", "", mrz.upper())
    # MRZ names are truncated when too long, so a printed name may run on past it.
    return any(form == m or (len(m) >= 5 and form.startswith(m)) for form in _mrz_forms(printed))


def _yymmdd(value: str) -> str | None:
    m = re.match(r"^\s*(\d{4})-(\d{2})-(\d{2})\s*$", value)
    return f"{m.group(1)[2:]}{m.group(2)}{m.group(3)}" if m else None


def compare_mrz_to_printed(mrz: MrzResult, printed: Mapping[str, Any]) -> list[MrzMismatch]:
    """Fields printed on the data page that the MRZ contradicts.

    ``printed`` may hold ``document_number``/``number``, ``issuer``, ``nationality``,
    ``surname``/``family``, ``given_names``/``given``, ``birth_date`` (ISO),
    ``sex`` and ``expiry_date`` (ISO); absent or empty fields are not compared.
    Each mismatch has the code ``mrz_mismatch_<field>``.

    >>> r = parse_mrz(["P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<",
    ...                "L898902C36UTO7408122F1204159ZE184226B<<<<<10"])
    >>> [m.field for m in compare_mrz_to_printed(r, {"number": "L898902C3", "sex": "M"})]
    ['sex']
    """
    out: list[MrzMismatch] = []

    def get(*keys: str) -> str | None:
        for key in keys:
            value = printed.get(key)
            if isinstance(value, str) and value.strip():
                return value.strip()
        return None

    def add(field: str, m: str | None, p: str | None) -> None:
        out.append(MrzMismatch(field, f"mrz_mismatch_{field}", m, p))

    number = get("document_number", "number")
    if number is not None and mrz.document_number is not None:
        norm = re.sub(r"[\s\-<]+", "", number).upper()
        if norm != mrz.document_number.replace("<", ""):
            add("document_number", mrz.document_number, number)
    for field, value in (("issuer", mrz.issuer), ("nationality", mrz.nationality)):
        p = get(field)
        if p is not None and value is not None and p.upper() != value:
            add(field, value, p)
    for field, mrz_value, keys in (
        ("surname", mrz.surname, ("surname", "family")),
        ("given_names", mrz.given_names, ("given_names", "given")),
    ):
        p = get(*keys)
        if p is not None and mrz_value is not None and not _names_agree(mrz_value, p):
            add(field, mrz_value, p)
    for field, raw in (("birth_date", mrz.birth_date_raw), ("expiry_date", mrz.expiry_date_raw)):
        p = get(field)
        short = _yymmdd(p) if p is not None else None
        if short is not None and raw is not None and short != raw:
            add(field, raw, p)
    p = get("sex")
    if p is not None and mrz.sex is not None and p.upper()[:1] != mrz.sex:
        add("sex", mrz.sex, p)
    return out

"""The dossier as a printable PDF (fpdf2), in a font that prints names in their own
script: DejaVu Sans with Noto fallbacks (Han, Arabic, Ethiopic, Devanagari) where the
system has them, else the PDF core font with unprintable characters marked."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fpdf import FPDF
from fpdf.enums import XPos, YPos

from schemas.dossier import Dossier

_FONTS = Path("/usr/share/fonts")
_MAIN = ("dejavu", "truetype/dejavu/DejaVuSans.ttf", "truetype/dejavu/DejaVuSans-Bold.ttf")
#: Fallbacks for scripts DejaVu lacks, each loaded only when the text needs it (the
#: Han collection takes seconds to parse): family, file, collection index, code ranges.
_FALLBACKS: tuple[tuple[str, str, int, tuple[tuple[int, int], ...]], ...] = (
    (
        "cjk",
        "opentype/noto/NotoSansCJK-Regular.ttc",
        0,
        (
            (0x2E80, 0x9FFF),
            (0xAC00, 0xD7AF),
            (0xF900, 0xFAFF),
            (0xFF00, 0xFFEF),
            (0x20000, 0x3FFFF),
        ),
    ),
    (
        "arabic",
        "truetype/noto/NotoSansArabic-Regular.ttf",
        0,
        ((0x0600, 0x06FF), (0x0750, 0x077F), (0xFB50, 0xFDFF), (0xFE70, 0xFEFF)),
    ),
    ("ethiopic", "truetype/noto/NotoSansEthiopic-Regular.ttf", 0, ((0x1200, 0x139F),)),
    ("devanagari", "truetype/noto/NotoSansDevanagari-Regular.ttf", 0, ((0x0900, 0x097F),)),
)


def _needed(text: str) -> list[tuple[str, Path, int]]:
    """The fallback fonts the text needs that the system has."""
    points = {ord(ch) for ch in text if ord(ch) > 0x24F}
    return [
        (family, _FONTS / path, index)
        for family, path, index, ranges in _FALLBACKS
        if any(lo <= p <= hi for p in points for lo, hi in ranges) and (_FONTS / path).is_file()
    ]


_GRADES = {
    "proof": "PROOF (annex I)",
    "prima_facie": "PRIMA FACIE (annex II)",
    "none": "NOT EVIDENCE",
}


class _Document(FPDF):
    def __init__(self, title: str, text: str) -> None:
        super().__init__(format="A4")
        self.title_line = title
        family, regular, bold = _MAIN
        if (_FONTS / regular).is_file() and (_FONTS / bold).is_file():
            self.add_font(family, "", str(_FONTS / regular))
            self.add_font(family, "B", str(_FONTS / bold))
            self.family_name = family
            fallbacks = _needed(text)
            for name, path, index in fallbacks:
                self.add_font(name, "", str(path), collection_font_number=index)
            if fallbacks:
                self.set_fallback_fonts([f[0] for f in fallbacks], exact_match=False)
            self.unicode = True
        else:
            self.family_name = "helvetica"
            self.unicode = False
        self.set_auto_page_break(auto=True, margin=15)
        self.set_title(title)
        self.set_creator("Tessera")

    def text_of(self, value: str) -> str:
        if self.unicode:
            return value
        return value.encode("latin-1", "replace").decode("latin-1")

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font(self.family_name, "", 8)
        self.cell(0, 5, self.text_of(f"{self.title_line} - page {self.page_no()}"), align="C")

    def heading(self, text: str) -> None:
        self.ln(3)
        self.set_font(self.family_name, "B", 12)
        self.cell(0, 7, self.text_of(text), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_font(self.family_name, "", 10)

    def row(self, label: str, value: str) -> None:
        self.set_font(self.family_name, "B", 10)
        self.cell(48, 6, self.text_of(label))
        self.set_font(self.family_name, "", 10)
        self.multi_cell(0, 6, self.text_of(value), new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    def para(self, text: str, size: int = 10) -> None:
        self.set_font(self.family_name, "", size)
        self.multi_cell(0, 5, self.text_of(text), new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def _names(person: dict[str, Any]) -> str:
    out = []
    for name in person.get("names") or []:
        if isinstance(name, str):
            out.append(name)
        elif isinstance(name, dict) and name.get("full"):
            kind = name.get("kind", "primary")
            out.append(str(name["full"]) + ("" if kind == "primary" else f" ({kind})"))
    return "; ".join(out) or "-"


def _value(value: Any) -> str:
    if isinstance(value, list):
        return ", ".join(_value(v) for v in value)
    if isinstance(value, dict):
        if "full" in value:
            return str(value["full"])
        return ", ".join(f"{k} {_value(v)}" for k, v in value.items())
    return str(value)


def _particulars(doc: _Document, person: dict[str, Any]) -> None:
    doc.row("Names", _names(person))
    for key, label in (
        ("birth_date", "Date of birth"),
        ("birth_date_range", "Age assessment"),
        ("sex", "Sex"),
        ("nationality", "Nationality"),
        ("birth_place", "Place of birth"),
        ("languages", "Languages"),
    ):
        if person.get(key):
            doc.row(label, _value(person[key]))
    for document in person.get("documents") or []:
        doc.row("Document", _value(document))


def render(dossier: Dossier) -> bytes:
    """The dossier as PDF bytes: the same content as the JSON form, for print."""
    title = f"Readmission dossier {dossier.reference} for {dossier.requested_state}"
    doc = _Document(title, dossier.model_dump_json())
    doc.add_page()
    doc.set_font(doc.family_name, "B", 16)
    doc.multi_cell(0, 9, doc.text_of(title), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    doc.para(
        f"Requested state: {dossier.requested_state}. Agreement: {dossier.agreement.title} "
        f"({dossier.agreement.code}). Generated {dossier.generated_at:%Y-%m-%d %H:%M} UTC. "
        f"Case {dossier.case_id}.",
        9,
    )

    doc.heading("Particulars of the person")
    source = (
        "from the identity record confirmed"
        if dossier.person_source == "identity_record"
        else "as claimed by the person"
    )
    doc.para(f"Particulars {source}.", 9)
    _particulars(doc, dossier.person)

    doc.heading("Evidence of nationality")
    doc.para(
        f"{dossier.proof_count} item(s) of proof, {dossier.prima_facie_count} item(s) of "
        "prima facie evidence.",
        9,
    )
    for item in dossier.evidence:
        what = item.kind.replace("_", " ") + (
            f": {item.type.replace('_', ' ')}" if item.type else ""
        )
        doc.ln(1)
        doc.row(_GRADES[item.grade], what)
        doc.para(item.reason)
        if item.rule:
            doc.para(f"Rule: {item.rule}", 9)
        cited = "; ".join(f"{k.replace('_', ' ')}: {_value(v)}" for k, v in item.cited.items())
        if cited:
            doc.para(cited, 9)

    doc.heading("Identification")
    identity = dossier.identity
    doc.row(
        "Confirmed match",
        f"{identity.kind} {identity.ref or '(record of another agency)'}, band {identity.band}, "
        f"algorithm {identity.algorithm}",
    )
    for number, confirmation in enumerate(dossier.confirmations, start=1):
        doc.row(
            f"Confirmation {number}",
            f"{confirmation.reviewer}, {confirmation.decided_at:%Y-%m-%d %H:%M} UTC",
        )
    doc.para("Identity confirmed by two officers independently; matching only suggested it.", 9)
    return bytes(doc.output())

"""Evidence of nationality graded by a readmission agreement's rules (pure: no I/O).

The rules are data (``evidence_grading_rules``, one table per agreement); this module
only applies them: a false or doubted document never counts, evidence must point to the
requested state, and the most specific rule that fits an item gives its grade.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal

Grade = Literal["proof", "prima_facie", "none"]

#: What the dossier cites of each kind of evidence: nothing else of the item leaves
#: (no interview notes, no free text of the officer).
_DOCUMENT_FIELDS = (
    "type",
    "issuer",
    "number",
    "surname",
    "given_names",
    "names",
    "birth_date",
    "sex",
    "nationality",
    "expiry_date",
    "form",
    "genuineness",
)
_LANGUAGE_FIELDS = ("language", "dialect", "region", "confidence")

FALSE_RULE = "Common rule of the agreements: a false document is never evidence of nationality"
DOUBTED_RULE = (
    "Common rule of the agreements: a document whose genuineness is doubted is not "
    "evidence until it is found genuine"
)


@dataclass(frozen=True, slots=True)
class GradingRule:
    """One row of an agreement's table: evidence of this kind (and document type,
    form and validity where given) is of this grade, by the annex the rule cites."""

    evidence_kind: str
    grade: Literal["proof", "prima_facie"]
    rule: str
    document_type: str | None = None
    form: str | None = None
    validity: str | None = None

    def fits(self, kind: str, document_type: str | None, form: str, validity: str | None) -> bool:
        return (
            self.evidence_kind == kind
            and self.document_type in (None, document_type)
            and self.form in (None, form)
            and self.validity in (None, validity)
        )

    @property
    def specificity(self) -> int:
        return sum(v is not None for v in (self.document_type, self.form, self.validity))


@dataclass(frozen=True, slots=True)
class Agreement:
    """A readmission agreement and its grading table."""

    code: str
    title: str
    rules: tuple[GradingRule, ...]


@dataclass(frozen=True, slots=True)
class Graded:
    """An item's grade, the reason in words, the rule it follows (None when no rule
    grades it) and the fields of the item the dossier cites."""

    grade: Grade
    reason: str
    rule: str | None
    cited: dict[str, Any] = field(default_factory=dict)


def best_rule(
    rules: Sequence[GradingRule],
    kind: str,
    *,
    document_type: str | None = None,
    form: str = "original",
    validity: str | None = None,
) -> GradingRule | None:
    """The most specific rule that fits, or None.

    >>> rules = [GradingRule("document", "prima_facie", "any copy", form="photocopy"),
    ...          GradingRule("document", "proof", "passport", document_type="passport",
    ...                      form="original")]
    >>> best_rule(rules, "document", document_type="passport").rule
    'passport'
    >>> best_rule(rules, "document", document_type="passport", form="photocopy").rule
    'any copy'
    >>> best_rule(rules, "interview") is None
    True
    """
    fitting = [r for r in rules if r.fits(kind, document_type, form, validity)]
    return max(fitting, key=lambda r: r.specificity) if fitting else None


def validity_on(expiry_date: str | None, today: date) -> Literal["valid", "expired"] | None:
    """``expired`` when the document's expiry date has passed; None when it has none."""
    if not expiry_date:
        return None
    try:
        expiry = date.fromisoformat(expiry_date)
    except ValueError:
        return None
    return "expired" if expiry < today else "valid"


def grade_evidence(
    kind: str,
    data: Mapping[str, Any],
    *,
    agreement: Agreement,
    requested_state: str,
    today: date,
) -> Graded:
    """Grade one item of evidence for a request to ``requested_state``."""
    if kind == "document":
        return _document(data, agreement, requested_state, today)
    if kind == "interview":
        return _statement(data, agreement, requested_state)
    if kind == "language_test":
        return _language(data, agreement)
    return Graded("none", f"A {kind.replace('_', ' ')} is not evidence of nationality.", None)


def _label(document_type: str) -> str:
    return document_type.replace("_", " ")


def _document(
    data: Mapping[str, Any], agreement: Agreement, requested_state: str, today: date
) -> Graded:
    cited = {k: data[k] for k in _DOCUMENT_FIELDS if data.get(k) not in (None, [], "")}
    document_type = str(data.get("type", "other"))
    label = _label(document_type)
    genuineness = data.get("genuineness", "not_assessed")
    if genuineness == "false":
        return Graded("none", f"The {label} was found false.", FALSE_RULE, cited)
    if genuineness == "doubtful":
        return Graded("none", f"The genuineness of the {label} is doubted.", DOUBTED_RULE, cited)
    state = data.get("nationality") or data.get("issuer")
    if not state:
        return Graded(
            "none", f"The {label} names neither a nationality nor an issuing state.", None, cited
        )
    if state != requested_state:
        return Graded(
            "none",
            f"The {label} points to {state}, not to the requested state {requested_state}.",
            None,
            cited,
        )
    form = str(data.get("form", "original"))
    validity = validity_on(data.get("expiry_date"), today)
    rule = best_rule(
        agreement.rules, "document", document_type=document_type, form=form, validity=validity
    )
    copy = "a photocopy of " if form == "photocopy" else ""
    if rule is None:
        what = f"A photocopy of a {label}" if copy else f"A {label}"
        return Graded("none", f"{what} is on neither annex of {agreement.code}.", None, cited)
    facts = [f"{copy}{label} of {state}"]
    if validity == "expired":
        facts.append(f"expired on {data['expiry_date']}")
    if genuineness == "genuine":
        facts.append("examined and found genuine")
    reason = ", ".join(facts)
    return Graded(rule.grade, reason[0].upper() + reason[1:] + ".", rule.rule, cited)


def _statement(data: Mapping[str, Any], agreement: Agreement, requested_state: str) -> Graded:
    claims = data.get("claims") or {}
    nationalities = [str(c) for c in claims.get("nationality") or []]
    cited: dict[str, Any] = {"nationality": nationalities} if nationalities else {}
    if requested_state not in nationalities:
        return Graded(
            "none",
            "The person's statements claim no nationality of the requested state.",
            None,
            cited,
        )
    rule = best_rule(agreement.rules, "interview")
    if rule is None:
        return Graded(
            "none", f"{agreement.code} does not grade the person's own statements.", None, cited
        )
    return Graded(
        rule.grade,
        f"The person stated at interview that they are a national of {requested_state}.",
        rule.rule,
        cited,
    )


def _language(data: Mapping[str, Any], agreement: Agreement) -> Graded:
    cited = {k: data[k] for k in _LANGUAGE_FIELDS if data.get(k) not in (None, "")}
    rule = best_rule(agreement.rules, "language_test")
    if rule is None:
        return Graded("none", f"{agreement.code} does not grade language analyses.", None, cited)
    spoken = str(data.get("language", "?"))
    if data.get("dialect"):
        spoken += f" ({data['dialect']})"
    where = f", pointing to {data['region']}" if data.get("region") else ""
    return Graded(
        rule.grade,
        f"A language analysis found the person speaks {spoken}{where}.",
        rule.rule,
        cited,
    )

"""SQL for dossiers: the identified case, its confirmed candidate and confirmations,
its current evidence, and the requested state's agreement with its grading table."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from psycopg.rows import class_row

from service.db import Conn
from service.dossier.grading import Agreement, GradingRule


@dataclass(frozen=True, slots=True)
class CaseRow:
    id: UUID
    agency_id: UUID
    reference: str
    state: str
    outcome: str | None
    subject: dict[str, Any]


def get_case(conn: Conn, case_id: UUID) -> CaseRow | None:
    """The case, or None when this agency has none with that id (row-level security)."""
    with conn.cursor(row_factory=class_row(CaseRow)) as cur:
        cur.execute(
            "SELECT id, agency_id, reference, state, outcome, subject FROM cases WHERE id = %s",
            (case_id,),
        )
        return cur.fetchone()


@dataclass(frozen=True, slots=True)
class ConfirmedRow:
    id: UUID
    kind: str
    subject_id: UUID
    owner_agency_id: UUID
    ref: str | None
    band: str
    match_run_id: UUID
    algorithm: str


def confirmed_candidate(conn: Conn, case_id: UUID) -> ConfirmedRow | None:
    """The case's confirmed candidate (two confirmations, no rejection), latest first."""
    with conn.cursor(row_factory=class_row(ConfirmedRow)) as cur:
        cur.execute(
            """SELECT c.id, c.kind, c.subject_id, c.owner_agency_id, c.ref, c.band,
                      c.match_run_id, r.algorithm
               FROM candidates c JOIN match_runs r ON r.id = c.match_run_id
               WHERE c.case_id = %s AND c.status = 'confirmed'
               ORDER BY r.created_at DESC, c.rank LIMIT 1""",
            (case_id,),
        )
        return cur.fetchone()


@dataclass(frozen=True, slots=True)
class ConfirmationRow:
    decision_id: UUID
    reviewer_id: UUID
    reviewer: str
    decided_at: datetime


def confirmations(conn: Conn, candidate_id: UUID) -> list[ConfirmationRow]:
    """The confirm verdicts on the candidate, oldest first, with the reviewers' names."""
    with conn.cursor(row_factory=class_row(ConfirmationRow)) as cur:
        cur.execute(
            """SELECT d.id AS decision_id, d.reviewer_id, u.name AS reviewer,
                      d.created_at AS decided_at
               FROM decisions d JOIN users u ON u.id = d.reviewer_id
               WHERE d.candidate_id = %s AND d.verdict = 'confirm'
               ORDER BY d.created_at, d.id""",
            (candidate_id,),
        )
        return cur.fetchall()


def own_identity_person(conn: Conn, identity_id: UUID) -> dict[str, Any] | None:
    """An identity record's person when it is this agency's own (row-level security
    hides every other agency's)."""
    row = conn.execute("SELECT person FROM identities WHERE id = %s", (identity_id,)).fetchone()
    return None if row is None else dict(row[0])


def current_evidence(conn: Conn, case_id: UUID) -> list[tuple[UUID, str, dict[str, Any], datetime]]:
    """The case's current evidence: not erased, not superseded, oldest first."""
    rows = conn.execute(
        """SELECT e.id, e.kind, e.data, e.created_at FROM evidence e
           WHERE e.case_id = %s AND e.erased_at IS NULL
             AND NOT EXISTS (SELECT 1 FROM evidence s WHERE s.supersedes = e.id)
           ORDER BY e.created_at, e.id""",
        (case_id,),
    ).fetchall()
    return [(r[0], r[1], r[2], r[3]) for r in rows]


def agreement_for(conn: Conn, requested_state: str) -> Agreement | None:
    """The agreement that names the requested state, else the default one, with its
    grading table."""
    head = conn.execute(
        """SELECT code, title FROM readmission_agreements
           WHERE %s = ANY (states) OR is_default
           ORDER BY (%s = ANY (states)) DESC, code LIMIT 1""",
        (requested_state, requested_state),
    ).fetchone()
    if head is None:
        return None
    with conn.cursor(row_factory=class_row(GradingRule)) as cur:
        cur.execute(
            """SELECT evidence_kind, grade, rule, document_type, form, validity
               FROM evidence_grading_rules WHERE agreement_code = %s ORDER BY id""",
            (head[0],),
        )
        rules = tuple(cur.fetchall())
    return Agreement(code=head[0], title=head[1], rules=rules)

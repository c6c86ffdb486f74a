"""SQL of match runs, their candidates and the decisions on them, and the stop switch."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

import psycopg
from psycopg.rows import class_row

from service.db import Conn

# Stop switch ----------------------------------------------------------------------------------


def matching_suspended(conn: Conn) -> bool:
    row = conn.execute(
        "SELECT value FROM control_flags WHERE name = 'matching_suspended'"
    ).fetchone()
    return bool(row and row[0])


def set_matching_suspended(conn: Conn, value: bool, reason: str | None, user_id: UUID) -> None:
    conn.execute(
        "UPDATE control_flags SET value = %s, reason = %s, updated_by = %s, updated_at = now() "
        "WHERE name = 'matching_suspended'",
        (value, reason, user_id),
    )


def matching_state(conn: Conn) -> tuple[bool, str | None, datetime]:
    row = conn.execute(
        "SELECT value, reason, updated_at FROM control_flags WHERE name = 'matching_suspended'"
    ).fetchone()
    assert row is not None
    return bool(row[0]), row[1], row[2]


# Match runs and candidates ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Run:
    id: UUID
    agency_id: UUID
    case_id: UUID
    state: str
    algorithm: str
    evidence_hash: str
    gallery_version: int | None
    requested_by: UUID
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    attempts: int
    candidate_count: int | None
    timings: dict[str, Any]
    error: str | None
    pending_index: int | None


_RUN_COLUMNS = (
    "id, agency_id, case_id, state, algorithm, evidence_hash, gallery_version, requested_by, "
    "created_at, started_at, finished_at, attempts, candidate_count, timings, error, "
    "pending_index"
)


def insert_run(
    conn: Conn, *, case_id: UUID, algorithm: str, evidence_hash: str, requested_by: UUID
) -> tuple[UUID, bool]:
    """The run for this case, evidence state and algorithm: (id, created now)."""
    row = conn.execute(
        "INSERT INTO match_runs (case_id, algorithm, evidence_hash, requested_by) "
        "VALUES (%s, %s, %s, %s) ON CONFLICT (case_id, evidence_hash, algorithm) DO NOTHING "
        "RETURNING id",
        (case_id, algorithm, evidence_hash, requested_by),
    ).fetchone()
    if row is not None:
        return row[0], True
    existing = conn.execute(
        "SELECT id FROM match_runs WHERE case_id = %s AND evidence_hash = %s AND algorithm = %s",
        (case_id, evidence_hash, algorithm),
    ).fetchone()
    assert existing is not None
    return existing[0], False


def get_run(conn: Conn, run_id: UUID, *, lock: bool = False) -> Run | None:
    suffix = " FOR UPDATE" if lock else ""
    with conn.cursor(row_factory=class_row(Run)) as cur:
        cur.execute(f"SELECT {_RUN_COLUMNS} FROM match_runs WHERE id = %s{suffix}", (run_id,))  # noqa: S608
        return cur.fetchone()


def latest_done_run(conn: Conn, case_id: UUID) -> Run | None:
    with conn.cursor(row_factory=class_row(Run)) as cur:
        cur.execute(
            f"SELECT {_RUN_COLUMNS} FROM match_runs WHERE case_id = %s AND state = 'done' "  # noqa: S608
            "ORDER BY finished_at DESC LIMIT 1",
            (case_id,),
        )
        return cur.fetchone()


def requeue_run(conn: Conn, run_id: UUID) -> None:
    conn.execute(
        "UPDATE match_runs SET state = 'queued', error = NULL, started_at = NULL WHERE id = %s",
        (run_id,),
    )


def start_run(conn: Conn, run_id: UUID) -> None:
    conn.execute(
        "UPDATE match_runs SET state = 'running', started_at = now(), attempts = attempts + 1 "
        "WHERE id = %s",
        (run_id,),
    )


def finish_run(
    conn: Conn, run_id: UUID, *, gallery: int, count: int, timings: Mapping[str, float]
) -> None:
    conn.execute(
        "UPDATE match_runs SET state = 'done', finished_at = now(), gallery_version = %s, "
        "candidate_count = %s, timings = %s, pending_index = tessera_pending_index() "
        "WHERE id = %s",
        (gallery, count, json.dumps(timings), run_id),
    )


def fail_run(conn: Conn, run_id: UUID, error: str) -> None:
    conn.execute(
        "UPDATE match_runs SET state = 'failed', finished_at = now(), error = %s WHERE id = %s",
        (error[:2000], run_id),
    )


def replace_candidates(conn: Conn, run: Run, rows: Sequence[Mapping[str, Any]]) -> None:
    """The run's candidates, best first; a retried run replaces a half-written list."""
    conn.execute("DELETE FROM candidates WHERE match_run_id = %s", (run.id,))
    with conn.cursor() as cur:
        cur.executemany(
            """INSERT INTO candidates (agency_id, match_run_id, case_id, rank, kind, subject_id,
                                       owner_agency_id, ref, score, match_weight, band,
                                       explanation)
               VALUES (%(agency_id)s, %(run_id)s, %(case_id)s, %(rank)s, %(kind)s,
                       %(subject_id)s, %(owner)s, %(ref)s, %(score)s, %(weight)s, %(band)s,
                       %(explanation)s)""",
            [
                {
                    "agency_id": run.agency_id,
                    "run_id": run.id,
                    "case_id": run.case_id,
                    "explanation": json.dumps(row["explanation"], ensure_ascii=False),
                    **{k: v for k, v in row.items() if k != "explanation"},
                }
                for row in rows
            ],
        )


@dataclass(frozen=True, slots=True)
class CandidateRow:
    id: UUID
    match_run_id: UUID
    case_id: UUID
    rank: int
    kind: str
    subject_id: UUID
    owner_agency_id: UUID
    ref: str | None
    score: float
    match_weight: float
    band: str
    explanation: list[dict[str, Any]]
    status: str


_CANDIDATE_COLUMNS = (
    "id, match_run_id, case_id, rank, kind, subject_id, owner_agency_id, ref, score, "
    "match_weight, band, explanation, status"
)


def candidates_of_run(conn: Conn, run_id: UUID) -> list[CandidateRow]:
    with conn.cursor(row_factory=class_row(CandidateRow)) as cur:
        cur.execute(
            f"SELECT {_CANDIDATE_COLUMNS} FROM candidates WHERE match_run_id = %s ORDER BY rank",  # noqa: S608
            (run_id,),
        )
        return cur.fetchall()


def get_candidate(conn: Conn, candidate_id: UUID) -> CandidateRow | None:
    with conn.cursor(row_factory=class_row(CandidateRow)) as cur:
        cur.execute(
            f"SELECT {_CANDIDATE_COLUMNS} FROM candidates WHERE id = %s",  # noqa: S608
            (candidate_id,),
        )
        return cur.fetchone()


@dataclass(frozen=True, slots=True)
class DecisionRow:
    id: UUID
    candidate_id: UUID
    case_id: UUID
    match_run_id: UUID
    reviewer_id: UUID
    verdict: str
    reason: str
    algorithm: str
    score: float
    band: str
    explanation: list[dict[str, Any]]
    created_at: datetime


_DECISION_COLUMNS = (
    "id, candidate_id, case_id, match_run_id, reviewer_id, verdict, reason, algorithm, score, "
    "band, explanation, created_at"
)


class DecisionRefused(Exception):
    """The database refused a decision. ``rule`` says which rule: ``already_decided``
    (this reviewer decided on this candidate before), ``creator`` (the case's creator
    gave the second confirmation), ``already_confirmed`` (two confirmations stand), or
    ``two_person_rule`` (any other refusal of the two-person rule)."""

    def __init__(self, rule: str) -> None:
        super().__init__(rule)
        self.rule = rule


#: The trigger ``tessera_decide`` (migration 0003) raises check_violation (SQLSTATE
#: 23514) with a message opening ``two_person_rule:``; these phrases of it name the rule.
_TRIGGER_RULES = (
    ("the case's creator cannot", "creator"),
    ("already confirmed", "already_confirmed"),
)


def insert_decision(
    conn: Conn, *, candidate_id: UUID, reviewer_id: UUID, verdict: str, reason: str
) -> DecisionRow:
    """Record a verdict; the database fills in what it was taken on and applies the rule.

    Raises :class:`DecisionRefused` when the database refuses it; the caller's
    transaction stays usable (the insert runs in a savepoint).
    """
    try:
        with conn.transaction(), conn.cursor(row_factory=class_row(DecisionRow)) as cur:
            cur.execute(
                f"""INSERT INTO decisions (candidate_id, reviewer_id, verdict, reason)
                   VALUES (%s, %s, %s, %s)
                   RETURNING {_DECISION_COLUMNS}""",  # noqa: S608
                (candidate_id, reviewer_id, verdict, reason),
            )
            row = cur.fetchone()
    except psycopg.errors.UniqueViolation:
        raise DecisionRefused("already_decided") from None
    except psycopg.errors.CheckViolation as exc:
        message = str(exc.diag.message_primary or "")
        rule = next(
            (name for phrase, name in _TRIGGER_RULES if phrase in message), "two_person_rule"
        )
        raise DecisionRefused(rule) from None
    assert row is not None
    return row


def decisions_on(conn: Conn, candidate_ids: Sequence[UUID]) -> list[DecisionRow]:
    with conn.cursor(row_factory=class_row(DecisionRow)) as cur:
        cur.execute(
            f"SELECT {_DECISION_COLUMNS} FROM decisions WHERE candidate_id = ANY(%s) "  # noqa: S608
            "ORDER BY created_at",
            (list(candidate_ids),),
        )
        return cur.fetchall()


# Reads for the review desk ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class OpenReviews:
    """Candidates of a case with a verdict given and no confirmation yet, and how many of
    those still wait for the current user. Verdicts themselves are not read."""

    open: int
    awaiting_you: int


def open_reviews(conn: Conn, case_ids: Sequence[UUID], user_id: UUID) -> dict[UUID, OpenReviews]:
    rows = conn.execute(
        """SELECT c.case_id,
                  count(*) AS open,
                  count(*) FILTER (WHERE NOT EXISTS (
                      SELECT 1 FROM decisions m
                      WHERE m.candidate_id = c.id AND m.reviewer_id = %s)) AS awaiting_you
           FROM candidates c
           WHERE c.case_id = ANY(%s) AND c.status <> 'confirmed'
             AND EXISTS (SELECT 1 FROM decisions d WHERE d.candidate_id = c.id)
           GROUP BY c.case_id""",
        (user_id, list(case_ids)),
    ).fetchall()
    return {row[0]: OpenReviews(open=row[1], awaiting_you=row[2]) for row in rows}


def latest_run_id(conn: Conn, case_id: UUID) -> UUID | None:
    """The case's most recently requested match run, whatever its state."""
    row = conn.execute(
        "SELECT id FROM match_runs WHERE case_id = %s ORDER BY created_at DESC, id LIMIT 1",
        (case_id,),
    ).fetchone()
    return row[0] if row else None

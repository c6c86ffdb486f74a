"""SQL of partner queries: the per-agency query windows and the agreements' purposes."""

from __future__ import annotations

from dataclasses import dataclass

from service.db import Conn


@dataclass(frozen=True, slots=True)
class Window:
    """One query just counted: seconds to wait (0: admitted), the window's counts so
    far, and the totals of a window this query closed (None if it closed none)."""

    retry_after_s: int
    queries: int
    refused: int
    closed_queries: int | None
    closed_refused: int | None


def admit(conn: Conn, *, limit: int, window_s: int) -> Window:
    """Count a query of the current partner agency against its window."""
    row = conn.execute(
        "SELECT retry_after, queries, refused, closed_queries, closed_refused "
        "FROM tessera_partner_admit(%s, %s)",
        (limit, window_s),
    ).fetchone()
    assert row is not None
    return Window(int(row[0]), int(row[1]), int(row[2]), row[3], row[4])


def purpose_reach(conn: Conn, purpose: str) -> tuple[int, int]:
    """How many of the current agency's live agreements (as partner) allow ``purpose``,
    and how many it has."""
    row = conn.execute(
        "SELECT count(*) FILTER (WHERE tessera_purpose_allows(purpose, %s)), count(*) "
        "FROM sharing_agreements "
        "WHERE partner_agency_id = tessera_agency() AND revoked_at IS NULL "
        "AND (expires_at IS NULL OR expires_at > now())",
        (purpose,),
    ).fetchone()
    assert row is not None
    return int(row[0]), int(row[1])


def state_purpose(conn: Conn, purpose: str) -> None:
    """Tell the database the purpose of this transaction's query (tessera_purpose()),
    which decides which shared galleries a partner's query reaches."""
    conn.execute("SELECT set_config('tessera.purpose', %s, true)", (purpose,))


def commit_without_waiting(conn: Conn) -> None:
    """Let this transaction commit without waiting for the disk (a crash may lose it)."""
    conn.execute("SET LOCAL synchronous_commit = off")

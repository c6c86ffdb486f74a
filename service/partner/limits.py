"""Per-partner query limits: every query a partner agency makes is counted in fixed
windows in PostgreSQL (so every API process counts together), before the request's
own transaction opens; past the limit the query is refused with 429 ``rate_limited``
and ``Retry-After``.

The audit log is written in aggregate, not once per refused query:
``partner.throttled`` at the first refusal of a window (with the window's count), and
``partner.throttle_end`` with the first query of the next window, holding the closed
window's totals of queries and refusals.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Header, Request
from psycopg_pool import ConnectionPool

from service.audit import service as audit
from service.db import Conn, Principal, set_context
from service.deps import COMMIT_BEFORE_RESPONSE, Context, get_pool, get_settings, open_context
from service.errors import Forbidden, TooManyQueries
from service.partner import repository as partner_queries
from service.settings import Settings


def admit_partner_query(
    conn: Conn, principal: Principal, settings: Settings, request_id: str
) -> None:
    """Count the query in its own transaction (committed even when it is refused)."""
    if principal.role != "partner":
        raise Forbidden(
            f"This needs the role partner; your token is for {principal.role}.",
            code="role_not_allowed",
        )
    limit, window_s = settings.partner_query_limit, settings.partner_query_window_s
    with conn.transaction():
        set_context(conn, principal)
        window = partner_queries.admit(conn, limit=limit, window_s=window_s)
        if window.closed_refused:
            audit.append(
                conn,
                principal,
                "partner.throttle_end",
                request_id=request_id,
                details={
                    "limit": limit,
                    "window_s": window_s,
                    "queries": window.closed_queries,
                    "refused": window.closed_refused,
                },
            )
        throttled = bool(window.retry_after_s) and window.refused == 1
        if throttled:
            audit.append(
                conn,
                principal,
                "partner.throttled",
                request_id=request_id,
                details={"limit": limit, "window_s": window_s, "queries": window.queries},
            )
        if not (throttled or window.closed_refused):
            # a count alone need not wait for the disk (a crash may lose a few counts);
            # a transaction that logged an event commits as usual
            partner_queries.commit_without_waiting(conn)
    if window.retry_after_s:
        raise TooManyQueries(window.retry_after_s, limit, window_s)


def partner_query_context(
    request: Request,
    pool: Annotated[ConnectionPool[Conn], Depends(get_pool)],
    settings: Annotated[Settings, Depends(get_settings)],
    authorization: Annotated[str | None, Header()] = None,
    x_purpose: Annotated[str | None, Header()] = None,
) -> Iterator[Context]:
    """A partner's request context, admitted by the partner agency's query limit."""
    yield from open_context(
        request,
        pool,
        settings,
        authorization,
        x_purpose,
        admit=lambda conn, principal: admit_partner_query(
            conn, principal, settings, request.state.request_id
        ),
    )


RateLimitedPartner = Annotated[
    Context, Depends(partner_query_context, scope=COMMIT_BEFORE_RESPONSE)
]

"""Request-scoped resources: the transaction, the principal, the purpose, the request id."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import Depends, Header, Request
from psycopg_pool import ConnectionPool

from service import audit
from service.db import Conn, Principal, set_context
from service.errors import Forbidden, InvalidInput, TooManyFailedSignIns, Unauthorized
from service.repositories import auth_failures
from service.security import secret_matches, split_token
from service.settings import Settings

# The request's transaction commits when the handler returns, before the response
# leaves: a client that reads right after a 201 or 202 must see what it wrote.
COMMIT_BEFORE_RESPONSE: Literal["function"] = "function"


@dataclass(slots=True)
class Context:
    """Everything a request handler needs: its transaction and who is asking, for what."""

    conn: Conn
    principal: Principal
    request_id: str
    purpose: str | None
    settings: Settings

    def audit(
        self,
        action: str,
        *,
        object_type: str | None = None,
        object_id: UUID | str | None = None,
        details: dict[str, Any] | None = None,
    ) -> int:
        """Record an event in this request's transaction."""
        return audit.append(
            self.conn,
            self.principal,
            action,
            object_type=object_type,
            object_id=object_id,
            purpose=self.purpose,
            request_id=self.request_id,
            details=details,
        )

    def require_purpose(self) -> str:
        """The request's purpose; personal-data reads and queries must state one."""
        if not self.purpose:
            raise InvalidInput(
                "State the purpose of this request in the X-Purpose header.",
                code="purpose_required",
            )
        return self.purpose


def get_pool(request: Request) -> ConnectionPool[Conn]:
    pool: ConnectionPool[Conn] = request.app.state.pool
    return pool


def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def _authenticate(conn: Conn, authorization: str | None) -> Principal:
    if not authorization or not authorization.startswith("Bearer "):
        raise Unauthorized("Send your token as 'Authorization: Bearer <token>'.")
    parts = split_token(authorization.removeprefix("Bearer ").strip())
    if parts is None:
        raise Unauthorized("That token is not valid.", code="invalid_token")
    key_id, secret = parts
    row = conn.execute(
        "SELECT user_id, agency_id, role, secret_hash FROM tessera_auth_lookup(%s)", (key_id,)
    ).fetchone()
    if row is None or not secret_matches(secret, bytes(row[3])):
        raise Unauthorized("That token is not valid.", code="invalid_token")
    return Principal(user_id=row[0], agency_id=row[1], role=row[2])


#: Failed sign-ins a source (or a token id) may make in one window before it is refused.
FAILED_SIGN_IN_LIMIT = 10
#: The window, in seconds; counts start again when it has passed.
FAILED_SIGN_IN_WINDOW_S = 60


def source_of(request: Request) -> str:
    """The address the request came from (the peer; a proxy's header is not trusted)."""
    return request.client.host if request.client else "unknown"


def authenticate(conn: Conn, authorization: str | None, source: str, request_id: str) -> Principal:
    """Check the token, throttling and logging failures (its own transactions).

    Failures are counted per source address and per token id (the public key id of a
    well-formed token) in fixed windows of ``FAILED_SIGN_IN_WINDOW_S`` seconds, in
    PostgreSQL, so every API process and the desk count together. From the
    ``FAILED_SIGN_IN_LIMIT``-th failure until the window ends, that source (or token id)
    gets 429 ``too_many_failed_sign_ins`` with ``Retry-After``, without its token being
    looked at.

    The audit log is written aggregated, not once per failure: ``auth.failure`` for the
    first failure of a source's window (with the totals of the window it closes, if
    any), and ``auth.throttled`` when the source or the token id reaches the limit. So
    1,000 failures in a minute from one source write two events. They hold the source,
    the token id and the counts, never the secret. Refusals (429) are counted, not logged
    one by one; their total is logged with the next window's first failure. A request
    without any bearer token is refused (401) but not counted: it guessed nothing.
    """
    if not authorization or not authorization.startswith("Bearer "):
        return _authenticate(conn, authorization)  # no token presented: nothing to count
    parts = split_token(authorization.removeprefix("Bearer ").strip())
    key_id = parts[0] if parts else None
    refused: Unauthorized | None = None
    with conn.transaction():
        wait_s = auth_failures.retry_after(
            conn, source, key_id, limit=FAILED_SIGN_IN_LIMIT, window_s=FAILED_SIGN_IN_WINDOW_S
        )
        if wait_s == 0:
            try:
                return _authenticate(conn, authorization)
            except Unauthorized as exc:
                refused = exc
    if refused is None:
        raise TooManyFailedSignIns(wait_s)
    with conn.transaction():
        failure = auth_failures.record_failure(
            conn, source, key_id, window_s=FAILED_SIGN_IN_WINDOW_S
        )
        details: dict[str, Any] = {
            "source": source,
            "key_id": key_id,
            "failures": failure.failures,
            "key_failures": failure.key_failures,
            "window_s": FAILED_SIGN_IN_WINDOW_S,
        }
        if failure.failures == 1:
            if failure.closed_failures is not None:
                details["previous_window"] = {
                    "failures": failure.closed_failures,
                    "refused": failure.closed_refused,
                }
            audit.append(conn, None, "auth.failure", request_id=request_id, details=details)
        if FAILED_SIGN_IN_LIMIT in (failure.failures, failure.key_failures):
            audit.append(conn, None, "auth.throttled", request_id=request_id, details=details)
    raise refused


def _purpose(value: str | None) -> str | None:
    if value is None:
        return None
    value = value.strip()
    if len(value) > 500:
        raise InvalidInput("X-Purpose is limited to 500 characters.", code="invalid_purpose")
    return value or None


def get_context(
    request: Request,
    pool: Annotated[ConnectionPool[Conn], Depends(get_pool)],
    settings: Annotated[Settings, Depends(get_settings)],
    authorization: Annotated[str | None, Header()] = None,
    x_purpose: Annotated[str | None, Header()] = None,
) -> Iterator[Context]:
    """Open the request's transaction as the authenticated user; commit if it succeeds."""
    with pool.connection() as conn:
        principal = authenticate(conn, authorization, source_of(request), request.state.request_id)
        with conn.transaction():
            set_context(conn, principal)
            request.state.principal = principal
            yield Context(
                conn=conn,
                principal=principal,
                request_id=request.state.request_id,
                purpose=_purpose(x_purpose),
                settings=settings,
            )


def require(*roles: str) -> Callable[[Context], Context]:
    """A dependency that admits only the given roles."""

    def check(
        ctx: Annotated[Context, Depends(get_context, scope=COMMIT_BEFORE_RESPONSE)],
    ) -> Context:
        if ctx.principal.role not in roles:
            raise Forbidden(
                f"This needs the role {' or '.join(roles)}; "
                f"your token is for {ctx.principal.role}.",
                code="role_not_allowed",
            )
        return ctx

    return check


Caseworker = Annotated[Context, Depends(require("caseworker"), scope=COMMIT_BEFORE_RESPONSE)]
Partner = Annotated[Context, Depends(require("partner"), scope=COMMIT_BEFORE_RESPONSE)]
#: An agency's auditor (their own agency only, by row-level security) or an oversight
#: user, who reads across agencies.
Auditor = Annotated[Context, Depends(require("auditor", "oversight"), scope=COMMIT_BEFORE_RESPONSE)]
Admin = Annotated[Context, Depends(require("admin"), scope=COMMIT_BEFORE_RESPONSE)]

"""Request-scoped resources: the transaction, the principal, the purpose, the request id."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import Depends, Header, Request
from psycopg_pool import ConnectionPool

from service.audit import service as audit
from service.auth.service import authenticate
from service.db import Conn, Principal, set_context
from service.errors import Forbidden, InvalidInput
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


def source_of(request: Request) -> str:
    """The address the request came from (the peer; a proxy's header is not trusted)."""
    return request.client.host if request.client else "unknown"


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
    yield from open_context(request, pool, settings, authorization, x_purpose)


def open_context(
    request: Request,
    pool: ConnectionPool[Conn],
    settings: Settings,
    authorization: str | None,
    x_purpose: str | None,
    *,
    admit: Callable[[Conn, Principal], None] | None = None,
) -> Iterator[Context]:
    """Authenticate, run ``admit`` (its own transactions, before the request's), then
    open the request's transaction as the authenticated user."""
    with pool.connection() as conn:
        principal = authenticate(
            conn,
            authorization,
            source_of(request),
            request.state.request_id,
            limit=settings.failed_sign_in_limit,
            window_s=settings.failed_sign_in_window_s,
        )
        if admit is not None:
            admit(conn, principal)
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

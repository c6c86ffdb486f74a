"""Desk sessions: a random id in an HttpOnly cookie, its hash in the database, a CSRF
token derived from it, an idle timeout, and the request's transaction as its user.

A signed-in request runs exactly like an API request: one transaction scoped to the
user's agency and role, a :class:`service.deps.Context` with the purpose stated at
sign-in, and the domain services doing the work, as the API's routes do.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from fastapi import Request, Response
from psycopg_pool import ConnectionPool

from service.audit import service as audit
from service.auth.service import authenticate
from service.db import Conn, Principal, Proof, set_context
from service.deps import Context
from service.desk import repository
from service.errors import Forbidden
from service.settings import Settings

SESSION_COOKIE = "tessera_desk"
SIGN_IN_COOKIE = "tessera_desk_sign_in"
COOKIE_PATH = "/desk"
DESK_ROLES = ("caseworker", "auditor", "oversight")


class SignedOut(Exception):
    """No valid session: never signed in, signed out, expired or ended by the server."""

    def __init__(self, *, expired: bool = False) -> None:
        super().__init__("not signed in")
        self.expired = expired


class CsrfRefused(Exception):
    """A form arrived without the token of the session that rendered it."""


@dataclass(frozen=True, slots=True)
class DeskSession:
    """A signed-in request: the API context plus what the pages show of the user."""

    ctx: Context
    csrf: str
    user_name: str

    @property
    def role(self) -> str:
        return self.ctx.principal.role


def new_session_id() -> str:
    return secrets.token_urlsafe(32)


def session_hash(session_id: str) -> bytes:
    """What the database keeps of a session id."""
    return hashlib.sha256(b"tessera-desk-session:" + session_id.encode()).digest()


def csrf_token(session_id: str) -> str:
    """The session's form token: derived from the secret id, so only a page rendered for
    this session knows it, and distinct from the stored hash."""
    return hashlib.sha256(b"tessera-desk-csrf:" + session_id.encode()).hexdigest()


def tokens_match(given: str | None, expected: str) -> bool:
    return bool(given) and hmac.compare_digest(str(given).encode(), expected.encode())


def is_https(request: Request) -> bool:
    return request.url.scheme == "https"


def set_cookie(
    response: Response, request: Request, name: str, value: str, *, max_age: int | None
) -> None:
    """A desk cookie: HttpOnly, SameSite=Strict, Secure when served over TLS; without
    ``max_age`` it ends with the browser session."""
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        path=COOKIE_PATH,
        httponly=True,
        samesite="strict",
        secure=is_https(request),
    )


def clear_cookie(response: Response, request: Request, name: str) -> None:
    response.delete_cookie(
        name, path=COOKIE_PATH, httponly=True, samesite="strict", secure=is_https(request)
    )


def pool_of(request: Request) -> ConnectionPool[Conn]:
    pool: ConnectionPool[Conn] = request.app.state.pool
    return pool


def settings_of(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def role_refusal(role: str, roles: tuple[str, ...]) -> Forbidden:
    """The API's own refusal for a role a page is not for."""
    return Forbidden(
        f"This page needs the role {' or '.join(roles)}; you are signed in as {role}.",
        code="role_not_allowed",
    )


@contextmanager
def signed_in(request: Request, *roles: str, csrf: str | None = None) -> Iterator[DeskSession]:
    """The request's transaction as the session's user, committed if the page succeeds.

    Refuses (changing nothing) without a live session, for a role the page is not for,
    and, when ``csrf`` is passed (every POST), unless it is this session's form token.
    An expired session is deleted, and the caller is sent to sign in again.
    """
    session_id = request.cookies.get(SESSION_COOKIE)
    if not session_id or len(session_id) > 200:
        raise SignedOut()
    id_hash = session_hash(session_id)
    settings = settings_of(request)
    expired = False
    with pool_of(request).connection() as conn, conn.transaction():
        row = repository.find_session(conn, id_hash)
        if row is not None:
            principal = Principal(
                user_id=row.user_id,
                agency_id=row.agency_id,
                role=row.role,
                proof=Proof("session", id_hash),
            )
            set_context(conn, principal)
            request.state.principal = principal
            if row.idle_s > settings.desk_idle_timeout_s or row.age_s > settings.desk_max_session_s:
                repository.delete_session(conn, id_hash)
                expired = True
            else:
                if row.role not in roles:
                    raise role_refusal(row.role, roles)
                token = csrf_token(session_id)
                if csrf is not None and not tokens_match(csrf, token):
                    raise CsrfRefused()
                repository.touch_session(conn, id_hash)
                yield DeskSession(
                    ctx=Context(
                        conn=conn,
                        principal=principal,
                        request_id=request.state.request_id,
                        purpose=row.purpose,
                        settings=settings,
                    ),
                    csrf=token,
                    user_name=row.user_name,
                )
                return
    raise SignedOut(expired=expired)


def open_session(
    pool: ConnectionPool[Conn],
    settings: Settings,
    *,
    token: str,
    purpose: str,
    source: str,
    request_id: str,
) -> str:
    """Check the token as the API does (throttled, failures logged) and open a session
    for a caseworker or an auditor; returns the new session's id. Raises
    ``Unauthorized``, ``TooManyFailedSignIns``, or ``Forbidden`` for another role."""
    session_id = new_session_id()
    with pool.connection() as conn:
        principal = authenticate(
            conn,
            "Bearer " + token.strip(),
            source,
            request_id,
            limit=settings.failed_sign_in_limit,
            window_s=settings.failed_sign_in_window_s,
        )
        with conn.transaction():
            set_context(conn, principal)
            if principal.role not in DESK_ROLES:
                raise Forbidden(
                    f"The review desk is for caseworkers and auditors; your token is for "
                    f"{principal.role}. Nothing was opened.",
                    code="role_not_allowed",
                )
            repository.delete_stale_sessions(
                conn, idle_s=settings.desk_idle_timeout_s, max_age_s=settings.desk_max_session_s
            )
            repository.insert_session(
                conn,
                id_hash=session_hash(session_id),
                user_id=principal.user_id,
                agency_id=principal.agency_id,
                purpose=purpose,
            )
            audit.append(
                conn,
                principal,
                "desk.sign_in",
                object_type="user",
                object_id=principal.user_id,
                purpose=purpose,
                request_id=request_id,
            )
    return session_id


def end_session(s: DeskSession, session_id: str) -> None:
    """Delete the session in the database; audited."""
    repository.delete_session(s.ctx.conn, session_hash(session_id))
    s.ctx.audit("desk.sign_out", object_type="user", object_id=s.ctx.principal.user_id)

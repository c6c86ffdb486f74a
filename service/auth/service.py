"""Authentication: a bearer token checked against its owner, failed sign-ins throttled
and logged (aggregated, never the secret). The API's dependencies and the desk's
sign-in both call :func:`authenticate`."""

from __future__ import annotations

from typing import Any

from service.audit import service as audit
from service.auth import repository as repo
from service.db import Conn, Principal, Proof
from service.errors import TooManyFailedSignIns, Unauthorized
from service.security import hash_secret, secret_matches, split_token


def check_token(conn: Conn, authorization: str | None) -> Principal:
    """The principal a bearer token authenticates as, with its proof; nothing throttled
    or logged (:func:`authenticate` does that)."""
    if not authorization or not authorization.startswith("Bearer "):
        raise Unauthorized("Send your token as 'Authorization: Bearer <token>'.")
    parts = split_token(authorization.removeprefix("Bearer ").strip())
    if parts is None:
        raise Unauthorized("That token is not valid.", code="invalid_token")
    key_id, secret = parts
    owner = repo.token_owner(conn, key_id)
    if owner is None or not secret_matches(secret, owner.secret_hash):
        raise Unauthorized("That token is not valid.", code="invalid_token")
    return Principal(
        user_id=owner.user_id,
        agency_id=owner.agency_id,
        role=owner.role,
        proof=Proof("token", hash_secret(secret), key_id),
    )


def authenticate(
    conn: Conn,
    authorization: str | None,
    source: str,
    request_id: str,
    *,
    limit: int,
    window_s: int,
) -> Principal:
    """Check the token, throttling and logging failures (its own transactions).

    Failures are counted per source address and per token id (the public key id of a
    well-formed token) in fixed windows of ``window_s`` seconds (the setting
    ``failed_sign_in_window_s``), in PostgreSQL, so every API process and the desk count
    together. From the ``limit``-th failure (``failed_sign_in_limit``) until the window
    ends, that source (or token id) gets 429 ``too_many_failed_sign_ins`` with
    ``Retry-After``, without its token being looked at.

    The audit log is written aggregated, not once per failure: ``auth.failure`` for the
    first failure of a source's window (with the totals of the window it closes, if
    any), and ``auth.throttled`` when the source or the token id reaches the limit. So
    1,000 failures in a minute from one source write two events. They hold the source,
    the token id and the counts, never the secret. Refusals (429) are counted, not logged
    one by one; their total is logged with the next window's first failure. A request
    without any bearer token is refused (401) but not counted: it guessed nothing.
    """
    if not authorization or not authorization.startswith("Bearer "):
        return check_token(conn, authorization)  # no token presented: nothing to count
    parts = split_token(authorization.removeprefix("Bearer ").strip())
    key_id = parts[0] if parts else None
    refused: Unauthorized | None = None
    with conn.transaction():
        wait_s = repo.retry_after(conn, source, key_id, limit=limit, window_s=window_s)
        if wait_s == 0:
            try:
                return check_token(conn, authorization)
            except Unauthorized as exc:
                refused = exc
    if refused is None:
        raise TooManyFailedSignIns(wait_s)
    with conn.transaction():
        failure = repo.record_failure(conn, source, key_id, window_s=window_s)
        details: dict[str, Any] = {
            "source": source,
            "key_id": key_id,
            "failures": failure.failures,
            "key_failures": failure.key_failures,
            "window_s": window_s,
        }
        if failure.failures == 1:
            if failure.closed_failures is not None:
                details["previous_window"] = {
                    "failures": failure.closed_failures,
                    "refused": failure.closed_refused,
                }
            audit.append(conn, None, "auth.failure", request_id=request_id, details=details)
        if limit in (failure.failures, failure.key_failures):
            audit.append(conn, None, "auth.throttled", request_id=request_id, details=details)
    raise refused

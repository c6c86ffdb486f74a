"""The hash-chained audit log: append, verify, signed and published checkpoints.

Every event's hash covers its own fields and the previous event's hash, so an
edited, deleted or reordered row breaks the chain from that point on. Writers take
one transaction-scoped advisory lock before reading the head, so concurrent writers
still form a single chain; the lock is held until the writer's transaction ends.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from uuid import UUID

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from schemas.audit import AuditEventRead, AuditVerification, PublishedCheckpoint
from schemas.common import Page
from service.audit import repository as repo
from service.audit.repository import AuditEvent
from service.db import Conn, Principal
from service.ops.runtime import audit_checkpoint_path, audit_key_path
from service.pagination import decode_seq_cursor, encode_cursor

if TYPE_CHECKING:  # deps writes through append(): no import back at run time
    from service.deps import Context

GENESIS = bytes(32)


def event_hash(event: AuditEvent) -> bytes:
    """SHA-256 over the canonical JSON of the event's fields (all but its own hash,
    with the previous event's hash)."""
    body = {
        "seq": event.seq,
        "id": str(event.id),
        "occurred_at": event.occurred_at.astimezone(UTC).isoformat(timespec="microseconds"),
        "actor_id": str(event.actor_id) if event.actor_id else None,
        "agency_id": str(event.agency_id) if event.agency_id else None,
        "role": event.role,
        "action": event.action,
        "object_type": event.object_type,
        "object_id": event.object_id,
        "purpose": event.purpose,
        "request_id": event.request_id,
        "details": event.details,
        "prev_hash": event.prev_hash.hex(),
    }
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).digest()


def append(
    conn: Conn,
    principal: Principal | None,
    action: str,
    *,
    object_type: str | None = None,
    object_id: UUID | str | None = None,
    purpose: str | None = None,
    request_id: str | None = None,
    details: Mapping[str, Any] | None = None,
) -> int:
    """Append one event inside the caller's transaction; return its sequence number.

    The database numbers, dates, links and hashes the event (``tessera_audit_append``,
    under the audit lock): the service role cannot insert into the log directly.
    """
    return repo.append_event(
        conn,
        actor_id=principal.user_id if principal else None,
        agency_id=principal.agency_id if principal else None,
        role=principal.role if principal else None,
        action=action,
        object_type=object_type,
        object_id=str(object_id) if object_id is not None else None,
        purpose=purpose,
        request_id=request_id,
        details=json.dumps(dict(details or {}), default=str, ensure_ascii=False),
    )


@dataclass(frozen=True, slots=True)
class Verification:
    valid: bool
    length: int
    head: str
    first_bad: UUID | None
    first_bad_seq: int | None
    reason: str | None


def verify_chain(events: Iterable[AuditEvent]) -> Verification:
    """Recompute the chain; name the first event whose place, link or hash is wrong."""
    prev = GENESIS
    expected_seq = 1
    length = 0
    for event in events:
        reason = None
        if event.seq != expected_seq:
            reason = f"expected event number {expected_seq}, found {event.seq}"
        elif event.prev_hash != prev:
            reason = "its link to the previous event does not match"
        elif event_hash(event) != event.hash:
            reason = "its content does not match its hash"
        if reason is not None:
            return Verification(False, length, prev.hex(), event.id, event.seq, reason)
        prev = event.hash
        expected_seq += 1
        length += 1
    return Verification(True, length, prev.hex(), None, None, None)


def verify_in_database(conn: Conn) -> Verification:
    """The whole chain's verdict from ``tessera_audit_verify()``, a definer function.

    An auditor's row-level security shows only their agency's events, so the chain
    is checked in the database, which returns the verdict and never an event's fields.
    """
    return Verification(*repo.verify_in_database(conn))


def list_events(
    conn: Conn, *, after: int = 0, limit: int = 50, filters: Mapping[str, Any] | None = None
) -> list[AuditEvent]:
    """A page of events after sequence number ``after``, oldest first."""
    return repo.list_events(conn, after=after, limit=limit, filters=filters)


def iter_events(conn: Conn, *, batch: int = 5000) -> Iterator[AuditEvent]:
    """Every event in chain order."""
    return repo.iter_events(conn, batch=batch)


def hash_at(conn: Conn, seq: int) -> bytes | None:
    """The stored hash of event ``seq``, if there is one (:data:`GENESIS` for 0)."""
    if seq == 0:
        return GENESIS
    return repo.hash_at(conn, seq)


def head(conn: Conn) -> tuple[int, bytes]:
    """The log's length and the hash of its last event."""
    return repo.head(conn) or (0, GENESIS)


# For auditors ---------------------------------------------------------------------------


def event_read(event: AuditEvent) -> AuditEventRead:
    """An event as the API shows it (hashes in hex)."""
    values = {name: getattr(event, name) for name in repo.COLUMNS}
    values.update(
        details=dict(event.details), prev_hash=event.prev_hash.hex(), hash=event.hash.hex()
    )
    return AuditEventRead(**values)


def events_page(
    ctx: Context, *, limit: int, cursor: str | None = None, **filters: Any
) -> Page[AuditEventRead]:
    """A page of the log, oldest first, with optional filters (``actor_id``,
    ``agency_id``, ``action``, ``object_id``, ``object_type``, ``since``, ``until``)."""
    after = decode_seq_cursor(cursor)
    events = repo.list_events(ctx.conn, after=after, limit=limit + 1, filters=filters)
    page = events[:limit]
    next_cursor = encode_cursor(page[-1].seq) if len(events) > limit else None
    return Page[AuditEventRead](items=[event_read(e) for e in page], next_cursor=next_cursor)


def verify_log(ctx: Context) -> AuditVerification:
    """The whole chain's verdict, computed in the database and compared with the last
    published checkpoint (a history rewritten with recomputed hashes does not match
    it); the check is audited."""
    result, checkpoint = verify_published(
        ctx.conn,
        key_path=audit_key_path(ctx.settings),
        checkpoint_path=audit_checkpoint_path(ctx.settings),
    )
    ctx.audit(
        "audit.verify",
        details={
            "valid": result.valid,
            "length": result.length,
            "checkpoint_length": checkpoint["length"] if checkpoint else None,
        },
    )
    return AuditVerification(
        valid=result.valid,
        length=result.length,
        head=result.head,
        first_bad=result.first_bad,
        first_bad_seq=result.first_bad_seq,
        reason=result.reason,
        checkpoint=(
            PublishedCheckpoint(
                length=checkpoint["length"], head=checkpoint["head"], time=checkpoint["time"]
            )
            if checkpoint
            else None
        ),
    )


# Signed checkpoints ---------------------------------------------------------------------


def load_or_create_key(path: Path) -> Ed25519PrivateKey:
    """The checkpoint signing key at ``path``, created (mode 0600) on first use."""
    if path.exists():
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
        if not isinstance(key, Ed25519PrivateKey):
            raise ValueError(f"{path} does not hold an Ed25519 key")
        return key
    path.parent.mkdir(parents=True, exist_ok=True)
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    path.touch(mode=0o600)
    path.write_bytes(pem)
    return key


def _checkpoint_message(length: int, head: str, at: str) -> bytes:
    return json.dumps(
        {"length": length, "head": head, "time": at}, sort_keys=True, separators=(",", ":")
    ).encode()


def make_checkpoint(verification: Verification, key: Ed25519PrivateKey) -> dict[str, Any]:
    """A signed statement of the log's length and head hash now."""
    at = datetime.now(UTC).isoformat(timespec="seconds")
    message = _checkpoint_message(verification.length, verification.head, at)
    public = key.public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    )
    return {
        "length": verification.length,
        "head": verification.head,
        "time": at,
        "public_key": base64.b64encode(public).decode(),
        "signature": base64.b64encode(key.sign(message)).decode(),
    }


def check_checkpoint_signature(checkpoint: Mapping[str, Any], public: Ed25519PublicKey) -> bool:
    """Whether ``checkpoint`` was signed by ``public``'s key and is unaltered."""
    try:
        message = _checkpoint_message(
            int(checkpoint["length"]), str(checkpoint["head"]), str(checkpoint["time"])
        )
        public.verify(base64.b64decode(checkpoint["signature"]), message)
    except (InvalidSignature, KeyError, ValueError, TypeError):
        return False
    return True


# Published checkpoints ------------------------------------------------------------------


class CheckpointConflict(Exception):
    """The log no longer extends the last published checkpoint."""


def published_checkpoints(path: Path, public: Ed25519PublicKey) -> list[dict[str, Any]]:
    """The checkpoints in ``path`` signed by ``public``'s key, in publication order.

    A line that is not JSON or whose signature does not verify is not a checkpoint
    and is left out: anyone who can write to the file cannot make the log look
    shorter or different by adding lines.
    """
    if not path.exists():
        return []
    found: list[dict[str, Any]] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            checkpoint = json.loads(line)
        except ValueError:
            continue
        if isinstance(checkpoint, dict) and check_checkpoint_signature(checkpoint, public):
            found.append(checkpoint)
    return found


def extends(conn: Conn, checkpoint: Mapping[str, Any]) -> bool:
    """Whether the log still holds, unchanged, every event ``checkpoint`` saw."""
    at = hash_at(conn, int(checkpoint["length"]))
    return at is not None and at.hex() == checkpoint["head"]


def publish_checkpoint(conn: Conn, key: Ed25519PrivateKey, path: Path) -> dict[str, Any] | None:
    """Sign the log's head and append it to ``path`` when the log grew since the last
    published checkpoint; ``None`` when there is nothing new. Refuses (and publishes
    nothing) when the log no longer extends the last checkpoint."""
    length, last_hash = head(conn)
    published = published_checkpoints(path, key.public_key())
    last = published[-1] if published else None
    if last is not None:
        if not extends(conn, last):
            raise CheckpointConflict(
                f"the log no longer holds the {last['length']} events of the checkpoint "
                f"published at {last['time']}"
            )
        if int(last["length"]) == length:
            return None
    checkpoint = make_checkpoint(Verification(True, length, last_hash.hex(), None, None, None), key)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as out:
        out.write(json.dumps(checkpoint, sort_keys=True) + "\n")
        out.flush()
        os.fsync(out.fileno())
    return checkpoint


def against_checkpoint(
    conn: Conn, verification: Verification, checkpoint: Mapping[str, Any] | None
) -> Verification:
    """``verification``, made invalid when the log does not extend ``checkpoint``.

    A history rewritten with every later hash recomputed passes the chain check; it
    cannot match a checkpoint published before the rewrite.
    """
    if checkpoint is None or not verification.valid:
        return verification
    if verification.length >= int(checkpoint["length"]) and extends(conn, checkpoint):
        return verification
    return Verification(
        False,
        verification.length,
        verification.head,
        None,
        None,
        f"the log no longer holds the {checkpoint['length']} events of the checkpoint "
        f"published at {checkpoint['time']}: its history was rewritten or cut",
    )


def verify_published(
    conn: Conn, *, key_path: Path, checkpoint_path: Path
) -> tuple[Verification, dict[str, Any] | None]:
    """The database's verdict on the chain, checked against the last checkpoint
    published with this installation's key (if one was)."""
    verification = verify_in_database(conn)
    published = (
        published_checkpoints(checkpoint_path, load_or_create_key(key_path).public_key())
        if checkpoint_path.exists()
        else []
    )
    last = published[-1] if published else None
    return against_checkpoint(conn, verification, last), last

"""The audit log as auditors read it."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from pydantic import BaseModel


class AuditEventRead(BaseModel):
    seq: int
    id: UUID
    occurred_at: datetime
    actor_id: UUID | None
    agency_id: UUID | None
    role: str | None
    action: str
    object_type: str | None
    object_id: str | None
    purpose: str | None
    request_id: str | None
    details: dict[str, Any]
    prev_hash: str
    hash: str


class PublishedCheckpoint(BaseModel):
    length: int
    head: str
    time: str


class AuditVerification(BaseModel):
    valid: bool
    length: int
    head: str
    first_bad: UUID | None
    first_bad_seq: int | None = None
    reason: str | None = None
    #: The published checkpoint the log was compared with (``None``: none published yet).
    checkpoint: PublishedCheckpoint | None = None

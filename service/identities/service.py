"""Identity records, the reference gallery: one by one and in bulk, each queued for indexing."""

from __future__ import annotations

import json
import re
from typing import Any
from uuid import UUID

from pydantic import ValidationError

from schemas.identities import (
    BulkRejection,
    BulkResult,
    IdentityCreate,
    IdentityRead,
    ImportRead,
)
from service.deps import Context
from service.errors import Conflict, NotFound, error_location, validation_code
from service.identities import repository as repo
from service.indexing.algorithm import PROFILE_VERSION
from service.indexing.service import queue_identities
from service.middleware import check_json_strings


def create_identity(ctx: Context, body: IdentityCreate) -> IdentityRead:
    """Add a known identity to your agency's gallery."""
    record = repo.insert_identity(
        ctx.conn,
        external_id=body.external_id,
        person=body.person(),
        created_by=ctx.principal.user_id,
    )
    if record is None:
        raise Conflict(
            f"Your agency already has a record with external id '{body.external_id}'.",
            code="identity_exists",
        )
    queue_identities(
        ctx.conn, ctx.principal.agency_id, [record.id], batch_size=ctx.settings.index_batch
    )
    ctx.audit("identity.create", object_type="identity", object_id=record.id)
    return record


def read_identity(ctx: Context, identity_id: UUID) -> IdentityRead:
    """One identity record of your agency. Requires X-Purpose; the read is audited."""
    record = repo.get_identity(ctx.conn, identity_id)
    if record is None:
        raise NotFound("No identity record has that id.", code="identity_not_found")
    ctx.require_purpose()
    ctx.audit("identity.read", object_type="identity", object_id=identity_id)
    return record


# Only a line with a \\u escape can smuggle in a lone surrogate or a NUL; the rest skip
# the slower check.
_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]|\\u0000")


def _parse_line(number: int, line: str) -> tuple[str, str] | BulkRejection:
    if _ESCAPE.search(line):
        try:
            refusal = check_json_strings(json.loads(line))
        except json.JSONDecodeError as exc:
            return BulkRejection(
                line=number, code="malformed_json", detail=f"not valid JSON: {exc.msg}"
            )
        if refusal is not None:
            return BulkRejection(line=number, code=refusal[1], detail=refusal[3])
    try:
        record = IdentityCreate.model_validate_json(line)
    except ValidationError as exc:
        errors: list[dict[str, Any]] = [dict(e) for e in exc.errors()]
        first = errors[0]
        where = ".".join(error_location(first))
        code = validation_code(errors)
        if code == "malformed_json":
            return BulkRejection(line=number, code=code, detail="not valid JSON")
        return BulkRejection(
            line=number,
            code=code,
            detail=f"{where}: {first.get('msg')}" if where else str(first.get("msg")),
        )
    if record.external_id is None:
        return BulkRejection(
            line=number, code="missing_external_id", detail="every line needs an external_id"
        )
    return record.external_id, record.person_json()


def bulk_import(ctx: Context, body: bytes) -> BulkResult:
    """Import NDJSON, one person with an ``external_id`` a line. Re-importing is
    idempotent (unchanged records stay as they are); a bad line is reported with its
    number and code and never fails the rest."""
    text = body.decode("utf-8")
    rows: list[tuple[str, str]] = []
    rejected: list[BulkRejection] = []
    seen: dict[str, int] = {}
    # NDJSON lines end at "\n" only: str.splitlines() would also break inside a JSON
    # string at U+2028, U+0085 and the like, and shift every later line number.
    for number, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        parsed = _parse_line(number, line)
        if isinstance(parsed, BulkRejection):
            rejected.append(parsed)
        elif parsed[0] in seen:
            rejected.append(
                BulkRejection(
                    line=number,
                    code="duplicate_external_id",
                    detail=f"external_id '{parsed[0]}' already appears on line {seen[parsed[0]]}",
                )
            )
        else:
            seen[parsed[0]] = number
            rows.append(parsed)
    written, created = repo.upsert_many(ctx.conn, rows, ctx.principal.user_id)
    import_id = repo.insert_import(
        ctx.conn,
        created_by=ctx.principal.user_id,
        received=len(rows) + len(rejected),
        created=created,
        updated=len(written) - created,
        unchanged=len(rows) - len(written),
        rejected=len(rejected),
        written=written,
    )
    queue_identities(
        ctx.conn,
        ctx.principal.agency_id,
        written,
        batch_size=ctx.settings.index_batch,
        import_id=import_id,
    )
    result = BulkResult(
        import_id=import_id,
        created=created,
        updated=len(written) - created,
        unchanged=len(rows) - len(written),
        rejected=rejected,
    )
    ctx.audit(
        "identity.bulk_import",
        object_type="import",
        object_id=import_id,
        details={
            "created": result.created,
            "updated": result.updated,
            "unchanged": result.unchanged,
            "rejected": len(rejected),
        },
    )
    return result


def import_status(ctx: Context, import_id: UUID) -> ImportRead:
    """How far a bulk import of your agency is indexed: poll until ``state`` is
    ``searchable`` (``indexed`` equals ``created + updated``); from then on every record
    it created or changed is found by matching."""
    found = repo.import_status(ctx.conn, import_id, PROFILE_VERSION)
    if found is None:
        raise NotFound("No import has that id.", code="import_not_found")
    written = found.created + found.updated
    return ImportRead(
        id=found.id,
        state="searchable" if found.indexed >= written else "indexing",
        received=found.received,
        created=found.created,
        updated=found.updated,
        unchanged=found.unchanged,
        rejected=found.rejected,
        indexed=found.indexed,
        created_at=found.created_at,
        searchable_at=found.searchable_at,
    )

"""SQL of the kernel: the transaction's agency context, which row-level security reads."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # service.db imports this module
    from service.db import Conn


def set_agency_context(conn: Conn, *, agency: str, user: str, role: str) -> None:
    """Set ``tessera.agency_id``, ``tessera.user_id`` and ``tessera.role`` for the
    current transaction only."""
    conn.execute(
        "SELECT set_config('tessera.agency_id', %s, true), "
        "set_config('tessera.user_id', %s, true), set_config('tessera.role', %s, true)",
        (agency, user, role),
    )

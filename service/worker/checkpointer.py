"""Publishes signed audit checkpoints outside the database as the log grows.

Every ``interval_s`` the worker signs the log's head (length and last hash) and
appends it to the checkpoint file named in the settings, and says so in its log. A
later ``GET /v1/audit/verify`` compares the log with the last published checkpoint:
a history rewritten with recomputed hashes no longer matches it.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path

import psycopg

from service.audit import service as audit
from service.db import SYSTEM, set_context

log = logging.getLogger(__name__)


class Checkpointer(threading.Thread):
    def __init__(self, url: str, *, key_path: Path, out: Path, interval_s: float) -> None:
        super().__init__(name="tessera-audit-checkpoints", daemon=True)
        self._url = url
        self._key_path = key_path
        self._out = out
        self._interval_s = interval_s
        self._stop_event = threading.Event()

    def stop(self) -> None:
        self._stop_event.set()

    def publish_once(self) -> None:
        key = audit.load_or_create_key(self._key_path)
        with psycopg.connect(self._url) as conn, conn.transaction():
            set_context(conn, SYSTEM)
            checkpoint = audit.publish_checkpoint(conn, key, self._out)
        if checkpoint is not None:
            log.info(
                "audit checkpoint published to %s: length %s, head %s",
                self._out,
                checkpoint["length"],
                checkpoint["head"],
            )

    def run(self) -> None:
        while not self._stop_event.wait(self._interval_s):
            try:
                self.publish_once()
            except audit.CheckpointConflict as exc:
                log.error("AUDIT LOG ALTERED, no checkpoint published: %s", exc)
            except Exception:
                log.exception("publishing an audit checkpoint failed; retrying")

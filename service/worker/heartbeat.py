"""Workers say they are alive: a row in ``worker_heartbeats``, renewed every few
seconds and removed at a clean stop. ``/v1/health`` counts the recent ones."""

from __future__ import annotations

import logging
import os
import socket
import threading
from datetime import UTC, datetime

import psycopg

from service.db import SYSTEM, set_context
from service.worker import repository as repo
from service.worker.jobs import worker_name

log = logging.getLogger(__name__)


class Heartbeat(threading.Thread):
    def __init__(self, url: str, *, every_s: float, name: str | None = None) -> None:
        super().__init__(name="tessera-heartbeat", daemon=True)
        self._url = url
        self._every_s = every_s
        self.worker = name or worker_name()
        self._started_at = datetime.now(UTC)
        self._stop_event = threading.Event()

    def beat_once(self) -> None:
        with psycopg.connect(self._url) as conn, conn.transaction():
            set_context(conn, SYSTEM)
            repo.beat(
                conn,
                worker=self.worker,
                pid=os.getpid(),
                host=socket.gethostname(),
                started_at=self._started_at,
            )

    def stop(self) -> None:
        """Stop beating and say goodbye, so health stops counting this worker at once."""
        self._stop_event.set()
        try:
            with psycopg.connect(self._url) as conn, conn.transaction():
                set_context(conn, SYSTEM)
                repo.forget_worker(conn, self.worker)
        except psycopg.Error:
            log.warning("could not remove the heartbeat of %s", self.worker)

    def run(self) -> None:
        while True:
            try:
                self.beat_once()
            except Exception:
                log.exception("heartbeat failed; retrying")
            if self._stop_event.wait(self._every_s):
                return

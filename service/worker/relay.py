"""The outbox relay: publishes committed jobs to the broker.

It claims rows with ``FOR UPDATE SKIP LOCKED`` (so several relays never publish the
same row at once), publishes, and marks them published in the same transaction; a
publish that fails leaves the rows for the next round. A job published long ago and
still not done (a lost message, a broker that lost its data) is published again:
jobs are idempotent, so a duplicate costs nothing. A job whose message was lost with a
worker killed before it took the job's lease is published again sooner, once it has
waited ``stranded_after_s`` while a worker sat idle (``claim_stranded``). While matching
is suspended no match run is published (nothing is lost); indexing goes on.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

import psycopg

from service.db import SYSTEM, set_context
from service.runs.service import matching_suspended
from service.worker import repository as repo

log = logging.getLogger(__name__)


class Relay(threading.Thread):
    def __init__(
        self,
        url: str,
        publish: Callable[[int], None],
        *,
        redeliver_after_s: float,
        stranded_after_s: float | None = None,
        alive_s: float = 15.0,
        poll_s: float = 1.0,
    ) -> None:
        super().__init__(name="tessera-outbox-relay", daemon=True)
        self._url = url
        self._publish = publish
        self._redeliver_after_s = redeliver_after_s
        self._stranded_after_s = stranded_after_s
        self._alive_s = alive_s
        self._poll_s = poll_s
        self._stop_event = threading.Event()

    def stop(self) -> None:
        self._stop_event.set()

    def drain(self, conn: psycopg.Connection[tuple[object, ...]]) -> int:
        """Publish what is waiting, then (once) any stranded jobs; returns how many
        jobs left."""
        sent = 0
        while published := self._publish_round(conn, stranded=False):
            sent += published
        if self._stranded_after_s is not None:
            sent += self._publish_round(conn, stranded=True)
        return sent

    def _publish_round(
        self, conn: psycopg.Connection[tuple[object, ...]], *, stranded: bool
    ) -> int:
        with conn.transaction():
            set_context(conn, SYSTEM)
            matching = not matching_suspended(conn)
            if stranded:
                assert self._stranded_after_s is not None
                ids = repo.claim_stranded(
                    conn,
                    stranded_after_s=self._stranded_after_s,
                    alive_s=self._alive_s,
                    matching=matching,
                )
                if ids:
                    log.warning("jobs %s were never taken by a worker; publishing them again", ids)
            else:
                ids = repo.claim_publishable(
                    conn, redeliver_after_s=self._redeliver_after_s, matching=matching
                )
            for job_id in ids:
                self._publish(job_id)
            if ids:
                repo.mark_published(conn, ids)
            return len(ids)

    def run(self) -> None:
        while not self._stop_event.is_set():
            try:
                with (
                    psycopg.connect(self._url, autocommit=True) as listener,
                    psycopg.connect(self._url) as conn,
                ):
                    repo.listen(listener)
                    while not self._stop_event.is_set():
                        self.drain(conn)
                        for _ in listener.notifies(timeout=self._poll_s, stop_after=1):
                            pass
            except Exception:
                log.exception("outbox relay failed; retrying")
                self._stop_event.wait(1.0)

"""Real worker processes and brokers for pipeline tests."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")


class WorkerProcess:
    """``tessera worker`` (a Celery worker with the outbox relay) in its own process group."""

    def __init__(
        self,
        *,
        owner_url: str,
        app_url: str,
        broker_url: str,
        log: Path,
        redeliver_after_s: float = 3.0,
        extra_args: Sequence[str] = (),
        extra_env: Mapping[str, str] | None = None,
    ) -> None:
        self.env = {
            **os.environ,
            "TESSERA_DATABASE_URL": owner_url,
            "TESSERA_APP_DATABASE_URL": app_url,
            "TESSERA_BROKER_URL": broker_url,
            "TESSERA_REDELIVER_AFTER_S": str(redeliver_after_s),
            "TESSERA_RETRY_BACKOFF_S": "0.2",
            **(extra_env or {}),
        }
        self.extra_args = tuple(extra_args)
        self.log = log
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        handle = self.log.open("ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "service.ops.cli", "worker", *self.extra_args],
            env=self.env,
            stdout=handle,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def kill(self) -> None:
        """SIGKILL the worker and its pool children at once: no clean-up of any kind."""
        assert self.process is not None
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)


def wait_for(check: Callable[[], T | None], *, timeout: float = 60.0, every: float = 0.2) -> T:
    """Poll ``check`` until it returns something truthy; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout} s")
        time.sleep(every)

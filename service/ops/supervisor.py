"""Keeps what ``tessera run`` started running: worker and relay processes, and the
embedded broker and database when they are ours.

A part that stops is started again after a back-off (1 s, doubling to 30 s, back to
1 s once it has run for a minute), with one log line each time. A part that stops
more than ``max_restarts`` times within ``window_s`` is given up on, and the whole
service stops with a line saying which part and why: a service that cannot match
should not go on answering 202.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import subprocess
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

log = logging.getLogger("tessera.supervisor")


@dataclass
class Process:
    """A child process: its command, environment and log file."""

    name: str
    argv: Sequence[str]
    env: dict[str, str]
    log_path: Path
    popen: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("ab") as out:
            self.popen = subprocess.Popen(  # noqa: S603 (our own commands)
                list(self.argv),
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,  # its own group: a stop reaches its pool children
            )

    def alive(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    def exit_code(self) -> int | None:
        return None if self.popen is None else self.popen.poll()

    def stop(self, timeout_s: float = 20.0) -> None:
        if self.popen is None or self.popen.poll() is not None:
            return
        _signal_group(self.popen.pid, signal.SIGTERM)
        try:
            self.popen.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            _signal_group(self.popen.pid, signal.SIGKILL)
            self.popen.wait(timeout=10)


def _signal_group(pid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, sig)


@dataclass
class Server:
    """An embedded server watched by a check: ``alive()`` and ``restart()``."""

    name: str
    alive: Callable[[], bool]
    restart: Callable[[], None]


@dataclass
class _Watch:
    part: Process | Server
    failures: deque[float] = field(default_factory=deque)
    consecutive: int = 0
    started_at: float = 0.0
    restart_at: float | None = None


class Supervisor:
    def __init__(
        self,
        processes: Sequence[Process],
        servers: Sequence[Server] = (),
        *,
        on_give_up: Callable[[str], None],
        max_restarts: int = 5,
        window_s: float = 300.0,
        backoff_max_s: float = 30.0,
        poll_s: float = 0.5,
        server_check_s: float = 2.0,
    ) -> None:
        parts: list[Process | Server] = [*servers, *processes]
        self._watches = [_Watch(p) for p in parts]
        self._on_give_up = on_give_up
        self._max_restarts = max_restarts
        self._window_s = window_s
        self._backoff_max_s = backoff_max_s
        self._poll_s = poll_s
        self._server_check_s = server_check_s
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="tessera-supervisor", daemon=True)

    @property
    def processes(self) -> list[Process]:
        return [w.part for w in self._watches if isinstance(w.part, Process)]

    def start(self) -> None:
        now = time.monotonic()
        for watch in self._watches:
            if isinstance(watch.part, Process):
                watch.part.start()
            watch.started_at = now
        self._thread.start()

    def stop(self) -> None:
        """Stop watching, then stop every process (servers are the caller's to stop)."""
        self._stopping.set()
        if self._thread.is_alive():
            self._thread.join(timeout=10)
        for process in self.processes:
            process.stop()

    def _loop(self) -> None:
        last_server_check = 0.0
        while not self._stopping.wait(self._poll_s):
            now = time.monotonic()
            check_servers = now - last_server_check >= self._server_check_s
            if check_servers:
                last_server_check = now
            for watch in self._watches:
                if self._stopping.is_set():
                    return
                if not self._tend(watch, now, check_servers=check_servers):
                    return

    def _tend(self, watch: _Watch, now: float, *, check_servers: bool) -> bool:
        """Look after one part; False once the service is being given up on."""
        part = watch.part
        if watch.restart_at is not None:
            if now >= watch.restart_at:
                watch.restart_at = None
                self._restart(watch, now)
            return True
        if isinstance(part, Process):
            if part.alive():
                if now - watch.started_at > 60.0:
                    watch.consecutive = 0
                return True
            why = f"exited with code {part.exit_code()}"
        else:
            if not check_servers or _safely(part.alive):
                return True
            why = "does not answer"
        while watch.failures and now - watch.failures[0] > self._window_s:
            watch.failures.popleft()
        watch.failures.append(now)
        if len(watch.failures) > self._max_restarts:
            reason = (
                f"{part.name} keeps failing ({len(watch.failures)} times in "
                f"{self._window_s:.0f} s, last: {why}); stopping Tessera"
            )
            log.error(reason)
            self._stopping.set()
            self._on_give_up(reason)
            return False
        watch.consecutive += 1
        delay = min(self._backoff_max_s, 2.0 ** (watch.consecutive - 1))
        log.warning("%s %s; restarting it in %.0f s", part.name, why, delay)
        watch.restart_at = now + delay
        return True

    def _restart(self, watch: _Watch, now: float) -> None:
        part = watch.part
        try:
            if isinstance(part, Process):
                part.start()
            else:
                part.restart()
        except Exception as exc:  # counted as another failure at the next look
            log.warning("restarting %s failed: %s", part.name, exc)
        watch.started_at = now
        log.info("%s restarted", part.name)


def _safely(check: Callable[[], bool]) -> bool:
    try:
        return check()
    except Exception:
        return False

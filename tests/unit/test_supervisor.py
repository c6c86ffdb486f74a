"""The supervisor with real child processes: a killed one comes back, one that keeps
failing stops the service with a reason."""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

from service.ops.supervisor import Process, Server, Supervisor


def _wait(check: Callable[[], bool], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.05)


def test_a_killed_process_is_started_again(tmp_path: Path) -> None:
    sleeper = Process(
        "sleeper",
        [sys.executable, "-c", "import time; time.sleep(600)"],
        dict(os.environ),
        tmp_path / "sleeper.log",
    )
    given_up: list[str] = []
    supervisor = Supervisor([sleeper], on_give_up=given_up.append, poll_s=0.05)
    supervisor.start()
    try:
        assert sleeper.popen is not None
        first = sleeper.popen.pid
        os.killpg(first, signal.SIGKILL)
        _wait(lambda: sleeper.popen is not None and sleeper.popen.pid != first and sleeper.alive())
        assert not given_up
    finally:
        supervisor.stop()
    assert not sleeper.alive()


def test_a_process_that_keeps_failing_stops_the_service(tmp_path: Path) -> None:
    failing = Process(
        "failing",
        [sys.executable, "-c", "raise SystemExit(3)"],
        dict(os.environ),
        tmp_path / "failing.log",
    )
    stopped = threading.Event()
    reasons: list[str] = []

    def give_up(reason: str) -> None:
        reasons.append(reason)
        stopped.set()

    supervisor = Supervisor(
        [failing], on_give_up=give_up, max_restarts=2, backoff_max_s=0.2, poll_s=0.05
    )
    supervisor.start()
    try:
        assert stopped.wait(20)
    finally:
        supervisor.stop()
    assert "failing keeps failing (3 times" in reasons[0]
    assert "exited with code 3" in reasons[0]


def test_a_server_that_stops_answering_is_restarted(tmp_path: Path) -> None:
    state = {"up": True, "restarts": 0}

    def restart() -> None:
        state["restarts"] += 1
        state["up"] = True

    server = Server("broker", lambda: bool(state["up"]), restart)
    supervisor = Supervisor(
        [], [server], on_give_up=lambda _: None, poll_s=0.05, server_check_s=0.05
    )
    supervisor.start()
    try:
        state["up"] = False
        _wait(lambda: state["restarts"] == 1 and state["up"] is True)
    finally:
        supervisor.stop()

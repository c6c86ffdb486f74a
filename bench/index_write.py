"""The database's share of indexing: the statement that stores profiles and postings.

Starts the embedded PostgreSQL in ``--home`` (a database of its own, emptied first),
migrates it, builds ``--n`` profile rows of synthetic gallery people (bench/gallery.py)
in this process (timed: the workers' Python share, memos warming as they go), then
times :func:`service.indexing.repository.upsert_profiles` alone, in batches of
``--batch`` (the workers' default), one transaction each, in one session. Prints
microseconds a record, the median of the last ten batches, the postings written and,
with ``--explain``, the plan and timings of one more batch (where the statement's time
goes: profiles, postings, key counts, triggers).

    .venv/bin/python bench/index_write.py --n 100000 [--explain]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
import uuid
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.gallery import DEFAULT_DATA, load_tokens, people  # noqa: E402
from service.indexing import repository as repo  # noqa: E402
from service.indexing.service import profile_row  # noqa: E402
from service.ops.embedded import start_postgres  # noqa: E402
from service.ops.migrate import migrate  # noqa: E402
from service.settings import Settings  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=Settings.model_fields["index_batch"].default)
    parser.add_argument("--home", type=Path, default=ROOT / "bench" / "out" / "index-write")
    parser.add_argument("--explain", action="store_true")
    args = parser.parse_args()

    url = start_postgres(args.home)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("DROP SCHEMA public CASCADE")
        conn.execute("CREATE SCHEMA public")
    migrate(url)
    agency = uuid.uuid4()
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(
            "INSERT INTO agencies (id, name, country) VALUES (%s, 'bench', 'DEU')", (agency,)
        )
    records = [p.record() for p in people(load_tokens(DEFAULT_DATA), args.n + args.batch, 20)]
    built = time.perf_counter()
    rows = [
        profile_row(
            subject_id=uuid.uuid4(),
            subject_kind="identity",
            agency_id=agency,
            ref=r["external_id"],
            person=r,
        )
        for r in records
    ]
    built = time.perf_counter() - built
    print(
        f"profile rows built here (the workers' Python): {built / len(rows) * 1e6:.0f} us a "
        f"record over {len(rows)}",
        flush=True,
    )
    stored, extra = rows[: args.n], rows[args.n :]
    times = []
    with psycopg.connect(url) as conn:
        for i in range(0, len(stored), args.batch):
            started = time.perf_counter()
            with conn.transaction():
                repo.upsert_profiles(conn, stored[i : i + args.batch])
            times.append(time.perf_counter() - started)
        postings = conn.execute("SELECT count(*) FROM match_keys").fetchone()
    assert postings is not None
    print(
        f"{args.n} records in batches of {args.batch}: {sum(times):.1f} s, "
        f"{sum(times) / args.n * 1e6:.0f} us a record, last ten batches median "
        f"{statistics.median(times[-10:]) * 1000:.0f} ms; {postings[0]} postings "
        f"({postings[0] / args.n:.1f} a record)",
        flush=True,
    )
    if args.explain:
        payload = json.dumps([repo._profile_record(r) for r in extra], ensure_ascii=False)
        with psycopg.connect(url) as conn:
            plan = conn.execute(
                "EXPLAIN (ANALYZE, BUFFERS) " + repo._UPSERT_PROFILES, (payload,)
            ).fetchall()
        print("\n".join(line for (line,) in plan))


if __name__ == "__main__":
    main()

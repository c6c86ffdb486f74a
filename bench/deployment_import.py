"""An import through one API process until it is searchable on the other, on the
multi-process deployment of ``.ci/deploy`` (a standalone PostgreSQL 18 over TCP,
Redis, two API processes, two workers).

Starts that deployment in a temporary folder (or uses the one in ``--dir``), imports
``--n`` synthetic records (bench/gallery.py) through API 1 in ``--chunk`` lines per
request, polls ``GET /v1/imports/{id}`` on API 2 until ``indexed == created``, then
queries ``--sample`` of the records (all with ``--sample 0``) by an exact copy of
themselves through partner ``POST /v1/match`` on API 2. Prints the time to start the
deployment, the import time, the time from the last import's return until all were
searchable, records per second end to end, the share found first and the match
latencies. The last line is one JSON object.

    .venv/bin/python bench/deployment_import.py --n 20000
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.gallery import DEFAULT_DATA, load_tokens, people
from service.settings import Settings
from tests.deployment import stack
from tests.deployment.conftest import auth, make_agency
from tests.deployment.people import exact_copy


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=20_000)
    parser.add_argument("--chunk", type=int, default=20_000)
    parser.add_argument("--sample", type=int, default=1_000)
    parser.add_argument("--dir", type=Path, default=None, help="a running .ci/deploy folder")
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    args = parser.parse_args()

    records = [p.record() for p in people(load_tokens(args.data), args.n, seed=20)]
    started = time.perf_counter()
    # the service's own job size, not the tests' smaller one
    batch = {"TESSERA_INDEX_BATCH": str(Settings.model_fields["index_batch"].default)}
    deployment = stack.attach(args.dir) if args.dir else stack.up(batch)
    up_s = time.perf_counter() - started
    try:
        figures = _measure(deployment, records, args.chunk, args.sample)
    finally:
        if deployment.started_here:
            left = stack.down(deployment)
            assert left == [], left
            shutil.rmtree(deployment.folder)
    # the machine may be shared: its load beside the figures
    figures = {
        "n": args.n,
        "deployment_up_s": round(up_s, 1),
        **figures,
        "load_average_1m": round(os.getloadavg()[0], 1),
    }
    print(
        f"deployment up in {figures['deployment_up_s']} s; {args.n} records imported "
        f"through API 1 in {figures['import_s']} s; searchable on API 2 "
        f"{figures['searchable_after_import_s']} s after the import returned "
        f"({figures['records_per_s_end_to_end']} records/s end to end); "
        f"{figures['found_first']}/{figures['queried']} found first by an exact copy "
        f"on API 2, /v1/match p50 {figures['match_p50_ms']} ms, "
        f"p95 {figures['match_p95_ms']} ms (load average {figures['load_average_1m']})",
        flush=True,
    )
    print(json.dumps(figures), flush=True)


def _measure(
    deployment: stack.Deployment, records: list[dict[str, Any]], chunk: int, sample: int
) -> dict[str, Any]:
    with (
        httpx.Client(base_url=deployment.api1, timeout=600) as api1,
        httpx.Client(base_url=deployment.api2, timeout=60) as api2,
    ):
        admin = deployment.cli("admin", "bootstrap", "--name", "Bench admin").split()[-1]
        agency = make_agency(api1, admin, "DEU")
        began = time.perf_counter()
        import_ids = []
        for i in range(0, len(records), chunk):
            body = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records[i : i + chunk])
            response = api1.post(
                "/v1/identities/bulk",
                content=body.encode(),
                headers={**auth(agency.caseworker), "Content-Type": "application/x-ndjson"},
            )
            response.raise_for_status()
            import_ids.append(response.json()["import_id"])
        imported = time.perf_counter()
        waiting = list(import_ids)
        while waiting:
            status = api2.get(f"/v1/imports/{waiting[0]}", headers=auth(agency.caseworker))
            status.raise_for_status()
            if status.json()["indexed"] == status.json()["created"] + status.json()["updated"]:
                waiting.pop(0)
            else:
                time.sleep(0.1)
        searchable = time.perf_counter()

        chosen = records if sample == 0 else random.Random(5).sample(records, sample)
        found, latencies = 0, []
        for record in chosen:
            t0 = time.perf_counter()
            response = api2.post(
                "/v1/match",
                json={"person": exact_copy(record), "limit": 3},
                headers=auth(agency.partner),
            )
            latencies.append(time.perf_counter() - t0)
            response.raise_for_status()
            candidates = response.json()["candidates"]
            found += bool(candidates) and candidates[0]["ref"] == record["external_id"]
    quantiles = statistics.quantiles(latencies, n=20)
    return {
        "import_s": round(imported - began, 2),
        "searchable_after_import_s": round(searchable - imported, 2),
        "records_per_s_end_to_end": round(len(records) / (searchable - began)),
        "queried": len(chosen),
        "found_first": found,
        "match_p50_ms": round(statistics.median(latencies) * 1000, 1),
        "match_p95_ms": round(quantiles[18] * 1000, 1),
    }


if __name__ == "__main__":
    main()

"""From import to searchable, as a client sees it: ``POST /v1/identities/bulk`` then
``GET /v1/imports/{id}`` until every import says ``searchable``.

Starts its own stack (bench/harness.py: embedded PostgreSQL and Valkey, the API and
``--workers`` workers as separate processes), imports ``--n`` synthetic records
(bench/gallery.py) in ``--chunk`` lines per request, and reports the import rate, the
time from the last import's return until all records are searchable, and records per
second end to end. The last line is one JSON object.

    .venv/bin/python bench/import_searchable.py --n 20000 --workers 2
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.gallery import DEFAULT_DATA, load_tokens, people
from bench.harness import start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=20_000)
    parser.add_argument("--chunk", type=int, default=5_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--port", type=int, default=8767)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    args = parser.parse_args()
    home = Path(tempfile.mkdtemp(prefix="tessera-searchable-"))
    stack = start(home, port=args.port, workers=args.workers)
    try:
        client = stack.client()
        admin = stack.admin_headers()
        agency = stack.agency(client, admin, "Searchable bench")
        caseworker, _ = stack.user(client, admin, agency["id"], "caseworker")
        records = [p.record() for p in people(load_tokens(args.data), args.n, seed=13)]
        started = time.perf_counter()
        import_ids = []
        for i in range(0, len(records), args.chunk):
            body = "".join(
                json.dumps(r, ensure_ascii=False) + "\n" for r in records[i : i + args.chunk]
            )
            response = client.post(
                "/v1/identities/bulk",
                content=body.encode(),
                headers={**caseworker, "Content-Type": "application/x-ndjson"},
                timeout=600,
            )
            response.raise_for_status()
            import_ids.append(response.json()["import_id"])
        imported = time.perf_counter()
        waiting = list(import_ids)
        while waiting:
            status = client.get(f"/v1/imports/{waiting[0]}", headers=caseworker).json()
            if status["state"] == "searchable":
                waiting.pop(0)
            else:
                time.sleep(0.2)
        searchable = time.perf_counter()
        figures = {
            "n": args.n,
            "workers": args.workers,
            "import_s": round(imported - started, 2),
            "import_per_s": round(args.n / (imported - started)),
            "searchable_after_import_s": round(searchable - imported, 2),
            "end_to_end_s": round(searchable - started, 2),
            "end_to_end_per_s": round(args.n / (searchable - started)),
        }
        print(json.dumps(figures), flush=True)
    finally:
        stack.stop()
        shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    main()

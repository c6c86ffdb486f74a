"""What indexing stores, as a digest to compare between two checkouts.

Starts the multi-process deployment of ``.ci/deploy`` (tests/deployment/stack.py) of
the checkout it is run from, imports ``--n`` synthetic gallery records (Latin
spellings, bench/gallery.py) and as many query-style people (native scripts, year-only
or shifted dates, documents) through API 1, re-imports a tenth of them changed (a new
birth date: their profiles are rebuilt, their old keys removed and counted down),
waits until every import is searchable, and then reads the match index as the owner:
each profile (by its record's external id: ids differ between runs), each posting,
and the agency's key counts. Prints the number of rows and a SHA-256 of each table's
sorted contents; two checkouts that index alike print the same lines.

    python bench/index_identity.py --n 3000 > digest.txt   # in each checkout
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import shutil
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import psycopg

sys.path.insert(0, str(Path.cwd()))

from bench.gallery import DEFAULT_DATA, load_tokens, people, query_for
from tests.deployment import stack
from tests.deployment.conftest import auth, make_agency

PROFILES = """SELECT p.ref, p.subject_kind, p.person::text, p.person_hash, p.name_text,
                     p.birth_year, p.keys::text, p.algorithm
              FROM match_profiles p WHERE p.agency_id = %s ORDER BY p.ref"""
POSTINGS = """SELECT p.ref, k.key, k.subject_kind, k.agency_id = p.agency_id
              FROM match_keys k JOIN match_profiles p ON p.subject_id = k.subject_id
              WHERE k.agency_id = %s ORDER BY p.ref, k.key"""
COUNTS = "SELECT key, df FROM match_key_stats WHERE agency_id = %s ORDER BY key"


def records(n: int) -> list[dict[str, Any]]:
    tokens = load_tokens(DEFAULT_DATA)
    gallery = [p.record() for p in people(tokens, n, seed=20)]
    rng = random.Random(7)
    queries = []
    for i, person in enumerate(people(tokens, n, seed=21)):
        query = query_for(rng, person)
        query["external_id"] = f"Q-{i:07d}"
        queries.append(query)
    return gallery + queries


def changed(record: dict[str, Any]) -> dict[str, Any]:
    return {**record, "birth_date": "1971-03-04"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=3000)
    args = parser.parse_args()
    batch = records(args.n)
    again = [changed(r) for r in batch[::10]]
    deployment = stack.up()
    try:
        digests = _run(deployment, [batch, again])
    finally:
        left = stack.down(deployment)
        assert left == [], left
        shutil.rmtree(deployment.folder)
    for line in digests:
        print(line)


def _run(deployment: stack.Deployment, imports: list[list[dict[str, Any]]]) -> list[str]:
    with httpx.Client(base_url=deployment.api1, timeout=600) as api:
        admin = deployment.cli("admin", "bootstrap", "--name", "Identity admin").split()[-1]
        agency = make_agency(api, admin, "DEU")
        for lines in imports:
            body = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in lines)
            response = api.post(
                "/v1/identities/bulk",
                content=body.encode(),
                headers={**auth(agency.caseworker), "Content-Type": "application/x-ndjson"},
            )
            response.raise_for_status()
            import_id = response.json()["import_id"]
            deadline = time.monotonic() + 600
            while True:
                status = api.get(f"/v1/imports/{import_id}", headers=auth(agency.caseworker))
                status.raise_for_status()
                if status.json()["state"] == "searchable":
                    break
                assert time.monotonic() < deadline, status.json()
                time.sleep(0.2)
    with psycopg.connect(deployment.owner_url) as conn:
        out = []
        for label, sql in (("profiles", PROFILES), ("postings", POSTINGS), ("counts", COUNTS)):
            rows = conn.execute(sql, (agency.id,)).fetchall()
            digest = hashlib.sha256(repr(rows).encode()).hexdigest()
            out.append(f"{label}: {len(rows)} rows, sha256 {digest}")
    return out


if __name__ == "__main__":
    main()

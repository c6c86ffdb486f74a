"""Declare how often each band names the wrong person, from a labelled run of the
adversarial benchmark (issue 18), and write it into the algorithm's configuration.

Reads one or more answer dumps of ``bench/adversarial.py --dump`` (JSON lines: each query's
kind, the expected record for mated queries, and the candidates as ``POST /v1/match``
returned them). For each band and gallery size it counts:

* ``wrong_given_band``: of all candidates returned in that band, the share that are not the
  person (every candidate of a namesake or unmated query; a mated query's other records);
* ``queries_with_wrong``: the share of queries that got at least one wrong candidate in that
  band, over namesake and unmated queries (people who are *not* the record: the labelled
  negatives) and over mated queries;
* ``true_in_band``: the share of mated queries whose own record came back in that band.

and writes them under ``declared`` in ``matching/data/algorithm-<version>.json``, so the
service can show them beside the band (``GET /v1/admin/matching``, the desk)::

    .venv/bin/python bench/declare_bands.py --version 1.3 --dump 20000=out/a.jsonl \\
        --dump 200000=out/b.jsonl --seed 20261207
"""

from __future__ import annotations

import argparse
import json
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BANDS = ("strong", "possible", "weak")


def declare(lines: list[dict[str, Any]]) -> dict[str, Any]:
    """The figures of one dump (one gallery size)."""
    returned: Counter[str] = Counter()
    wrong: Counter[str] = Counter()
    negatives_with: Counter[str] = Counter()
    mated_with: Counter[str] = Counter()
    true_in: Counter[str] = Counter()
    n_negative = n_mated = 0
    for line in lines:
        expect = line["expect"] if line["kind"] == "mated" else None
        n_mated += expect is not None
        n_negative += expect is None
        seen: set[str] = set()
        for candidate in line["candidates"]:
            band = candidate["band"]
            returned[band] += 1
            if candidate["ref"] == expect:
                true_in[band] += 1
                continue
            wrong[band] += 1
            seen.add(band)
        for band in seen:
            (mated_with if expect is not None else negatives_with)[band] += 1

    def share(a: int, b: int) -> float | None:
        return round(a / b, 4) if b else None

    return {
        "queries": {"mated": n_mated, "namesake_or_unmated": n_negative},
        "bands": {
            band: {
                "wrong_given_band": share(wrong[band], returned[band]),
                "candidates": returned[band],
                "negatives_with_wrong": share(negatives_with[band], n_negative),
                "mated_with_wrong": share(mated_with[band], n_mated),
                "true_in_band": share(true_in[band], n_mated),
            }
            for band in BANDS
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--version", default="1.3")
    parser.add_argument(
        "--dump", action="append", required=True, help="GALLERY_SIZE=path (repeatable)"
    )
    parser.add_argument("--seed", type=int, default=20261207)
    args = parser.parse_args()
    by_size: dict[str, Any] = {}
    for item in args.dump:
        size, _, path = item.partition("=")
        lines = [json.loads(x) for x in Path(path).read_text(encoding="utf-8").splitlines() if x]
        by_size[size] = declare(lines)
    target = ROOT / "matching" / "data" / f"algorithm-{args.version}.json"
    config = json.loads(target.read_text(encoding="utf-8"))
    config["declared"] = {
        "source": f"bench/adversarial.py --seed {args.seed} (namesakes, unmated people, "
        "mated people as officers record them), sent through POST /v1/match; "
        "bench/declare_bands.py",
        "why": "How often a band names the wrong person, measured on a labelled set at each "
        "gallery size: wrong_given_band is the share of that band's candidates that are not "
        "the person; negatives_with_wrong the share of queries about people who are not in "
        "the registry, or are namesakes of someone who is, that got a candidate in that band; "
        "true_in_band the share of people in the registry whose own record came back in it. "
        "Generated data (bench/adversarial.py), not field data: a floor on the error, not a "
        "guarantee.",
        "by_gallery_size": by_size,
    }
    target.write_text(json.dumps(config, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    for size, figures in by_size.items():
        for band, row in figures["bands"].items():
            print(size, band, row)


if __name__ == "__main__":
    main()

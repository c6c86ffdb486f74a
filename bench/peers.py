"""Tessera next to its peers on the same queries (issues 18 and 19).

Two query sets, both generated from a seed by the project's own code:

* ``adversarial``: :func:`bench.adversarial.build` — a registry gallery of ``--n``
  people, mated queries written as officers record them, namesakes and unmated people
  (the very records and queries that ``bench/adversarial.py`` sends for the same seed,
  N and counts);
* ``xscript``: names only, from ``/work/shared/data/xscript-names/*.<split>.tsv``:
  ``--xscript-queries`` native-script names per script (seeded sample), searched in one
  gallery of ``--n`` distinct Latin names: the Latin sides of every query plus Latin
  distractors from all scripts' files of the same split (as ``bench/xscript_names.py``
  builds its galleries, but one gallery for all scripts). A query is right when a Latin
  spelling paired with it in the split is ranked first (rank-1) or in the first ten.

Systems:

* ``tessera``: through HTTP, ``POST /v1/match`` as a partner under a sharing agreement,
  ``limit`` 10, on the stack of ``bench/harness.py``; "match" is band ``strong``. Run with
  the project's venv (``peers.py tessera``), which writes every query's answer to a JSON
  file that the peers' run reads.
* ``anyascii_jw``: anyascii, lower case; Jaro–Winkler of the full names (the better of
  the written and the token-sorted order) over the whole gallery; names only. "match" is
  JW ≥ 0.85 (the ``possible`` cut-off of ``bench/xscript_names.py``).
* ``logic_v2``: nomenklatura's ``LogicV2`` on followthemoney ``Person`` entities (name,
  birthDate, gender, nationality, birthPlace, passportNumber), scoring the candidates of a
  search index as yente does with its Elasticsearch: the union of the best 50 by shared
  name tokens and metaphone keys (IDF-weighted) and the best 50 by anyascii Jaro–Winkler.
  "match" is score ≥ 0.70, yente's default ``SCORE_THRESHOLD``. An age-assessment range
  becomes one birthDate per year it spans (followthemoney has no ranges).
* ``splink``: a Fellegi–Sunter model on DuckDB, set up as its tutorials do: ``link_only``
  of the gallery with the queries, blocking on name tokens (first and last, either way
  round) and on their Soundex codes; comparisons on the token-sorted name (Jaro–Winkler
  levels), the first and last name tokens, the date of birth, the birth year, sex and
  nationality; u from random sampling, the prior from a deterministic rule, m by EM on
  two blocking passes. Candidates ranked by match probability; "match" is probability ≥
  0.99. The cross-script set has names only, so there its model keeps the name
  comparisons. Splink scores all queries in one batch: its time per query is that
  batch's time divided by the number of queries (p50 = p95).

Figures per system and set: rank-1 and recall@10 of mated queries; ``true_match``: the
share of mated queries whose true record is a "match" (Tessera's ``strong``);
``namesake_match`` / ``unmated_match``: the share of namesake and unmated queries given
any "match" candidate; p50/p95 time per query; a breakdown per kind of variant.

The peers are not part of the project and not in its venv; install them apart::

    python3.11 -m venv /work/peers-venv
    /work/peers-venv/bin/pip install nomenklatura splink anyascii rapidfuzz jellyfish numpy

Then, from the repository root (the Tessera run first, alone on the machine, since its
latencies are measured)::

    TESSERA_PURE_PYTHON=1 .venv/bin/python bench/peers.py tessera \\
        --out bench/results/peers_tessera_20000.json
    PYTHONPATH=$PWD /work/peers-venv/bin/python bench/peers.py peers \\
        --tessera bench/results/peers_tessera_20000.json --out bench/results/peers_20000

which prints the table and one JSON line and writes ``peers_20000.txt`` and
``peers_20000.json``.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
import time
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from uuid import UUID

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.adversarial import build as build_adversarial  # noqa: E402

XSCRIPTS = ("arabic", "chinese", "hebrew", "japanese", "katakana", "korean", "russian")
DEFAULT_XSCRIPT = ROOT.parent / "shared" / "data" / "xscript-names"


@dataclass
class Query:
    kind: str  # mated, namesake or unmated
    truth: frozenset[str]  # the external ids that are right answers
    person: dict[str, Any]  # as a partner sends it to POST /v1/match
    kinds: dict[str, str]  # the kinds of variant, for the breakdown


@dataclass
class Task:
    name: str
    records: list[dict[str, Any]]  # as POST /v1/identities/bulk takes them
    queries: list[Query]


@dataclass
class Answer:
    """One system's answer to one query: up to ten external ids, best first; those it
    calls a match; the seconds it took."""

    refs: list[str]
    matches: list[str]
    seconds: float


@dataclass
class Run:
    system: str
    answers: dict[str, list[Answer]] = field(default_factory=dict)  # per task
    notes: list[str] = field(default_factory=list)


def adversarial_task(seed: int, n: int, counts: tuple[int, int, int]) -> Task:
    records, _, queries = build_adversarial(seed, n, counts)
    return Task(
        "adversarial",
        records,
        [
            Query(kind, frozenset([expect] if expect else []), person, kinds)
            for kind, expect, person, kinds in queries
        ],
    )


def _load_pairs(path: Path) -> list[tuple[str, str]]:
    out = []
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            cols = line.rstrip("\n").split("\t")
            if len(cols) >= 2 and cols[0].strip() and cols[1].strip():
                latin = unicodedata.normalize("NFKC", cols[0]).casefold().strip()
                out.append((latin, "".join(cols[1].split())))
    return out


def xscript_task(data: Path, split: str, seed: int, n: int, per_script: int) -> Task:
    """Native-script names against one gallery of ``n`` distinct Latin names."""
    rng = random.Random(f"peers:{seed}")
    chosen: list[tuple[str, str, set[str]]] = []  # (script, native, its Latin names)
    pool: set[str] = set()
    for script in XSCRIPTS:
        by_native: dict[str, set[str]] = defaultdict(set)
        for latin, native in _load_pairs(data / f"{script}.{split}.tsv"):
            by_native[native].add(latin)
            pool.add(latin)
        for native in rng.sample(sorted(by_native), min(per_script, len(by_native))):
            chosen.append((script, native, by_native[native]))
    gallery: dict[str, None] = {}
    for _, _, latins in chosen:
        gallery.update(dict.fromkeys(sorted(latins)))
    if len(gallery) > n:
        raise SystemExit(f"--n {n} is smaller than the {len(gallery)} true Latin names")
    extra = sorted(pool - set(gallery))
    rng.shuffle(extra)
    gallery.update(dict.fromkeys(extra[: n - len(gallery)]))
    ids = {latin: f"XS-{seed}-{i:06d}" for i, latin in enumerate(gallery)}
    records = [{"external_id": ids[latin], "names": [latin.title()]} for latin in gallery]
    queries = [
        Query("mated", frozenset(ids[x] for x in latins), {"names": [native]}, {"script": s})
        for s, native, latins in chosen
    ]
    return Task("xscript", records, queries)


def build_tasks(args: argparse.Namespace) -> list[Task]:
    counts = tuple(int(x) for x in args.queries.split(","))
    if len(counts) != 3:
        raise SystemExit("--queries takes three counts: mated,namesakes,unmated")
    return [
        adversarial_task(args.seed, args.n, (counts[0], counts[1], counts[2])),
        xscript_task(args.xscript_data, args.split, args.seed, args.n, args.xscript_queries),
    ]


# --- Tessera through HTTP (the project's venv) -------------------------------------------


def run_tessera(args: argparse.Namespace, tasks: list[Task]) -> None:
    """Each task's gallery in an office of its own, each query as that office's partner;
    every answer written to ``args.out``."""
    import subprocess

    from bench.harness import start as start_stack
    from bench.pipeline_load import bulk_import, partner_setup, wait_profiles

    commit = subprocess.run(
        ["git", "-C", str(ROOT), "rev-parse", "HEAD"], capture_output=True, text=True
    ).stdout.strip()
    dirty = subprocess.run(
        ["git", "-C", str(ROOT), "status", "--porcelain", "matching", "service", "migrations"],
        capture_output=True,
        text=True,
    ).stdout.strip()
    out: dict[str, Any] = {"commit": commit, "code_modified": bool(dirty), "tasks": {}}
    stack = start_stack(args.home, port=args.port, workers=args.workers)
    try:
        client = stack.client()
        admin = stack.admin_headers()
        for task in tasks:
            office = stack.agency(client, admin, f"Bench office {task.name}")
            caseworker, _, partner = partner_setup(stack, client, admin, office)
            headers = {**partner, "X-Purpose": "benchmark"}
            imported = bulk_import(client, caseworker, task.records)
            started = time.perf_counter()
            wait_profiles(stack.owner_url, UUID(office["id"]), len(task.records))
            last = {k: v for k, v in task.records[-1].items() if k != "external_id"}
            while True:  # until the last record is searchable
                found = client.post(
                    "/v1/match", json={"person": last, "limit": 10}, headers=headers
                )
                found.raise_for_status()
                if task.records[-1]["external_id"] in [
                    c["ref"] for c in found.json()["candidates"]
                ]:
                    break
                time.sleep(1)
            indexed = round(time.perf_counter() - started + imported, 1)
            print(f"[tessera] {task.name}: indexed {indexed} s after the import", flush=True)
            answers = []
            for query in task.queries:
                t0 = time.perf_counter()
                response = client.post(
                    "/v1/match", json={"person": query.person, "limit": 10}, headers=headers
                )
                seconds = time.perf_counter() - t0
                response.raise_for_status()
                candidates = response.json()["candidates"]
                answers.append(
                    {
                        "refs": [c["ref"] for c in candidates],
                        "matches": [c["ref"] for c in candidates if c["band"] == "strong"],
                        "seconds": round(seconds, 5),
                    }
                )
            out["tasks"][task.name] = {
                "n": len(task.records),
                "queries": len(task.queries),
                "indexed_s": indexed,
                "answers": answers,
            }
    finally:
        stack.stop()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(out))
    print(f"[tessera] answers written to {args.out} (commit {commit[:10]})", flush=True)


# --- shared name handling for the peers ---------------------------------------------------


def fold(text: str) -> str:
    """anyascii, lower case, letters and digits in space-separated tokens."""
    from anyascii import anyascii

    return " ".join(re.findall(r"[a-z0-9]+", str(anyascii(text)).lower()))


def _names(person: dict[str, Any]) -> list[str]:
    return [n if isinstance(n, str) else n["full"] for n in person.get("names", [])]


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else 0.0


def _years(person: dict[str, Any]) -> tuple[str | None, int | None, list[str]]:
    """(full date or None, a birth year or None, followthemoney birthDate values)."""
    if "birth_date" in person:
        value = str(person["birth_date"])
        year = int(value[:4])
        return (value if len(value) == 10 else None), year, [value]
    if "birth_date_range" in person:
        low = int(person["birth_date_range"]["from"][:4])
        high = int(person["birth_date_range"]["to"][:4])
        return None, (low + high) // 2, [str(y) for y in range(low, high + 1)]
    return None, None, []


class Gallery:
    """The gallery's folded names, for the JW scan and the token/metaphone index."""

    def __init__(self, records: list[dict[str, Any]]) -> None:
        import jellyfish

        self.ids = [r["external_id"] for r in records]
        self.names = [fold(" ".join(_names(r))) for r in records]
        self.sorted_names = [" ".join(sorted(n.split())) for n in self.names]
        postings: dict[str, list[int]] = defaultdict(list)
        for i, name in enumerate(self.names):
            keys = {k for t in name.split() for k in (t, "~" + jellyfish.metaphone(t))}
            for key in keys:
                postings[key].append(i)
        self.postings = postings
        self.metaphone = jellyfish.metaphone

    def jw(self, name: str) -> Any:
        """Jaro–Winkler of ``name`` (folded) with every gallery name: the better of the
        written and the token-sorted order."""
        import numpy as np
        from rapidfuzz import process
        from rapidfuzz.distance import JaroWinkler

        scorer = JaroWinkler.normalized_similarity
        written = process.cdist([name], self.names, scorer=scorer, dtype=np.float32)[0]
        ordered = " ".join(sorted(name.split()))
        by_sorted = process.cdist([ordered], self.sorted_names, scorer=scorer, dtype=np.float32)
        return np.maximum(written, by_sorted[0])

    def search(self, name: str, *, limit: int) -> list[int]:
        """The best ``limit`` by IDF-weighted shared tokens and metaphone keys."""
        import math

        n = len(self.names)
        scores: dict[int, float] = defaultdict(float)
        keys = {k for t in name.split() for k in (t, "~" + self.metaphone(t))}
        for key in keys:
            hits = self.postings.get(key, [])
            if not hits:
                continue
            weight = math.log(n / len(hits))
            for i in hits:
                scores[i] += weight
        return sorted(scores, key=lambda i: -scores[i])[:limit]


def run_anyascii_jw(task: Task, gallery: Gallery, *, threshold: float = 0.85) -> list[Answer]:
    import numpy as np

    answers = []
    for query in task.queries:
        t0 = time.perf_counter()
        sims = gallery.jw(fold(" ".join(_names(query.person))))
        top = np.argsort(-sims, kind="stable")[:10]
        refs = [gallery.ids[i] for i in top]
        matches = [gallery.ids[i] for i in top if sims[i] >= threshold]
        answers.append(Answer(refs, matches, time.perf_counter() - t0))
    return answers


def _ftm_person(model: Any, entity_id: str, person: dict[str, Any]) -> Any:
    entity = model.make_entity("Person")
    entity.id = entity_id
    for name in _names(person):
        entity.add("name", name)
    for value in _years(person)[2]:
        entity.add("birthDate", value)
    if person.get("sex") in ("M", "F"):
        entity.add("gender", "male" if person["sex"] == "M" else "female")
    for country in person.get("nationality", []):
        entity.add("nationality", country)
    if person.get("birth_place"):
        entity.add("birthPlace", person["birth_place"]["name"])
    for document in person.get("documents", []):
        entity.add("passportNumber", document["number"])
    return entity


def run_logic_v2(
    task: Task, gallery: Gallery, *, threshold: float = 0.70, per_source: int = 50
) -> list[Answer]:
    import numpy as np
    from followthemoney import model
    from nomenklatura.matching import LogicV2

    config = LogicV2.default_config()
    entities = [_ftm_person(model, r["external_id"], r) for r in task.records]
    warm = _ftm_person(model, "warm", {"names": ["Warm Up"]})
    LogicV2.compare(warm, warm, config)  # loads its name tables once, outside the timings
    answers = []
    for number, query in enumerate(task.queries):
        t0 = time.perf_counter()
        entity = _ftm_person(model, f"q{number}", query.person)
        name = fold(" ".join(_names(query.person)))
        sims = gallery.jw(name)
        by_jw = np.argsort(-sims, kind="stable")[:per_source].tolist()
        candidates = list(dict.fromkeys(gallery.search(name, limit=per_source) + by_jw))
        scored = sorted(
            ((-LogicV2.compare(entity, entities[i], config).score, -float(sims[i]), i)
             for i in candidates),
        )[:10]  # fmt: skip
        refs = [gallery.ids[i] for _, _, i in scored]
        matches = [gallery.ids[i] for score, _, i in scored if -score >= threshold]
        answers.append(Answer(refs, matches, time.perf_counter() - t0))
    return answers


def _splink_row(uid: str, person: dict[str, Any]) -> dict[str, Any]:
    import jellyfish

    tokens = fold(" ".join(_names(person))).split()
    dob, year, _ = _years(person)
    first, last = (tokens[0], tokens[-1]) if tokens else (None, None)
    return {
        "unique_id": uid,
        "name_sorted": " ".join(sorted(tokens)) or None,
        "tokens": tokens,
        "tok_first": first,
        "tok_last": last,
        "sx_first": jellyfish.soundex(first) if first else None,
        "sx_last": jellyfish.soundex(last) if last else None,
        "dob": dob,
        "birth_year": year,
        "sex": person.get("sex"),
        "nationality": (person.get("nationality") or [None])[0],
    }


def run_splink(task: Task, *, threshold: float = 0.99) -> tuple[list[Answer], list[str]]:
    """Train on the gallery linked with the queries (no labels), then predict."""
    import logging

    import splink.comparison_library as cl
    from splink import Linker, SettingsCreator, block_on
    from splink.backends.duckdb import DuckDBAPI

    logging.getLogger("splink").setLevel(logging.WARNING)
    names_only = task.name == "xscript"
    gallery_rows = [_splink_row(r["external_id"], r) for r in task.records]
    query_rows = [_splink_row(f"Q{i:06d}", q.person) for i, q in enumerate(task.queries)]
    comparisons: list[Any] = [
        cl.NameComparison("name_sorted"),
        cl.ArrayIntersectAtSizes("tokens", [2, 1]),
    ]
    if not names_only:
        comparisons += [
            cl.DateOfBirthComparison("dob", input_is_string=True),
            cl.ExactMatch("birth_year"),
            cl.ExactMatch("sex"),
            cl.ExactMatch("nationality"),
        ]
    settings = SettingsCreator(
        link_type="link_only",
        comparisons=comparisons,
        blocking_rules_to_generate_predictions=[
            block_on("tok_first"),
            block_on("tok_last"),
            "l.tok_first = r.tok_last",
            "l.tok_last = r.tok_first",
            block_on("sx_first", "sx_last"),
        ],
        retain_intermediate_calculation_columns=False,
    )
    db = DuckDBAPI()
    left = db.register(gallery_rows, dataset_display_name="gallery")
    right = db.register(query_rows, dataset_display_name="queries")
    t0 = time.perf_counter()
    linker = Linker([left, right], settings, log_level=logging.WARNING)
    notes = []
    if names_only:
        rule = "l.name_sorted = r.name_sorted"
    else:
        rule = "l.name_sorted = r.name_sorted and l.dob = r.dob"
    linker.training.estimate_probability_two_random_records_match([rule], recall=0.6)
    linker.training.estimate_u_using_random_sampling(max_pairs=1e6, seed=1)
    em_rules = [block_on("sx_first")] if names_only else [block_on("name_sorted"), block_on("dob")]
    for em_rule in em_rules:
        try:
            linker.training.estimate_parameters_using_expectation_maximisation(em_rule)
        except Exception as exc:
            notes.append(f"splink EM on {em_rule} failed: {exc}")
    trained = time.perf_counter() - t0
    t1 = time.perf_counter()
    frame = linker.inference.predict().as_record_list()
    predicted = time.perf_counter() - t1
    notes.append(
        f"splink: training {trained:.1f} s, predict {predicted:.1f} s for "
        f"{len(task.queries)} queries, {len(frame)} scored pairs"
    )
    per_query: dict[str, list[tuple[float, str]]] = defaultdict(list)
    for pair in frame:
        a, b = pair["unique_id_l"], pair["unique_id_r"]
        q, g = (a, b) if str(a).startswith("Q") else (b, a)
        per_query[str(q)].append((float(pair["match_probability"]), str(g)))
    seconds = predicted / max(len(task.queries), 1)
    answers = []
    for i in range(len(task.queries)):
        ranked = sorted(per_query.get(f"Q{i:06d}", []), key=lambda x: (-x[0], x[1]))[:10]
        answers.append(
            Answer([g for _, g in ranked], [g for p, g in ranked if p >= threshold], seconds)
        )
    return answers, notes


# --- figures ---------------------------------------------------------------------------


def figures(task: Task, answers: list[Answer]) -> dict[str, Any]:
    """rank-1, recall@10 and true_match of mated queries; namesake/unmated_match; p50/p95;
    the same per kind of variant in ``breakdown``."""
    tally: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for query, answer in zip(task.queries, answers, strict=True):
        groups = [query.kind] + [f"{query.kind}/{k}={v}" for k, v in query.kinds.items()]
        for group in groups:
            row = tally[group]
            row["count"] += 1
            if query.kind == "mated":
                row["rank1"] += bool(answer.refs) and answer.refs[0] in query.truth
                row["recall10"] += bool(query.truth & set(answer.refs))
                row["true_match"] += bool(query.truth & set(answer.matches))
            else:
                row["any_match"] += bool(answer.matches)
    breakdown: dict[str, dict[str, float]] = {}
    for group in sorted(tally):
        row = tally[group]
        keys = ("rank1", "recall10", "true_match") if group.startswith("mated") else ("any_match",)
        breakdown[group] = {"count": row["count"]}
        breakdown[group].update({k: round(row[k] / row["count"], 4) for k in keys})
    seconds = [a.seconds for a in answers]
    mated = breakdown.get("mated", {})
    return {
        "rank1": mated.get("rank1"),
        "recall10": mated.get("recall10"),
        "true_match": mated.get("true_match"),
        "namesake_match": breakdown.get("namesake", {}).get("any_match"),
        "unmated_match": breakdown.get("unmated", {}).get("any_match"),
        "p50_ms": round(pct(seconds, 0.5) * 1000, 1),
        "p95_ms": round(pct(seconds, 0.95) * 1000, 1),
        "breakdown": breakdown,
    }


def _versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    out = {}
    for package in ("nomenklatura", "followthemoney", "rigour", "splink", "duckdb",
                    "anyascii", "rapidfuzz", "jellyfish"):  # fmt: skip
        try:
            out[package] = version(package)
        except PackageNotFoundError:
            out[package] = "not installed"
    return out


def _fmt(value: float | None) -> str:
    return "   -" if value is None else f"{value:.3f}"


def table(results: dict[str, dict[str, dict[str, Any]]]) -> list[str]:
    lines = []
    header = (
        f"{'set':<12} {'system':<12} {'rank1':>6} {'rec@10':>7} {'true≥m':>7} "
        f"{'names≥m':>8} {'unmat≥m':>8} {'p50 ms':>8} {'p95 ms':>8}"
    )
    for task_name, by_system in results.items():
        lines.append(header)
        for system, f in by_system.items():
            lines.append(
                f"{task_name:<12} {system:<12} {_fmt(f['rank1']):>6} {_fmt(f['recall10']):>7} "
                f"{_fmt(f['true_match']):>7} {_fmt(f['namesake_match']):>8} "
                f"{_fmt(f['unmated_match']):>8} {f['p50_ms']:>8} {f['p95_ms']:>8}"
            )
        groups = sorted({g for f in by_system.values() for g in f["breakdown"]})
        per = [g for g in groups if "/" in g and g.split("/")[1].split("=")[0] in
               ("tradition", "script", "name", "date", "namesake")]  # fmt: skip
        if per:
            lines.append(
                f"  {'group':<40} "
                + " ".join(f"{s[:11]:>11}" for s in by_system)
                + "   (mated: rank1/rec@10; others: share ≥ match)"
            )
            for group in per:
                cells = []
                for f in by_system.values():
                    row = f["breakdown"].get(group)
                    if row is None:
                        cells.append(f"{'':>11}")
                    elif "rank1" in row:
                        cells.append(f"{row['rank1']:.2f}/{row['recall10']:.2f}".rjust(11))
                    else:
                        cells.append(f"{row['any_match']:.2f}".rjust(11))
                lines.append(f"  {group:<40} " + " ".join(cells))
        lines.append("")
    return lines


def run_peers(args: argparse.Namespace, tasks: list[Task]) -> None:
    systems = [s for s in args.systems.split(",") if s]
    results: dict[str, dict[str, dict[str, Any]]] = {t.name: {} for t in tasks}
    notes: list[str] = []
    tessera: dict[str, Any] = {}
    if args.tessera:
        tessera = json.loads(args.tessera.read_text())
        notes.append(
            f"tessera: HTTP, commit {tessera['commit'][:10]}"
            + (" (matching/service modified)" if tessera.get("code_modified") else "")
        )
    for task in tasks:
        print(f"[{task.name}] {len(task.records)} records, {len(task.queries)} queries", flush=True)
        if task.name in tessera.get("tasks", {}):
            stored = tessera["tasks"][task.name]
            if stored["n"] != len(task.records) or stored["queries"] != len(task.queries):
                raise SystemExit(f"{args.tessera} was run with another --n or query count")
            answers = [Answer(a["refs"], a["matches"], a["seconds"]) for a in stored["answers"]]
            results[task.name]["tessera"] = figures(task, answers)
        gallery = Gallery(task.records)
        for system in systems:
            t0 = time.perf_counter()
            if system == "splink":
                answers, splink_notes = run_splink(task)
                notes += [f"[{task.name}] {n}" for n in splink_notes]
            elif system == "logic_v2":
                answers = run_logic_v2(task, gallery)
            elif system == "anyascii_jw":
                answers = run_anyascii_jw(task, gallery)
            else:
                raise SystemExit(f"unknown system {system!r}")
            results[task.name][system] = figures(task, answers)
            print(f"[{task.name}] {system}: {time.perf_counter() - t0:.0f} s", flush=True)
    lines = table(results)
    versions = _versions()
    lines.append("peers: " + ", ".join(f"{k} {v}" for k, v in versions.items()))
    lines += notes
    summary = {
        "n": args.n,
        "seed": args.seed,
        "queries": args.queries,
        "xscript_queries_per_script": args.xscript_queries,
        "split": args.split,
        "tessera_commit": tessera.get("commit"),
        "versions": versions,
        "notes": notes,
        "results": results,
    }
    text = "\n".join(lines)
    print(text)
    line = json.dumps(summary, ensure_ascii=False, sort_keys=True)
    print(line)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.with_suffix(".txt").write_text(text + "\n")
    args.out.with_suffix(".json").write_text(line + "\n")


# --- main ------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else "")
    parser.add_argument("mode", choices=("tessera", "peers"))
    parser.add_argument("--n", type=int, default=20_000)
    parser.add_argument("--queries", default="700,100,200", help="mated,namesakes,unmated")
    parser.add_argument("--seed", type=int, default=20261207)
    parser.add_argument("--xscript-data", type=Path, default=DEFAULT_XSCRIPT)
    parser.add_argument("--split", default="dev")
    parser.add_argument("--xscript-queries", type=int, default=200, help="per script")
    parser.add_argument("--out", type=Path, required=True)
    # tessera
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--port", type=int, default=8794)
    parser.add_argument("--home", type=Path, default=ROOT / "bench" / "out" / "peers-home")
    # peers
    parser.add_argument("--tessera", type=Path, help="the answers of `peers.py tessera`")
    parser.add_argument("--systems", default="anyascii_jw,logic_v2,splink")
    args = parser.parse_args()
    tasks = build_tasks(args)
    if args.mode == "tessera":
        run_tessera(args, tasks)
    else:
        run_peers(args, tasks)


if __name__ == "__main__":
    main()

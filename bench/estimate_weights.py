"""Estimate the m/u probabilities of every feature level from labelled pairs and write
``matching/data/algorithm-<version>.json``.

Sources (all read at run time, nothing copied into the repository):

* FEBRL4 (``recordlinkage`` package): 5,000 true links between two files of 5,000
  records; random non-linked pairs give ``u``. Used for Latin–Latin names, birth
  dates and (as a proxy, see ``febrl_persons``) place of birth.
* Cross-script name pairs ``<data>/<script>.<split>.tsv``: a native-script token and
  its Latin spelling. Half the pairs are one token on each side (a record holding a
  single name), half join two rows into a two-part name; the native name against its
  own Latin spelling is a true pair, against other rows' Latin spellings a random pair.
  They are read with learned tables built without them (``--tables``), so that ``m``
  is what names the tables never saw get, as in use.
* Features with no labelled data (sex, nationality, documents, languages) and the
  prior take documented assumptions, written into the file next to the values.

Usage: ``python bench/estimate_weights.py [--version 1.2] [--check] [--dates-from 1.1]``
(``--check`` prints the table without writing).

The shipped ``algorithm-1.1.json`` is regenerated, after the learned tables in
``matching/data`` change, by (train only; dev is never read)::

    H=/tmp/tessera-holdout
    .venv/bin/python bench/build_translit_tables.py --hold-out $H/split
    taskset -c 1 .venv/bin/python bench/build_translit_tables.py \
        --data $H/split --split fit --out $H/tables --graphones
    taskset -c 1 .venv/bin/python bench/estimate_weights.py --version 1.1 \
        --data $H/split --split check --tables $H/tables
    taskset -c 1 .venv/bin/python bench/febrl.py --record
    taskset -c 1 .venv/bin/python bench/febrl.py --no-documents --record

``algorithm-1.2.json`` re-estimates the birth-date levels (same-day-and-month,
year-digit swap, age ranges by width) and writes the gallery-size prior on top of 1.1::

    taskset -c 1 .venv/bin/python bench/estimate_weights.py --version 1.2 --dates-from 1.1

(the last two record the declared FEBRL accuracy in the file; ``matching.scoring``
must be able to load its default version while this script runs, so write a new
version before making it the default).
"""

from __future__ import annotations

import argparse
import collections
import datetime as dt
import functools
import json
import math
import random
import statistics
import sys
import time
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.febrl_persons import load_febrl4  # noqa: E402
from matching.attributes import PLACE_LEVELS, compare_birth_place, place_from  # noqa: E402
from matching.dates import DATE_LEVELS, compare_birth_dates, parse_birth_date  # noqa: E402
from matching.names import LEVELS as NAME_LEVELS  # noqa: E402
from matching.names import NameSet, build_name_set, compare_names_with_rarity  # noqa: E402
from matching.profile import name_information  # noqa: E402
from matching.scoring import agreed_name_bits  # noqa: E402

XSCRIPT = ROOT.parent / "shared" / "data" / "xscript-names"
SCRIPTS = ("arabic", "chinese", "hebrew", "japanese", "katakana", "korean", "russian")
SEED = 20261127

Person = dict[str, Any]


# ----------------------------------------------------------------- counting


def estimate(
    match_levels: Iterable[str],
    random_levels: Iterable[str],
    levels: Sequence[str],
    alpha: float = 0.5,
) -> dict[str, dict[str, float]]:
    """m and u per level, with ``alpha`` pseudo-counts so no level is impossible."""
    mc = collections.Counter(match_levels)
    uc = collections.Counter(random_levels)
    known = [lv for lv in levels if lv != "missing"]
    nm = sum(mc[lv] for lv in known)
    nu = sum(uc[lv] for lv in known)
    out: dict[str, dict[str, float]] = {}
    for lv in known:
        m = (mc[lv] + alpha) / (nm + alpha * len(known))
        u = (uc[lv] + alpha) / (nu + alpha * len(known))
        out[lv] = {"m": _r(m), "u": _r(u), "n_match": mc[lv], "n_random": uc[lv]}
    return out


def _r(x: float) -> float:
    return float(f"{x:.6g}")


def random_pairs(
    a_ids: Sequence[str],
    b_ids: Sequence[str],
    links: set[tuple[str, str]],
    n: int,
    rng: random.Random,
) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    while len(out) < n:
        pair = (rng.choice(a_ids), rng.choice(b_ids))
        if pair not in links:
            out.append(pair)
    return out


# ----------------------------------------------------------------- dates


def coarsen(birth: str | None, rng: random.Random) -> tuple[str | None, dict[str, str] | None]:
    """How a date of birth reaches a case file (assumed shares, see ASSUMPTIONS).

    The weights do not depend on these shares (they cancel in m/u as long as the way a
    date is recorded does not depend on whether two records are the same person); the
    shares only make every level occur often enough to count.
    """
    if birth is None:
        return None, None
    y, m, d = (int(x) for x in birth.split("-"))
    r = rng.random()
    if r < 0.55:
        return birth, None
    if r < 0.70:
        return f"{y:04d}", None
    if r < 0.80:
        return f"{y:04d}-01-01", None
    if r < 0.85:
        return f"{y:04d}-{m:02d}", None
    if r < 0.90 and d <= 12 and d != m:
        return f"{y:04d}-{d:02d}-{m:02d}", None
    # An age assessment: a window of 1, 3, 5 or 10 years (assumed shares) whose centre
    # misses the true year by up to about half its width plus one.
    width = rng.choice(RANGE_WIDTH_YEARS)
    half = width // 2
    miss = rng.choice(RANGE_MISS[width])
    lo = y + miss - half
    return None, {"from": f"{lo:04d}-01-01", "to": f"{lo + width - 1:04d}-12-31"}


#: Widths (years) of the age-assessment windows drawn by :func:`coarsen`, with repeats
#: for their shares, and for each width the misses (years) of its centre.
RANGE_WIDTH_YEARS = (1, 3, 5, 5, 10)
RANGE_MISS: dict[int, tuple[int, ...]] = {
    1: (-1, 0, 0, 0, 0, 1),
    3: (-2, -1, 0, 0, 0, 1, 2),
    5: (-3, -2, -1, -1, 0, 0, 0, 0, 1, 1, 2, 3),
    10: (-6, -4, -2, -1, 0, 0, 0, 1, 2, 4, 6),
}

#: Birth years of people in a migration gallery (assumed): normal around 1995 with a
#: standard deviation of 10 years, kept to 1940–2024. FEBRL's years are spread evenly
#: over a century, which makes agreeing years and ranges look rarer by chance than in
#: the galleries Tessera serves.
GALLERY_YEAR_MEAN = 1995.0
GALLERY_YEAR_SD = 10.0


def gallery_date(birth: str | None, rng: random.Random) -> str | None:
    """A random person's date of birth with its year drawn from the gallery's year
    distribution (month and day kept; 29 February becomes the 28th in common years)."""
    if birth is None:
        return None
    _y, m, d = (int(x) for x in birth.split("-"))
    y = min(2024, max(1940, round(rng.gauss(GALLERY_YEAR_MEAN, GALLERY_YEAR_SD))))
    if m == 2 and d == 29 and not (y % 4 == 0 and (y % 100 != 0 or y % 400 == 0)):
        d = 28
    return f"{y:04d}-{m:02d}-{d:02d}"


def date_levels(
    pairs: Sequence[tuple[Person, Person]], rng: random.Random, *, gallery_years: bool = False
) -> list[str]:
    """The date level of each pair, one side coarsened; with ``gallery_years`` (random
    pairs) both sides' years are first redrawn from the gallery's year distribution."""
    out = []
    for a, b in pairs:
        da, db = a.get("birth_date"), b.get("birth_date")
        if gallery_years:
            da, db = gallery_date(da, rng), gallery_date(db, rng)
        date, rng_range = coarsen(db, rng)
        qa = parse_birth_date(da)
        cb = parse_birth_date(date, rng_range)
        out.append(compare_birth_dates(qa, cb).level)
    return out


# ----------------------------------------------------------------- names


def read_xscript(script: str, data: Path = XSCRIPT, split: str = "train") -> list[tuple[str, str]]:
    """(native, latin) rows of one script's split."""
    rows: list[tuple[str, str]] = []
    with (data / f"{script}.{split}.tsv").open(encoding="utf-8") as fh:
        for line in fh:
            parts = line.rstrip("\n").split("\t")
            if len(parts) < 2:
                continue
            latin, native = parts[0].strip(), parts[1].replace(" ", "").strip()
            if latin and native:
                rows.append((native, latin))
    return rows


def xscript_name_pairs(
    per_script: int,
    per_script_random: int,
    rng: random.Random,
    data: Path = XSCRIPT,
    split: str = "train",
) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """True and random (native name, Latin name) pairs: half of them one part on each
    side (a record that holds one name, as the xscript-names rows do), half two."""
    true: list[tuple[str, str]] = []
    rand: list[tuple[str, str]] = []
    for script in SCRIPTS:
        rows = read_xscript(script, data, split)
        for i in range(per_script):
            if i % 2:
                (n1, l1), (n2, l2) = rng.sample(rows, 2)
                true.append((f"{n1} {n2}", f"{l1} {l2}"))
            else:
                n1, l1 = rng.choice(rows)
                true.append((n1, l1))
        for i in range(per_script_random):
            if i % 2:
                (n3, _l3), (n4, _l4), (_n5, l5), (_n6, l6) = rng.sample(rows, 4)
                rand.append((f"{n3} {n4}", f"{l5} {l6}"))
            else:
                (n3, _l3), (_n5, l5) = rng.sample(rows, 2)
                rand.append((n3, l5))
    return true, rand


@functools.lru_cache(maxsize=200_000)
def _information(names: NameSet) -> float:
    return name_information(names)


def name_outcomes(pairs: Iterable[tuple[Any, Any]]) -> list[tuple[str, float]]:
    """(level, information of the agreeing name) per pair, as the scorer sees them."""
    out = []
    for q, c in pairs:
        comp, bits = compare_names_with_rarity(q, c)
        out.append((comp.level, agreed_name_bits(bits, _information(q), _information(c))))
    return out


def monotone(
    levels: dict[str, dict[str, float]], order: Sequence[str]
) -> dict[str, dict[str, float]]:
    """Make a better level never weigh less than a worse one (pool adjacent violators).

    Violating neighbours share one likelihood ratio, (Σm)/(Σu); each keeps its m and
    takes u = m / ratio. This matters where random pairs almost never reach a level and
    u is known only as an upper bound.
    """
    names = [lv for lv in order if lv in levels]
    blocks: list[list[str]] = []
    for lv in names:
        blocks.append([lv])
        while len(blocks) > 1 and _ratio(levels, blocks[-2]) < _ratio(levels, blocks[-1]):
            last = blocks.pop()
            blocks[-1].extend(last)
    out = {lv: dict(v) for lv, v in levels.items()}
    for block in blocks:
        if len(block) > 1:
            ratio = _ratio(levels, block)
            for lv in block:
                out[lv]["u"] = _r(levels[lv]["m"] / ratio)
                out[lv]["pooled_with"] = [x for x in block if x != lv]  # type: ignore[assignment]
    return out


def _ratio(levels: dict[str, dict[str, float]], block: Sequence[str]) -> float:
    return sum(levels[lv]["m"] for lv in block) / sum(levels[lv]["u"] for lv in block)


def pooled(
    a: dict[str, dict[str, float]], b: dict[str, dict[str, float]], share_a: float
) -> dict[str, dict[str, float]]:
    out = {}
    for lv in a:
        out[lv] = {
            "m": _r(share_a * a[lv]["m"] + (1 - share_a) * b[lv]["m"]),
            "u": _r(share_a * a[lv]["u"] + (1 - share_a) * b[lv]["u"]),
            "n_match": a[lv]["n_match"] + b[lv]["n_match"],
            "n_random": a[lv]["n_random"] + b[lv]["n_random"],
        }
    return out


# ----------------------------------------------------------------- assumptions

DESCRIPTION = (
    "Fellegi–Sunter: weight of a level = log2(m/u); match weight = log2(q/(1-q)) + "
    "Σ weights with q = p_present / max(N, min_gallery) for a gallery of N reachable "
    "records; probability = 2^w/(1+2^w). Missing levels weigh 0. m and u are "
    "conditional on the feature being present on both sides."
)

ASSUMPTIONS: dict[str, Any] = {
    "prior": {
        "p_present": 0.5,
        "min_gallery": 5000,
        "default_gallery": 20000,
        "source": "assumption",
        "why": "The prior odds that a given record of a gallery of N reachable records is "
        "the person queried are p_present / N, where p_present is the share of queries "
        "whose person is in the gallery at all (assumed 0.5: about half the people "
        "identified were recorded before). The prior log-odds are "
        "log2(q / (1 - q)) with q = p_present / max(N, min_gallery): they fall by one bit "
        "each time the gallery doubles. Below min_gallery (5,000) records the prior "
        "stays at q = 0.0001 (a tenth of version 1.1's fixed 0.001), so that a name alone "
        "is never strong in any gallery (see the name feature's max_weight). When the "
        "caller does not say how many records were searched, N = default_gallery (20,000).",
    },
    "sex": {
        "source": "assumption (no labelled data with sex)",
        "why": "Sex is mis-recorded in about 2 % of records of one person (transcription, "
        "gendered-name guesses); in a gallery roughly half the people share a sex.",
        "levels": {"same": {"m": 0.98, "u": 0.5}, "different": {"m": 0.02, "u": 0.5}},
    },
    "nationality": {
        "source": "assumption (no labelled data with nationality)",
        "why": "One person's records share at least one nationality 90 % of the time "
        "(the rest: dual nationality recorded once, a false claim); galleries are "
        "concentrated on a few nationalities, so unrelated pairs share one about 15 % of "
        "the time (the sum of squared shares of a gallery whose top five hold ~60 %).",
        "levels": {"overlap": {"m": 0.9, "u": 0.15}, "different": {"m": 0.1, "u": 0.85}},
    },
    "languages": {
        "source": "assumption (no labelled data with languages)",
        "why": "Records of one person share a language 90 % of the time; unrelated people "
        "in a gallery share one about 25 % of the time (Arabic, English, French, Tigrinya "
        "and Dari cover many).",
        "levels": {"overlap": {"m": 0.9, "u": 0.25}, "different": {"m": 0.1, "u": 0.75}},
    },
    "document": {
        "source": "assumption (no labelled document pairs)",
        "why": "When two records of one person both carry a document of the same kind and "
        "issuer, it is the same document a bit more often than not (55 %); typing slips "
        "swap neighbours in 2 %, scanners confuse characters in 3 %, the issuer is "
        "recorded differently in 1 %, and 39 % are different documents (renewed, "
        "replaced). Numbers are unique per issuer, so an unrelated pair agrees only by a "
        "data-entry error: about one in a million for an exact number, twice that for a "
        "swap or OCR confusion, ten times for the same number under another issuer.",
        "levels": {
            "exact": {"m": 0.55, "u": 1e-6},
            "transposed": {"m": 0.02, "u": 2e-6},
            "ocr": {"m": 0.03, "u": 2e-6},
            "other_issuer": {"m": 0.01, "u": 1e-5},
            "different": {"m": 0.39, "u": 0.999985},
        },
    },
    "date_coarsening": {
        "source": "assumption",
        "why": "To count the year-only, placeholder, year-month, day/month-swapped and "
        "age-range levels, which FEBRL lacks, one side's date is recorded as given 55 %, "
        "year only 15 %, 1 January 10 %, year-month 5 %, day and month swapped 5 % (when "
        "both are ≤ 12), or replaced by an age-assessment window 1, 3, 5 or 10 years wide "
        "(shares 1:1:2:1) whose centre misses the true year by up to about half its width "
        "plus one (see RANGE_MISS). The shares cancel out of the weights. m is counted on "
        "FEBRL's true links as corrupted by FEBRL. u is counted on random pairs whose "
        "years are first redrawn from a migration gallery's birth years (assumed normal "
        "around 1995, standard deviation 10 years, kept to 1940-2024; month and day kept): "
        "so u(in_range_<w>) is the share of random people whose date falls inside a "
        "window that wide, u(same_day_month) the share sharing day and month (about 1 in "
        "365) in another year more than one apart, and u(typo) the share whose year has "
        "two adjacent digits swapped. FEBRL's own years, spread evenly over a century, "
        "would make agreeing years and ranges look rarer by chance than they are in a "
        "gallery of people mostly aged 15-45.",
    },
    "place_coarsening": {
        "source": "assumption",
        "why": "30 % of records name only the country of birth (the share cancels out of "
        "the weights).",
    },
    "place_floor": {
        "source": "assumption",
        "why": "FEBRL suburbs are many and evenly spread; places of birth in a migration "
        "gallery are not (a few cities such as Kabul, Mogadishu, Asmara or Aleppo hold a "
        "large share), so u(same_place) is raised to at least 1 %.",
        "u_same_place": 0.01,
    },
    "name_pool": {
        "source": "assumption",
        "why": "Queries are half Latin-to-Latin (FEBRL-like spelling variation) and half "
        "across scripts (xscript-names: a native-script name of one part or two against "
        "a Latin one, half each, as records often hold a single name); name m and u are "
        "the 50/50 mixture. The cross-script pairs are read with learned tables that "
        "never saw them (a held-out fifth of train, bench/build_translit_tables.py "
        "--hold-out), so m is not flattered. Levels that "
        "no random pair reached have u at the pseudo-count bound (0.5 per level over the "
        "random pairs), so their weights are lower bounds; better levels are pooled so "
        "that they never weigh less than worse ones (pool adjacent violators).",
        "share_latin": 0.5,
    },
    "name_rarity": {
        "source": "estimated centres; assumed weight and cap",
        "why": "How rare a name is (its information in bits, from how often its parts "
        "occur in a reference list of names) moves the weight of an agreeing name: by half "
        "its difference from a typical name agreeing at that level, at most 4 bits either "
        "way. The typical name is the kind the level's chance rate was measured on. Where "
        "names in another script agree with Latin ones (transliteration, close), unrelated "
        "records almost only agree by chance when each holds a single name, so the "
        "typical name there is a one-part name: a name with more parts, or a rarer one, is "
        "harder to share by chance and adds weight; a very common one removes it. Where "
        "too few one-part names reach a level (exact and strong, reached by Latin names; "
        "partial, where one part of several agrees), it is the average name agreeing there "
        "in true pairs. Half, and at most 4 bits: the list is not the gallery.",
        "weight": 0.5,
        "cap": 4.0,
    },
    "bands": {
        "source": "chosen",
        "why": "strong from probability 0.99 (match weight 6.63, after the gallery-size "
        "prior: a wrong person at that score is about 1 in 100 or rarer whatever the "
        "gallery size; a name alone, however rare, never reaches it: see the name feature's "
        "max_weight). possible from "
        "probability 0.5 (match weight 0): more likely the person than not, worth a "
        "caseworker's look; the band only suggests, two caseworkers' confirmations decide. "
        "Below possible is weak. Checked on FEBRL4 (bench/febrl.py, precision at "
        "possible), on random cross-script non-pairs (bench/xscript_names.py, "
        "nonpair_possible) and on the golden table.",
        "strong": 6.63,
        "possible": 0.0,
    },
    "name_cap": {
        "why": "A name alone, however rare, never makes a match strong: the name adds at "
        "most this many bits, one bit short of what would lift the highest starting odds "
        "(1 in 10,000, a gallery of 5,000 records or fewer) to the strong band. Other "
        "evidence (a date, a document) must agree too.",
        "margin_bits": 1.0,
    },
}


# ----------------------------------------------------------------- main


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--version", default="1.2")
    parser.add_argument("--per-script", type=int, default=1000, help="xscript pairs per script")
    parser.add_argument(
        "--per-script-random",
        type=int,
        default=20000,
        help="random cross-script pairs per script (enough that the best levels are reached)",
    )
    parser.add_argument("--random", type=int, default=100_000, help="random FEBRL name pairs")
    parser.add_argument("--check", action="store_true", help="print only, write nothing")
    parser.add_argument(
        "--dates-from",
        default=None,
        help="re-estimate only the birth-date feature (and write this script's prior and "
        "bands) on top of this existing version, e.g. 1.1",
    )
    parser.add_argument("--data", type=Path, default=XSCRIPT, help="cross-script pairs")
    parser.add_argument("--split", default="train", help="which split of --data to read")
    parser.add_argument(
        "--tables",
        type=Path,
        default=None,
        help="learned transliteration tables to read instead of the packaged ones "
        "(cross-fitting: tables built without --split's pairs)",
    )
    args = parser.parse_args(argv)
    if args.tables is not None:
        from bench.xscript_names import use_tables

        use_tables(args.tables)
    rng = random.Random(SEED)
    t0 = time.perf_counter()

    pa, pb, links = load_febrl4()
    link_set = set(links)
    a_ids, b_ids = sorted(pa), sorted(pb)
    rand_ids = random_pairs(a_ids, b_ids, link_set, 200_000, rng)
    true_pairs = [(pa[x], pb[y]) for x, y in links]
    rand_pairs = [(pa[x], pb[y]) for x, y in rand_ids]

    # Dates: all true links, 200,000 random pairs, one side coarsened.
    dates = estimate(
        date_levels(true_pairs, random.Random(SEED + 1)),
        date_levels(rand_pairs, random.Random(SEED + 2), gallery_years=True),
        DATE_LEVELS,
    )
    date_feature = {
        "feature": "birth_date",
        "source": f"estimated: FEBRL4 ({len(true_pairs)} true links for m, {len(rand_pairs)} "
        "random pairs for u with their years redrawn from a migration gallery's), one "
        "side's date coarsened",
        "why": ASSUMPTIONS["date_coarsening"]["why"],
        "levels": dates,
    }
    if args.dates_from is not None:
        return write_dates_only(args, date_feature, t0)

    # Place of birth (FEBRL suburb/state as the proxy); one side sometimes names only
    # the country, so that the country-only level can be counted.
    def place_levels(pairs: Sequence[tuple[Person, Person]], rng: random.Random) -> list[str]:
        out = []
        for a, b in pairs:
            pb_raw = b.get("birth_place")
            if isinstance(pb_raw, dict) and rng.random() < 0.3:
                pb_raw = {k: v for k, v in pb_raw.items() if k != "name"}
            qa, cb = place_from(a.get("birth_place")), place_from(pb_raw)
            out.append(compare_birth_place(qa, cb).level)
        return out

    place = estimate(
        place_levels(true_pairs, random.Random(SEED + 3)),
        place_levels(rand_pairs, random.Random(SEED + 4)),
        PLACE_LEVELS,
    )
    floor = float(ASSUMPTIONS["place_floor"]["u_same_place"])
    if place["same_place"]["u"] < floor:
        place["same_place"]["u_estimated"] = place["same_place"]["u"]
        place["same_place"]["u"] = floor

    # Names: FEBRL Latin pairs, and cross-script pairs.
    na = {k: build_name_set(v["names"]) for k, v in pa.items()}
    nb = {k: build_name_set(v["names"]) for k, v in pb.items()}
    febrl_true = name_outcomes((na[x], nb[y]) for x, y in links)
    febrl_rand = name_outcomes((na[x], nb[y]) for x, y in rand_ids[: args.random])
    xs_true_pairs, xs_rand_pairs = xscript_name_pairs(
        args.per_script, args.per_script_random, rng, args.data, args.split
    )
    xs_true = name_outcomes((build_name_set([q]), build_name_set([c])) for q, c in xs_true_pairs)
    xs_rand = name_outcomes((build_name_set([q]), build_name_set([c])) for q, c in xs_rand_pairs)
    share = float(ASSUMPTIONS["name_pool"]["share_latin"])
    name_latin = estimate((lv for lv, _ in febrl_true), (lv for lv, _ in febrl_rand), NAME_LEVELS)
    name_xs = estimate((lv for lv, _ in xs_true), (lv for lv, _ in xs_rand), NAME_LEVELS)
    names = monotone(pooled(name_latin, name_xs, share), NAME_LEVELS)
    # Rarity centres: the information of the names each level's chance rate was
    # measured on (see ASSUMPTIONS["name_rarity"]). Random pairs reach the agreeing
    # cross-script levels almost only with one name part on each side, so where
    # one-part true pairs reach a level, they set its centre; elsewhere every true pair.
    one_part = [o for o, (q, _c) in zip(xs_true, xs_true_pairs, strict=True) if " " not in q]
    centre: dict[str, float] = {}
    for lv in ("exact", "transliteration", "strong", "close", "partial"):
        bits = [b for level, b in one_part if level == lv and b > 0]
        if len(bits) < 20:
            bits = [b for level, b in febrl_true + xs_true if level == lv and b > 0]
        if len(bits) >= 20:
            centre[lv] = round(statistics.fmean(bits), 2)

    def assumed(feature: str) -> dict[str, Any]:
        spec = ASSUMPTIONS[feature]
        return {
            "feature": feature,
            "source": spec["source"],
            "why": spec["why"],
            "levels": spec["levels"],
        }

    prior_spec = ASSUMPTIONS["prior"]
    lam = float(prior_spec["p_present"]) / float(prior_spec["min_gallery"])
    prior_bits = math.log2(lam / (1.0 - lam))
    name_cap = round(
        float(ASSUMPTIONS["bands"]["strong"])
        - prior_bits
        - float(ASSUMPTIONS["name_cap"]["margin_bits"]),
        2,
    )
    tables_note = (
        f"; read with learned tables built without these pairs, {args.tables}"
        if args.tables is not None
        else ""
    )
    config: dict[str, Any] = {
        "algorithm": "tessera-fs",
        "version": args.version,
        "description": DESCRIPTION,
        "estimated_by": "bench/estimate_weights.py",
        "estimated_on": dt.date.today().isoformat(),
        "seed": SEED,
        "prior": ASSUMPTIONS["prior"],
        "bands": {
            "strong": ASSUMPTIONS["bands"]["strong"],
            "possible": ASSUMPTIONS["bands"]["possible"],
            "source": ASSUMPTIONS["bands"]["source"],
            "why": ASSUMPTIONS["bands"]["why"],
        },
        "features": [
            {
                "feature": "name",
                "source": f"estimated: FEBRL4 ({len(febrl_true)} true links, {len(febrl_rand)} "
                f"random pairs) and xscript-names {args.split} ({len(xs_true)} true, "
                f"{len(xs_rand)} random names of one or two parts over {len(SCRIPTS)} "
                f"scripts{tables_note}), pooled {share:.0%}/{1 - share:.0%}",
                "why": ASSUMPTIONS["name_pool"]["why"],
                "max_weight": name_cap,
                "max_weight_why": ASSUMPTIONS["name_cap"]["why"],
                "levels": names,
                "by_source": {"febrl4": name_latin, "xscript": name_xs},
                "rarity": {
                    "centre_bits": centre,
                    "weight": ASSUMPTIONS["name_rarity"]["weight"],
                    "cap": ASSUMPTIONS["name_rarity"]["cap"],
                    "source": ASSUMPTIONS["name_rarity"]["source"],
                    "why": ASSUMPTIONS["name_rarity"]["why"],
                },
            },
            date_feature,
            assumed("sex"),
            assumed("document"),
            assumed("nationality"),
            {
                "feature": "birth_place",
                "source": f"estimated: FEBRL4 suburb and state as place and country "
                f"({len(true_pairs)} true links, {len(rand_pairs)} random pairs)",
                "why": "FEBRL has no place of birth; its address suburb and state are the "
                "closest labelled stand-in (see bench/febrl_persons.py). "
                + ASSUMPTIONS["place_floor"]["why"],
                "levels": place,
            },
            assumed("languages"),
        ],
    }
    print(render(config))
    print(f"\n({time.perf_counter() - t0:.1f} s)")
    if not args.check:
        path = ROOT / "matching" / "data" / f"algorithm-{args.version}.json"
        path.write_text(json.dumps(config, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        print(f"wrote {path.relative_to(ROOT)}")
    return 0


def write_dates_only(args: argparse.Namespace, date_feature: dict[str, Any], t0: float) -> int:
    """``--dates-from BASE``: the base version's configuration with the birth-date
    feature re-estimated and this script's prior and bands (names, places and the
    assumed features are kept as the base estimated them)."""
    base_path = ROOT / "matching" / "data" / f"algorithm-{args.dates_from}.json"
    config: dict[str, Any] = json.loads(base_path.read_text(encoding="utf-8"))
    config["version"] = args.version
    config["description"] = DESCRIPTION
    config["estimated_on"] = dt.date.today().isoformat()
    config["estimated_from"] = (
        f"algorithm-{args.dates_from}.json: every feature but birth_date as estimated "
        f"there; birth_date, prior and bands by this script (--dates-from {args.dates_from})"
    )
    config["prior"] = ASSUMPTIONS["prior"]
    config["bands"] = {
        "strong": ASSUMPTIONS["bands"]["strong"],
        "possible": ASSUMPTIONS["bands"]["possible"],
        "source": ASSUMPTIONS["bands"]["source"],
        "why": ASSUMPTIONS["bands"]["why"],
    }
    config["features"] = [
        date_feature if f["feature"] == "birth_date" else f for f in config["features"]
    ]
    prior_spec = ASSUMPTIONS["prior"]
    lam = float(prior_spec["p_present"]) / float(prior_spec["min_gallery"])
    for f in config["features"]:
        if f["feature"] == "name":
            f["max_weight"] = round(
                float(ASSUMPTIONS["bands"]["strong"])
                - math.log2(lam / (1.0 - lam))
                - float(ASSUMPTIONS["name_cap"]["margin_bits"]),
                2,
            )
            f["max_weight_why"] = ASSUMPTIONS["name_cap"]["why"]
    # the declared accuracy was measured on the base version: not carried over
    config.pop("accuracy", None)
    print(render(config))
    print(f"\n({time.perf_counter() - t0:.1f} s)")
    if not args.check:
        path = ROOT / "matching" / "data" / f"algorithm-{args.version}.json"
        path.write_text(json.dumps(config, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        print(f"wrote {path.relative_to(ROOT)}")
    return 0


def render(config: dict[str, Any]) -> str:
    lines = [f"{config['algorithm']}-{config['version']}"]
    for feature in config["features"]:
        lines.append(f"  {feature['feature']}  ({feature['source']})")
        for level, v in feature["levels"].items():
            w = math.log2(v["m"] / v["u"])
            counts = f"n={v.get('n_match', '-')}/{v.get('n_random', '-')}"
            lines.append(
                f"    {level:16s} m={v['m']:<10.4g} u={v['u']:<10.4g} w={w:+6.2f}  {counts}"
            )
        if "rarity" in feature:
            lines.append(f"    rarity centres: {feature['rarity']['centre_bits']}")
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())

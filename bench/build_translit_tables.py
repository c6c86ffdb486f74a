"""Learn the transliteration tables shipped in ``matching/data/`` from the train split.

For every script, an EM-trained alignment between native units (one character, or
optionally two adjacent characters) and Latin segments of 0..L letters gives
P(latin segment | native unit), once for plain characters and once for characters
marked by their place in the word (initial, inside, final). A character 4-gram
model of Latin name spellings, learned from the Latin side of every script's train
split, steers the beam search in
:mod:`matching.translit`. Name-part frequencies (for rarity) come from the same
Latin side, weighted by pair counts. Only the learned tables are written; the data
stays outside the repository.

Usage::

    .venv/bin/python bench/build_translit_tables.py [--data DIR] [--out matching/data]
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import math
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Protocol

import numpy as np
from numba import njit, types
from numba.typed import Dict

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from matching.normalize import ascii_letters  # noqa: E402
from matching.translit import (  # noqa: E402
    SCRIPT_MODELS,
    _Model,
    native_units,
    positional_units,
)

BASE = 27  # letters a..z are 1..26 in a segment code
COUNT_FLOOR = 0.2  # expected counts below this are not kept
COUNT_TOP = 48  # at most this many segments per unit keep their counts


@njit(cache=True)
def _seg_code(lat: np.ndarray, start: int, end: int) -> int:
    code = 0
    for t in range(start, end):
        code = code * BASE + lat[t]
    return code + 1  # 0 would collide with the empty segment's unit offset


@njit(cache=True)
def _unit_key(nat: np.ndarray, i: int, width: int, vocab: int) -> int:
    if width == 1:
        return nat[i]  # type: ignore[no-any-return]
    return vocab + nat[i] * vocab + nat[i + 1]  # type: ignore[no-any-return]


@njit(cache=True)
def _em(
    nat_flat: np.ndarray,
    nat_off: np.ndarray,
    lat_flat: np.ndarray,
    lat_off: np.ndarray,
    weights: np.ndarray,
    vocab: int,
    max_seg: int,
    max_width: int,
    seg_space: int,
    iterations: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    index = Dict.empty(key_type=types.int64, value_type=types.int64)
    keys = []  # type: ignore[var-annotated]
    n_pairs = len(nat_off) - 1
    # enumerate parameters
    for p in range(n_pairs):
        nat = nat_flat[nat_off[p] : nat_off[p + 1]]
        lat = lat_flat[lat_off[p] : lat_off[p + 1]]
        n = len(nat)
        m = len(lat)
        for i in range(n):
            for w in range(1, max_width + 1):
                if i + w > n:
                    break
                u = _unit_key(nat, i, w, vocab)
                for j in range(m + 1):
                    for k in range(0, max_seg + 1):
                        if j + k > m:
                            break
                        key = u * seg_space + (_seg_code(lat, j, j + k) if k > 0 else 0)
                        if key not in index:
                            index[key] = len(keys)
                            keys.append(key)
    n_par = len(keys)
    key_arr = np.empty(n_par, dtype=np.int64)
    for t in range(n_par):
        key_arr[t] = keys[t]
    unit_of = key_arr // seg_space
    # initial: uniform per unit, slight penalty for long units and empty segments
    prob = np.ones(n_par)
    for t in range(n_par):
        seg = key_arr[t] % seg_space
        if unit_of[t] >= vocab:
            prob[t] = 0.3
        if seg == 0:
            prob[t] *= 0.3
    totals = Dict.empty(key_type=types.int64, value_type=types.float64)
    for it in range(iterations):
        counts = np.zeros(n_par)
        loglik = 0.0
        for p in range(n_pairs):
            nat = nat_flat[nat_off[p] : nat_off[p + 1]]
            lat = lat_flat[lat_off[p] : lat_off[p + 1]]
            n = len(nat)
            m = len(lat)
            alpha = np.zeros((n + 1, m + 1))
            beta = np.zeros((n + 1, m + 1))
            alpha[0, 0] = 1.0
            for i in range(1, n + 1):
                for w in range(1, max_width + 1):
                    if i - w < 0:
                        break
                    u = _unit_key(nat, i - w, w, vocab)
                    for j in range(m + 1):
                        acc = 0.0
                        for k in range(0, max_seg + 1):
                            if j - k < 0:
                                break
                            a = alpha[i - w, j - k]
                            if a == 0.0:
                                continue
                            code = _seg_code(lat, j - k, j) if k > 0 else 0
                            acc += a * prob[index[u * seg_space + code]]
                        alpha[i, j] += acc
            z = alpha[n, m]
            if z <= 0.0:
                continue
            loglik += weights[p] * math.log(z)
            beta[n, m] = 1.0
            for i in range(n - 1, -1, -1):
                for w in range(1, max_width + 1):
                    if i + w > n:
                        break
                    u = _unit_key(nat, i, w, vocab)
                    for j in range(m + 1):
                        acc = 0.0
                        for k in range(0, max_seg + 1):
                            if j + k > m:
                                break
                            b = beta[i + w, j + k]
                            if b == 0.0:
                                continue
                            code = _seg_code(lat, j, j + k) if k > 0 else 0
                            t = index[u * seg_space + code]
                            pr = prob[t]
                            acc += pr * b
                            a = alpha[i, j]
                            if a > 0.0:
                                counts[t] += weights[p] * a * pr * b / z
                        beta[i, j] += acc
        # M step: normalise per unit (with a little smoothing toward the previous value)
        for key in list(totals.keys()):
            totals[key] = 0.0
        for t in range(n_par):
            u = unit_of[t]
            totals[u] = totals.get(u, 0.0) + counts[t]
        for t in range(n_par):
            tot = totals[unit_of[t]]
            prob[t] = counts[t] / tot if tot > 0 else 0.0
        # units of two characters compete with the two single ones: their mass is
        # relative to the single-character path, so scale them by how often they fire
        print("  iteration", it, "log-likelihood", loglik)
    return key_arr, prob, counts


def load_pairs(path: Path, script: str) -> list[tuple[list[str], str, int]]:
    pairs = []
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            cols = line.rstrip("\n").split("\t")
            if len(cols) < 2:
                continue
            latin = ascii_letters(cols[0])
            units = native_units("".join(cols[1].split()), script)
            count = int(cols[2]) if len(cols) > 2 and cols[2].isdigit() else 1
            if latin and units and len(latin) <= 24 and len(units) <= 20:
                pairs.append((units, latin, count))
    return pairs


def train_script(script: str, pairs: list[tuple[list[str], str, int]]) -> dict[str, object]:
    spec = SCRIPT_MODELS[script]
    max_seg, max_width = spec["max_seg"], spec["max_width"]
    seen: dict[tuple[tuple[str, ...], str], int] = {}
    for units, latin, count in pairs:
        key = (tuple(units), latin)
        seen[key] = seen.get(key, 0) + count
    vocab_chars = sorted({u for units, _ in seen for u in units})
    cid = {c: i + 1 for i, c in enumerate(vocab_chars)}
    vocab = len(vocab_chars) + 2
    nat_flat: list[int] = []
    lat_flat: list[int] = []
    nat_off = [0]
    lat_off = [0]
    weights = []
    for (unit_tuple, latin), count in seen.items():
        if len(latin) > max_seg * len(unit_tuple):
            continue
        nat_flat.extend(cid[u] for u in unit_tuple)
        lat_flat.extend(ord(ch) - 96 for ch in latin)
        nat_off.append(len(nat_flat))
        lat_off.append(len(lat_flat))
        weights.append(1.0 + 0.25 * math.log(count))
    seg_space = BASE ** (max_seg + 1)
    t0 = time.time()
    key_arr, prob, counts = _em(
        np.array(nat_flat, dtype=np.int64),
        np.array(nat_off, dtype=np.int64),
        np.array(lat_flat, dtype=np.int64),
        np.array(lat_off, dtype=np.int64),
        np.array(weights, dtype=np.float64),
        vocab,
        max_seg,
        max_width,
        seg_space,
        spec["iterations"],
    )
    print(f"  {script}: {len(weights)} pairs, {len(key_arr)} parameters, {time.time() - t0:.0f}s")
    rev = {i: c for c, i in cid.items()}
    table: dict[str, list[list[object]]] = defaultdict(list)
    expected: dict[str, list[list[object]]] = defaultdict(list)
    unit_mass: Counter[str] = Counter()
    for key, pr, cnt in zip(key_arr.tolist(), prob.tolist(), counts.tolist(), strict=True):
        u, code = divmod(key, seg_space)
        if u < vocab:
            unit = rev.get(u, "")
        else:
            a, b = divmod(u - vocab, vocab)
            unit = rev.get(a, "") + rev.get(b, "")
        if not unit:
            continue
        unit_mass[unit] += cnt
        if cnt < COUNT_FLOOR:
            continue
        seg = _seg_of(code)
        expected[unit].append([seg, round(cnt, 2)])
        if pr < 0.004 or cnt < 0.5:
            continue
        table[unit].append([seg, round(math.log(pr), 3)])
    out: dict[str, list[list[object]]] = {}
    for unit, segs in table.items():
        if len(unit) > 1 and unit_mass[unit] < 2.0:
            continue
        segs.sort(key=lambda s: -float(s[1]))  # type: ignore[arg-type]
        out[unit] = segs[:12]
    # how often a unit of two characters is used relative to its first character,
    # so the decoder can weigh the two ways of reading the same characters
    usage = {u: round(unit_mass[u], 1) for u in out}
    # expected counts of (unit, segment) pairs in the last E step, for the smoothed
    # channel probabilities of matching.translit (the tail the decoder list cuts off)
    kept = {
        unit: sorted(segs, key=lambda s: (-float(s[1]), str(s[0])))[:COUNT_TOP]  # type: ignore[arg-type]
        for unit, segs in expected.items()
    }
    mass = {unit: round(unit_mass[unit], 2) for unit in kept}
    return {
        "script": script,
        "max_seg": max_seg,
        "units": out,
        "usage": usage,
        "counts": kept,
        "mass": mass,
    }


def train_lm(all_latin: Counter[str], order: int = 4) -> dict[str, object]:
    grams: Counter[str] = Counter()
    for word, count in all_latin.items():
        w = "^" * (order - 1) + word + "$"
        weight = 1.0 + math.log(count)
        for i in range(order - 1, len(w)):
            for n in range(1, order + 1):
                grams[w[i - n + 1 : i + 1]] += weight  # type: ignore[assignment]
    ctx_tot: Counter[str] = Counter()
    for g, c in grams.items():
        ctx_tot[g[:-1]] += c
    table = {}
    for g, c in grams.items():
        if len(g) > 1 and c < 2.0:
            continue
        table[g] = round(math.log(c / ctx_tot[g[:-1]]), 3)
    return {"order": order, "logp": table}


def part_frequencies(all_latin: Counter[str]) -> dict[str, object]:
    total = sum(all_latin.values())
    keep = {w: c for w, c in all_latin.items() if c >= 3}
    return {"total": total, "types": len(all_latin), "counts": keep}


def hold_out(data: Path, split: str, out: Path, scripts: list[str], share: int = 5) -> None:
    """Split one split in two by Latin name, as train and dev are split: a Latin name
    (and every row that spells it) goes to ``check`` when its hash falls in one of
    ``share`` buckets, else to ``fit``. Deterministic; nothing random."""
    out.mkdir(parents=True, exist_ok=True)
    for script in scripts:
        fit: list[str] = []
        check: list[str] = []
        with (data / f"{script}.{split}.tsv").open(encoding="utf-8") as fh:
            for line in fh:
                latin = line.split("\t", 1)[0].strip().casefold()
                bucket = int(hashlib.sha1(latin.encode("utf-8")).hexdigest()[:8], 16) % share
                (check if bucket == 0 else fit).append(line)
        (out / f"{script}.fit.tsv").write_text("".join(fit), encoding="utf-8")
        (out / f"{script}.check.tsv").write_text("".join(check), encoding="utf-8")
        print(script, "fit", len(fit), "check", len(check))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--data", type=Path, default=ROOT.parent / "shared/data/xscript-names")
    ap.add_argument("--out", type=Path, default=ROOT / "matching/data")
    ap.add_argument("--split", default="train")
    ap.add_argument("--scripts", default=",".join(SCRIPT_MODELS))
    ap.add_argument(
        "--hold-out",
        type=Path,
        metavar="DIR",
        help="write <script>.fit.tsv and <script>.check.tsv into DIR (train split by Latin "
        "name, one fifth to check) and exit: build with --data DIR --split fit, measure "
        "with bench/xscript_names.py --data DIR --split check --tables OUT",
    )
    ap.add_argument("--graphones", action="store_true", help="also learn graphone 3-grams")
    ap.add_argument(
        "--graphones-only",
        action="store_true",
        help="learn graphone 3-grams over the tables already in --out",
    )
    ap.add_argument(
        "--channel-only",
        action="store_true",
        help="learn the context channel over the tables already in --out",
    )
    args = ap.parse_args()
    if args.hold_out is not None:
        hold_out(args.data, args.split, args.hold_out, args.scripts.split(","))
        return
    args.out.mkdir(parents=True, exist_ok=True)
    all_latin: Counter[str] = Counter()
    for script in args.scripts.split(","):
        path = args.data / f"{script}.{args.split}.tsv"
        pairs = load_pairs(path, script)
        for _, latin, count in pairs:
            all_latin[latin] += count
        print(script, len(pairs), "pairs")
        if args.channel_only:
            with gzip.open(args.out / f"translit_{script}.json.gz", "rt", encoding="utf-8") as fh:
                table = json.load(fh)
            channel = train_channel(script, pairs, table)
            with gzip.open(args.out / f"channel_{script}.json.gz", "wt", encoding="utf-8") as fh:
                json.dump(channel, fh, ensure_ascii=False, separators=(",", ":"))
            continue
        if args.graphones_only:
            with gzip.open(args.out / f"translit_{script}.json.gz", "rt", encoding="utf-8") as fh:
                table = json.load(fh)
            graph = train_graphones(
                pairs, _Model(table), min_count=GRAPHONE_MIN_COUNT.get(script, 3)
            )
            with gzip.open(args.out / f"graphone_{script}.json.gz", "wt", encoding="utf-8") as fh:
                json.dump(graph, fh, ensure_ascii=False, separators=(",", ":"))
            continue
        table = train_script(script, pairs)
        # the same model with each character marked by its place in the word
        # (initial, inside, final), interpolated with the plain one when read
        pos_pairs = [(positional_units(units), latin, count) for units, latin, count in pairs]
        pos_table = train_script(script, pos_pairs)
        table["units_pos"] = pos_table["units"]
        if args.graphones:
            graph = train_graphones(
                pairs, _Model(table), min_count=GRAPHONE_MIN_COUNT.get(script, 3)
            )
            with gzip.open(args.out / f"graphone_{script}.json.gz", "wt", encoding="utf-8") as fh:
                json.dump(graph, fh, ensure_ascii=False, separators=(",", ":"))
        with gzip.open(args.out / f"translit_{script}.json.gz", "wt", encoding="utf-8") as fh:
            json.dump(table, fh, ensure_ascii=False, separators=(",", ":"))
        channel = train_channel(script, pairs, table)
        with gzip.open(args.out / f"channel_{script}.json.gz", "wt", encoding="utf-8") as fh:
            json.dump(channel, fh, ensure_ascii=False, separators=(",", ":"))
    if (
        set(args.scripts.split(",")) == set(SCRIPT_MODELS)
        and not args.graphones_only
        and not args.channel_only
    ):
        with gzip.open(args.out / "latin_lm.json.gz", "wt", encoding="utf-8") as fh:
            json.dump(train_lm(all_latin), fh, separators=(",", ":"))
        with gzip.open(args.out / "name_freq.json.gz", "wt", encoding="utf-8") as fh:
            json.dump(part_frequencies(all_latin), fh, separators=(",", ":"))
    for f in sorted(args.out.glob("*.json.gz")):
        print(f.name, f.stat().st_size)


# ------------------------------------------------------------ graphone n-grams
# A joint model of (native unit, Latin segment) pairs in sequence: the alignment
# above, read with context on both sides, as in joint-sequence models for
# grapheme-to-phoneme conversion.

SEP = "\x1f"  # between a unit and its segment
#: n-grams (n ≥ 2) seen fewer times are dropped; syllabic scripts keep more context
GRAPHONE_MIN_COUNT = {"chinese": 2, "korean": 2}
HSEP = "\x1e"  # between the tokens of a history


def viterbi_align(units: list[str], latin: str, model: _ModelLike) -> list[tuple[str, str]] | None:
    n, m = len(units), len(latin)
    marks = ["^" if i == 0 else "$" if i == n - 1 else "" for i in range(n)]
    neg = -1e18
    best = [[neg] * (m + 1) for _ in range(n + 1)]
    back = [[0] * (m + 1) for _ in range(n + 1)]
    best[0][0] = 0.0
    for i in range(1, n + 1):
        segs = dict(model.segs(units[i - 1], marks[i - 1]))
        row, prev = best[i], best[i - 1]
        for j in range(m + 1):
            for k in range(min(model.max_seg, j) + 1):
                a = prev[j - k]
                if a <= neg:
                    continue
                seg = latin[j - k : j]
                lp = segs.get(seg)
                if lp is None:
                    lp = -9.0 if k <= 2 else -20.0
                if a + lp > row[j]:
                    row[j] = a + lp
                    back[i][j] = k
    if best[n][m] <= neg:
        return None
    out = []
    j = m
    for i in range(n, 0, -1):
        k = back[i][j]
        out.append((units[i - 1], latin[j - k : j]))
        j -= k
    out.reverse()
    return out


class _ModelLike(Protocol):
    max_seg: int

    def segs(self, unit: str, mark: str) -> tuple[tuple[str, float], ...]: ...


def train_graphones(
    pairs: list[tuple[list[str], str, int]],
    model: _ModelLike,
    order: int = 3,
    min_count: int = 3,
) -> dict[str, object]:
    grams: Counter[str] = Counter()
    seen: set[tuple[tuple[str, ...], str]] = set()
    for units, latin, _count in pairs:
        key = (tuple(units), latin)
        if key in seen:
            continue
        seen.add(key)
        aligned = viterbi_align(units, latin, model)
        if aligned is None:
            continue
        toks = ["<s>"] * (order - 1) + [u + SEP + s for u, s in aligned] + ["</s>"]
        for i in range(order - 1, len(toks)):
            for n in range(1, order + 1):
                if n > 1 and i - n + 1 < 0:
                    continue
                grams[HSEP.join(toks[i - n + 1 : i + 1])] += 1
    hist_count: Counter[str] = Counter()
    hist_types: Counter[str] = Counter()
    for g, c in grams.items():
        parts = g.split(HSEP)
        h = HSEP.join(parts[:-1])
        hist_count[h] += c
        hist_types[h] += 1
    kept = {g: c for g, c in grams.items() if g.count(HSEP) == 0 or c >= min_count}
    # a history whose continuations were all pruned backs off to the shorter one
    used = {g.rsplit(HSEP, 1)[0] for g in kept if HSEP in g} | {""}
    hists = {h: [hist_count[h], hist_types[h]] for h in hist_count if h in used}
    return {"order": order, "grams": kept, "hists": hists}


# ------------------------------------------------------------ context channel
# P(Latin segment | native unit, its left and right neighbours), the channel that
# matching.translit scores a Latin spelling with. Four levels, each smoothed toward
# the one below with a Dirichlet prior: the unit with both neighbours → the unit
# with one neighbour (the mean of left and right) → the unit alone → the segment
# alone. Trained by EM from the unigram channel above; training pairs that the
# unigram channel explains worse than chance (pointwise mutual information < 0:
# mostly a given name paired with a family name) are left out. The same
# constants are read by matching.translit from the file.

CHANNEL_PRIOR = {"beta": 1.0, "a2": 4.0, "a3": 4.0}
CHANNEL_ITERATIONS = 3
CHANNEL_CLEAN_PMI = 0.0
CHANNEL_MIN_COUNT = 0.1  # expected counts below this are not kept (masses are)
#: a context seen less often than this is left to the level below (it would weigh at
#: most 1.5 / (1.5 + 4) of its own counts): a third of the size, no loss on held-out
#: train pairs
CHANNEL_MIN_MASS = 1.5
START, END = "^", "$"  # neighbours beyond the ends of a word


@njit(cache=True)
def _ctx_prob(
    row: np.ndarray,
    cc: int,
    k: int,
    tables: tuple,  # type: ignore[type-arg]
    priors: np.ndarray,
    sp: int,
    level: int,
) -> float:
    n1, m1, n2a, m2a, n2b, m2b, n3, m3, p0 = tables
    beta, a2, a3 = priors[0], priors[1], priors[2]
    u, c2a, c2b, c3 = row[0], row[1], row[2], row[3]
    pz = p0.get(cc, -1.0)
    if pz < 0.0:
        pz = 1e-7 * 0.1 ** max(k - 1, 0)
    p1 = (n1.get(u * sp + cc, 0.0) + beta * pz) / (m1.get(u, 0.0) + beta)
    if level == 1:
        return p1  # type: ignore[no-any-return]
    p2a = (n2a.get(c2a * sp + cc, 0.0) + a2 * p1) / (m2a.get(c2a, 0.0) + a2)
    p2b = (n2b.get(c2b * sp + cc, 0.0) + a2 * p1) / (m2b.get(c2b, 0.0) + a2)
    p2 = 0.5 * (p2a + p2b)
    return (n3.get(c3 * sp + cc, 0.0) + a3 * p2) / (m3.get(c3, 0.0) + a3)  # type: ignore[no-any-return]


@njit(cache=True)
def _ctx_estep(
    ctx_flat: np.ndarray,
    ctx_off: np.ndarray,
    lat_flat: np.ndarray,
    lat_off: np.ndarray,
    weights: np.ndarray,
    tables: tuple,  # type: ignore[type-arg]
    priors: np.ndarray,
    sp: int,
    max_seg: int,
    level: int,
    out: tuple,  # type: ignore[type-arg]
    logz: np.ndarray,
) -> float:
    e1, e2a, e2b, e3 = out
    ll = 0.0
    for p in range(len(ctx_off) - 1):
        ctx = ctx_flat[ctx_off[p] : ctx_off[p + 1]]
        lt = lat_flat[lat_off[p] : lat_off[p + 1]]
        n = len(ctx)
        m = len(lt)
        pt = np.zeros((n, m + 1, max_seg + 1))
        for i in range(n):
            for j in range(m + 1):
                cc = 0
                for k in range(0, min(max_seg, m - j) + 1):
                    if k > 0:
                        cc = (cc - 1 if k > 1 else 0) * BASE + lt[j + k - 1] + 1
                    pt[i, j, k] = _ctx_prob(ctx[i], cc, k, tables, priors, sp, level)
        al = np.zeros((n + 1, m + 1))
        be = np.zeros((n + 1, m + 1))
        al[0, 0] = 1.0
        for i in range(n):
            for j in range(m + 1):
                if al[i, j] == 0.0:
                    continue
                for k in range(0, min(max_seg, m - j) + 1):
                    al[i + 1, j + k] += al[i, j] * pt[i, j, k]
        z = al[n, m]
        if z <= 0.0:
            logz[p] = -1e9
            continue
        logz[p] = math.log(z)
        if weights[p] == 0.0:
            continue
        ll += weights[p] * math.log(z)
        be[n, m] = 1.0
        for i in range(n - 1, -1, -1):
            for j in range(m + 1):
                acc = 0.0
                for k in range(0, min(max_seg, m - j) + 1):
                    acc += pt[i, j, k] * be[i + 1, j + k]
                be[i, j] = acc
        for i in range(n):
            row = ctx[i]
            for j in range(m + 1):
                if al[i, j] == 0.0:
                    continue
                cc = 0
                for k in range(0, min(max_seg, m - j) + 1):
                    if k > 0:
                        cc = (cc - 1 if k > 1 else 0) * BASE + lt[j + k - 1] + 1
                    post = weights[p] * al[i, j] * pt[i, j, k] * be[i + 1, j + k] / z
                    if post < 1e-6:
                        continue
                    e1[row[0] * sp + cc] = e1.get(row[0] * sp + cc, 0.0) + post
                    e2a[row[1] * sp + cc] = e2a.get(row[1] * sp + cc, 0.0) + post
                    e2b[row[2] * sp + cc] = e2b.get(row[2] * sp + cc, 0.0) + post
                    e3[row[3] * sp + cc] = e3.get(row[3] * sp + cc, 0.0) + post
    return ll


def _seg_of(code: int) -> str:
    seg = ""
    if code:
        code -= 1
        while code:
            code, r = divmod(code, BASE)
            seg = chr(96 + r) + seg
    return seg


def _code_of(seg: str) -> int:
    c = 0
    for ch in seg:
        c = c * BASE + ord(ch) - 96
    return c + 1 if seg else 0


def _typed() -> Dict:
    return Dict.empty(key_type=types.int64, value_type=types.float64)


def _masses(counts: Dict, sp: int) -> Dict:
    out = _typed()
    for key, v in counts.items():
        c = key // sp
        out[c] = out.get(c, 0.0) + v
    return out


def unigram_marginal(
    unit_counts: dict[str, dict[str, float]],
    unit_mass: dict[str, float],
    p0: dict[str, float],
    beta: float,
) -> tuple[dict[str, float], float]:
    """The Latin side of the unigram channel: P(segment) summed over units, and the
    share every unit gives to the generic segment distribution (kappa)."""
    tot = sum(unit_mass.values()) or 1.0
    ps: dict[str, float] = defaultdict(float)
    kappa = 0.0
    for u, m in unit_mass.items():
        if m <= 0:
            continue
        kappa += (m / tot) * beta / (m + beta)
        for s, c in unit_counts.get(u, {}).items():
            ps[s] += (m / tot) * c / (m + beta)
    return dict(ps), kappa


def train_channel(
    script: str, pairs: list[tuple[list[str], str, int]], table: dict[str, object]
) -> dict[str, object]:
    spec = SCRIPT_MODELS[script]
    max_seg = spec["max_seg"]
    sp = BASE ** (max_seg + 1)
    uid: dict[str, int] = {START: 0, END: 1}
    seen: dict[tuple[tuple[str, ...], str], int] = {}
    for units, latin, count in pairs:
        if len(latin) <= max_seg * len(units):
            key = (tuple(units), latin)
            seen[key] = seen.get(key, 0) + count
    keys = list(seen)
    for units_t, _ in keys:
        for u in units_t:
            uid.setdefault(u, len(uid))
    c2a: dict[tuple[int, int], int] = {}
    c2b: dict[tuple[int, int], int] = {}
    c3: dict[tuple[int, int, int], int] = {}
    rows: list[np.ndarray] = []
    for units_t, _ in keys:
        ids = [uid[u] for u in units_t]
        n = len(ids)
        r = []
        for i, me in enumerate(ids):
            lid = ids[i - 1] if i > 0 else 0
            rid = ids[i + 1] if i < n - 1 else 1
            r.append(
                (
                    me,
                    c2a.setdefault((lid, me), len(c2a)),
                    c2b.setdefault((me, rid), len(c2b)),
                    c3.setdefault((lid, me, rid), len(c3)),
                )
            )
        rows.append(np.array(r, dtype=np.int64).reshape(-1, 4))
    lats = [np.array([ord(ch) - 96 for ch in latin], dtype=np.int64) for _, latin in keys]
    ctx_flat = np.concatenate(rows)
    ctx_off = np.cumsum([0] + [len(x) for x in rows]).astype(np.int64)
    lat_flat = np.concatenate(lats)
    lat_off = np.cumsum([0] + [len(x) for x in lats]).astype(np.int64)
    weights = np.array([1.0 + 0.25 * math.log(seen[k]) for k in keys])
    priors = np.array([CHANNEL_PRIOR["beta"], CHANNEL_PRIOR["a2"], CHANNEL_PRIOR["a3"]])
    # start from the unigram channel's expected counts
    n1 = _typed()
    start = table["counts"]
    assert isinstance(start, dict)
    for u, segs in start.items():
        if u in uid:
            for s, c in segs:
                n1[uid[u] * sp + _code_of(str(s))] = float(c)
    p0 = _typed()
    seg_c: Counter[int] = Counter()
    for key, v in n1.items():
        seg_c[key % sp] += v
    seg_tot = sum(seg_c.values())
    for c, v in seg_c.items():
        p0[c] = v / seg_tot
    empty = (_typed(), _typed(), _typed(), _typed(), _typed(), _typed())
    tables = (n1, _masses(n1, sp), *empty, p0)
    names1 = {i: u for u, i in uid.items()}
    level = 1
    t0 = time.time()
    for it in range(CHANNEL_ITERATIONS + 1):
        out = (_typed(), _typed(), _typed(), _typed())
        logz = np.zeros(len(keys))
        ll = _ctx_estep(
            ctx_flat, ctx_off, lat_flat, lat_off, weights, tables, priors, sp, max_seg, level,
            out, logz,
        )  # fmt: skip
        if it == 0:
            # leave out the pairs the unigram channel explains worse than chance
            uni: dict[str, dict[str, float]] = defaultdict(dict)
            for key, v in n1.items():
                uni[names1[key // sp]][_seg_of(key % sp)] = v
            mass1 = {names1[c]: v for c, v in tables[1].items()}
            p0s = {_seg_of(c): v for c, v in p0.items()}
            ps, kappa = unigram_marginal(uni, mass1, p0s, CHANNEL_PRIOR["beta"])
            dropped = 0
            for p, (_, latin) in enumerate(keys):
                pmi = logz[p] - _marginal_logp(latin, ps, kappa, p0s, max_seg)
                if pmi < CHANNEL_CLEAN_PMI:
                    weights[p] = 0.0
                    dropped += 1
            print(f"  {script} channel: {dropped} of {len(keys)} pairs left out (PMI < 0)")
            out = (_typed(), _typed(), _typed(), _typed())
            ll = _ctx_estep(
                ctx_flat, ctx_off, lat_flat, lat_off, weights, tables, priors, sp, max_seg,
                level, out, logz,
            )  # fmt: skip
        e1, e2a, e2b, e3 = out
        tables = (
            e1, _masses(e1, sp), e2a, _masses(e2a, sp), e2b, _masses(e2b, sp),
            e3, _masses(e3, sp), p0,
        )  # fmt: skip
        level = 3
        print(
            f"  {script} channel iteration {it}: log-likelihood {ll:.0f}, {time.time() - t0:.0f}s"
        )

    def dump(
        counts: Dict,
        names: dict[int, str],
        min_mass: float,
    ) -> tuple[dict[str, dict[str, float]], dict[str, float]]:
        masses: dict[str, float] = defaultdict(float)
        for key, v in counts.items():
            masses[names[key // sp]] += v
        grouped: dict[str, dict[str, float]] = defaultdict(dict)
        for key, v in counts.items():
            c, code = divmod(key, sp)
            name = names[c]
            if v >= CHANNEL_MIN_COUNT and masses[name] >= min_mass:
                grouped[name][_seg_of(code)] = round(v, 2)
        return dict(grouped), {k: round(v, 2) for k, v in masses.items() if v >= min_mass}

    rev = names1
    names2a = {i: rev[lu] + SEP + rev[u] for (lu, u), i in c2a.items()}
    names2b = {i: rev[u] + SEP + rev[r] for (u, r), i in c2b.items()}
    names3 = {i: rev[lu] + SEP + rev[u] + SEP + rev[r] for (lu, u, r), i in c3.items()}
    e1, _m1, e2a, _m2a, e2b, _m2b, e3, _m3, _ = tables
    unit, unit_mass = dump(e1, names1, 0.0)
    left_counts, left_mass = dump(e2a, names2a, CHANNEL_MIN_MASS)
    right_counts, right_mass = dump(e2b, names2b, CHANNEL_MIN_MASS)
    both, both_mass = dump(e3, names3, CHANNEL_MIN_MASS)
    return {
        "script": script,
        "max_seg": max_seg,
        **CHANNEL_PRIOR,
        "segments": {_seg_of(c): round(v, 6) for c, v in p0.items()},
        "unit": unit,
        "unit_mass": unit_mass,
        "left": left_counts,
        "left_mass": left_mass,
        "right": right_counts,
        "right_mass": right_mass,
        "both": both,
        "both_mass": both_mass,
    }


def _marginal_logp(
    latin: str, ps: dict[str, float], kappa: float, p0: dict[str, float], max_seg: int
) -> float:
    def p(seg: str) -> float:
        base = p0.get(seg)
        if base is None:
            base = 1e-7 * 0.1 ** max(len(seg) - 1, 0)
        return ps.get(seg, 0.0) + kappa * base

    g = 1.0 / (1.0 - p(""))
    m = len(latin)
    a = [0.0] * (m + 1)
    a[0] = g
    for j in range(1, m + 1):
        a[j] = g * sum(a[j - k] * p(latin[j - k : j]) for k in range(1, min(max_seg, j) + 1))
    return math.log(a[m]) if a[m] > 0 else -1e9


if __name__ == "__main__":
    main()

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
        if pr < 0.004 or cnt < 0.5:
            continue
        seg = ""
        if code:
            code -= 1
            while code:
                code, r = divmod(code, BASE)
                seg = chr(96 + r) + seg
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
    return {"script": script, "max_seg": max_seg, "units": out, "usage": usage}


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


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--data", type=Path, default=ROOT.parent / "shared/data/xscript-names")
    ap.add_argument("--out", type=Path, default=ROOT / "matching/data")
    ap.add_argument("--split", default="train")
    ap.add_argument("--scripts", default=",".join(SCRIPT_MODELS))
    ap.add_argument("--graphones", action="store_true", help="also learn graphone 3-grams")
    ap.add_argument(
        "--graphones-only",
        action="store_true",
        help="learn graphone 3-grams over the tables already in --out",
    )
    args = ap.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    all_latin: Counter[str] = Counter()
    for script in args.scripts.split(","):
        path = args.data / f"{script}.{args.split}.tsv"
        pairs = load_pairs(path, script)
        for _, latin, count in pairs:
            all_latin[latin] += count
        print(script, len(pairs), "pairs")
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
        table["units_pos"] = train_script(script, pos_pairs)["units"]
        if args.graphones:
            graph = train_graphones(
                pairs, _Model(table), min_count=GRAPHONE_MIN_COUNT.get(script, 3)
            )
            with gzip.open(args.out / f"graphone_{script}.json.gz", "wt", encoding="utf-8") as fh:
                json.dump(graph, fh, ensure_ascii=False, separators=(",", ":"))
        with gzip.open(args.out / f"translit_{script}.json.gz", "wt", encoding="utf-8") as fh:
            json.dump(table, fh, ensure_ascii=False, separators=(",", ":"))
    if set(args.scripts.split(",")) == set(SCRIPT_MODELS) and not args.graphones_only:
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


if __name__ == "__main__":
    main()

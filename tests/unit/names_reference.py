"""The name comparison as first written: a straightforward reference for the fast path.

:mod:`matching.names` compares names with memos, bounds that skip forms which cannot
matter, and matrices in C; this module is the plain loop over every part and form
that it replaced (``bench/``'s accuracy figures were measured with it). The tests in
``test_names_fast_path.py`` check that both give the same level, explanation,
similarity and rarity. It reads the precomputed name sets of :mod:`matching.names`
and nothing else of its comparison code.
"""

from __future__ import annotations

from dataclasses import dataclass

from rapidfuzz import process
from rapidfuzz.distance import OSA, JaroWinkler

from matching.comparison import Comparison
from matching.names import LEVELS, NameSet, _Part, _Reading, unread_said
from matching.translit import (
    SOUND_FOLD_COST,
    channel_pmi,
    channel_similarity,
    pmi_similarity,
    sound_fold,
)

_COST_WEIGHT = 0.025


def _form_sim(a: str, b: str) -> float:
    if a == b:
        return 1.0
    if len(a) == 1 or len(b) == 1:
        return 0.0
    jw = JaroWinkler.similarity(a, b)
    if jw < 0.5:
        return jw  # far apart either way: spare the edit distance
    return 0.5 * (OSA.normalized_similarity(a, b) + jw)


def _part_sim(q: _Part, c: _Part) -> tuple[float, int, int]:
    """Best similarity of two parts over their forms, less the rendering cost."""
    if q.simple and c.simple:  # the common case, kept short
        x, y = q.forms[0], c.forms[0]
        s = _form_sim(x, y)
        if s < _SKELETON_SIM and x[0] == y[0] and len(q.skels[0]) >= 3 and q.skels[0] == c.skels[0]:
            s = _SKELETON_SIM
        return s - _COST_WEIGHT * (q.costs[0] + c.costs[0]), 0, 0
    best = -1.0
    bi = bj = 0
    qf, qc, cf, cc = q.forms, q.costs, c.forms, c.costs
    # initials: "J" against "John"
    if len(qf[0]) == 1 or len(cf[0]) == 1:
        if qf[0][0] == cf[0][0]:
            return _INITIAL_SIM, 0, 0
        return 0.0, 0, 0
    qs, cs = q.skels, c.skels
    # vowel-tolerant: "Ahmad"/"Ahmed", "Mohammed"/"Muhamad" (native readings already
    # carry their vowel variants in the n-best list)
    both_latin = not q.native and not c.native
    if both_latin and len(qf) == 1 and len(cf) == 1:  # the common case, kept short
        s = _form_sim(qf[0], cf[0])
        if s < _SKELETON_SIM and len(qs[0]) >= 3 and qs[0] == cs[0] and qf[0][0] == cf[0][0]:
            s = _SKELETON_SIM
        return s - _COST_WEIGHT * (qc[0] + cc[0]), 0, 0
    if len(qf) * len(cf) > 6:
        # many readings: let rapidfuzz pick the few nearest of the longer list in C
        swap = (len(cf), cf) < (len(qf), qf)  # iterate the shorter list, either way round
        outer, inner = (cf, qf) if swap else (qf, cf)
        oc, ic = (cc, qc) if swap else (qc, cc)
        for a, fa in enumerate(outer):
            for fb, _score, b in process.extract(
                fa, inner, scorer=JaroWinkler.similarity, limit=_NEAREST
            ):
                s = _form_sim(fa, fb) - _COST_WEIGHT * (oc[a] + ic[b])
                if s > best:
                    best, bi, bj = (s, b, a) if swap else (s, a, b)
    else:
        for j, fc in enumerate(cf):
            for i, fq in enumerate(qf):
                penalty = _COST_WEIGHT * (qc[i] + cc[j])
                if 1.0 - penalty <= best:
                    continue
                s = _form_sim(fq, fc)
                if (
                    s < _SKELETON_SIM
                    and both_latin
                    and len(qs[i]) >= 3
                    and qs[i] == cs[j]
                    and fq[0] == fc[0]
                ):
                    s = _SKELETON_SIM
                s -= penalty
                if s > best:
                    best, bi, bj = s, i, j
    if best >= _CHANNEL_GATE and q.native != c.native and (q.channel or c.channel):
        # how much likelier the learned channel makes the Latin spelling than chance
        # ranks far better than string similarity to a few readings
        # (bench/xscript_names.py); mapped so that the level thresholds keep their meaning
        # and how much likelier it makes the spelling's sounds (less what guessing them
        # costs), when a different spelling would sound the same
        nat, lat = (q, c) if q.native else (c, q)
        pmi = channel_pmi(nat.text, lat.forms[0])
        sounds = sound_fold(lat.forms[0])
        if sounds:
            pmi = max(pmi, channel_pmi(nat.text, sounds) - SOUND_FOLD_COST)
        best = channel_similarity(nat.text, pmi, best)
    return best, bi, bj


_CHANNEL_GATE = 0.6
_NEAREST = 4  # readings of a part looked at closely, by Jaro–Winkler


_Aligned = tuple[float, int, int, int, int]  # similarity, part i, part j, form i, form j


@dataclass(frozen=True, slots=True)
class _Match:
    level: str
    similarity: float
    bits: float
    q: _Reading
    c: _Reading
    matched: tuple[_Aligned, ...]

    def detail(self) -> str:
        if not self.matched:
            return "No part agrees"
        return _describe(
            self.level, self.q, self.c, list(self.matched), len(self.q.parts), len(self.c.parts)
        )


_INITIAL_SIM = 0.8
_SKELETON_SIM = 0.86
_EXACT_T = 0.999
_STRONG_T = 0.86
_CLOSE_T = 0.78
_WEAK_T = 0.70


def _compare_readings(q: _Reading, c: _Reading) -> _Match:
    pairs = []
    top = -1.0
    for i, qp in enumerate(q.parts):
        for j, cp in enumerate(c.parts):
            s, fi, fj = _part_sim(qp, cp)
            pairs.append((s, i, j, fi, fj))
            if s > top:
                top = s
    if top < _WEAK_T:
        return _Match("different", 0.0, 0.0, q, c, ())
    pairs.sort(key=lambda t: (-t[0], t[1], t[2]))
    used_q: set[int] = set()
    used_c: set[int] = set()
    matched: list[tuple[float, int, int, int, int]] = []
    for s, i, j, fi, fj in pairs:
        if i in used_q or j in used_c or s < _WEAK_T:
            continue
        used_q.add(i)
        used_c.add(j)
        matched.append((s, i, j, fi, fj))
    nq, nc = len(q.parts), len(c.parts)
    shorter = min(nq, nc)
    good = [m for m in matched if m[0] >= _STRONG_T]
    fair = [m for m in matched if m[0] >= _CLOSE_T]

    # weights: longer parts carry more evidence, extra parts weigh little
    def plen(m: _Aligned) -> float:
        n = len(q.parts[m[1]].forms[m[3]]) + len(c.parts[m[2]].forms[m[4]])
        return float(min(n, 24) + 4)

    total_w = sum(plen(m) for m in matched) or 1.0
    mean_sim = sum(m[0] * plen(m) for m in matched) / total_w if matched else 0.0
    coverage = len(fair) / shorter if shorter else 0.0
    extra = (nq + nc - 2 * len(fair)) / max(nq + nc, 1)
    similarity = max(0.0, min(1.0, mean_sim * (0.75 + 0.25 * coverage) - 0.08 * extra))
    bits = sum(min(q.parts[m[1]].bits, c.parts[m[2]].bits) for m in fair)
    exact_forms = all(m[0] >= 1.0 - 1e-9 for m in matched)
    native = any(q.parts[m[1]].native or c.parts[m[2]].native for m in matched)
    rendered = any(
        q.parts[m[1]].costs[m[3]] > 0
        or c.parts[m[2]].costs[m[4]] > 0
        or q.parts[m[1]].labels[m[3]] != "Latin"
        or c.parts[m[2]].labels[m[4]] != "Latin"
        for m in matched
    )
    if shorter == 1 and max(nq, nc) > 1:
        shorter = 2  # one name against several: at best a partial match
    if len(fair) == shorter and shorter and len(good) == shorter:
        # across scripts, every accepted reading that agrees closely is a
        # transliteration; the similarity (less the reading's cost) ranks them
        if exact_forms and not native and not rendered and nq == nc:
            level = "exact"
        elif native or rendered:
            level = "transliteration"
        else:
            level = "strong"
    elif len(fair) == shorter and shorter:
        level = "close"
    elif good and max(len(q.parts[m[1]].forms[m[3]]) for m in good) >= 3:
        level = "partial"
    elif matched:
        level = "weak"
    else:
        level = "different"
    if level in ("close", "partial") and all(
        len(q.parts[m[1]].forms[0]) == 1 or len(c.parts[m[2]].forms[0]) == 1 for m in fair
    ):
        level = "weak"  # initials alone say little
    return _Match(level, round(similarity, 6), round(bits, 3), q, c, tuple(matched))


def _describe(
    level: str,
    q: _Reading,
    c: _Reading,
    matched: list[tuple[float, int, int, int, int]],
    nq: int,
    nc: int,
) -> str:
    how: list[str] = []
    for sim, i, j, fi, fj in matched:
        qp, cp = q.parts[i], c.parts[j]
        if qp.labels[fi] != "Latin" or qp.native:
            how.append(f"{qp.text} → {qp.forms[fi]} ({qp.labels[fi]})")
        if cp.labels[fj] != "Latin" or cp.native:
            how.append(f"{cp.text} → {cp.forms[fj]} ({cp.labels[fj]})")
        nat, lat = (qp, cp) if qp.native else (cp, qp)
        sounds = sound_fold(lat.forms[0])
        if nat.native and not lat.native and nat.channel and sounds:
            spelling = channel_pmi(nat.text, lat.forms[0])
            by_sound = channel_pmi(nat.text, sounds) - SOUND_FOLD_COST
            if by_sound > spelling and pmi_similarity(by_sound) >= sim:
                how.append(f"{lat.text} sounds like {sounds}, a likely spelling of {nat.text}")
    note = q.note or c.note
    head = "; ".join(dict.fromkeys([*([note] if note else []), *how]))
    tail = {
        "exact": "all parts agree",
        "transliteration": "all parts agree across scripts",
        "strong": "all parts agree closely",
        "close": "all parts agree, some only roughly or by initial",
        "partial": f"{len(matched)} of {max(nq, nc)} parts agree",
        "weak": "only a rough resemblance",
        "different": "no part agrees",
    }[level]
    if level in ("exact", "transliteration", "strong") and nq != nc:
        tail += f" (the other name has {abs(nq - nc)} more part{'s' if abs(nq - nc) > 1 else ''})"
    return f"{head}; {tail}" if head else tail[:1].upper() + tail[1:]


_RANK = {lvl: i for i, lvl in enumerate(LEVELS)}


def _best(query: NameSet, candidate: NameSet) -> _Match | None:
    best: _Match | None = None
    for q in query.readings:
        for c in candidate.readings:
            m = _compare_readings(q, c)
            if best is None or (_RANK[m.level], -m.similarity) < (
                _RANK[best.level],
                -best.similarity,
            ):
                best = m
    return best


def reference_compare(query: NameSet, candidate: NameSet) -> tuple[Comparison, float]:
    """:func:`compare_names` and :func:`name_rarity` in one pass."""
    if not query or not candidate:
        q = query.originals[0] if query.originals else None
        c = candidate.originals[0] if candidate.originals else None
        return Comparison("name", "missing", q, c, "No usable name on one side", 0.0), 0.0
    shared = query.exact_keys & candidate.exact_keys
    if shared:
        key = min(shared)
        qr = next(r for r in query.readings if r.exact_key == key)
        cr = next(r for r in candidate.readings if r.exact_key == key)
        bits = min(sum(p.bits for p in cr.parts), sum(p.bits for p in qr.parts))
        return (
            Comparison("name", "exact", qr.original, cr.original, "All parts agree", 1.0),
            round(bits, 3),
        )
    m = _best(query, candidate)
    assert m is not None
    level, detail = unread_said(m.level, m.detail(), m.q, m.c)
    return (
        Comparison("name", level, m.q.original, m.c.original, detail, m.similarity),
        m.bits if level not in ("weak", "different", "missing") else 0.0,
    )

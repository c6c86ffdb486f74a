"""Calibrate the face configuration and write ``matching/data/faces-<version>.json``.

From the labelled photos (``--data``, layout as in ``bench/faces.py``):

- **Distance thresholds**, on every same- and different-identity pair:
  ``strong`` is the largest 0.01 step at least ``--margin`` (0.05) below the closest
  different-identity pair (no observed false match, with room to spare); ``close``
  the largest step with a false-match rate of at most 0.1 %; ``far`` at most 1 %;
  ``different`` is everything above.
- **m/u per level**: ``m`` the share of same-identity pairs in the level, ``u`` the
  share of different-identity pairs, each with +0.5 smoothing; for ``strong`` and
  ``close``, ``u`` is the one-sided 95 % upper bound (Clopper–Pearson) because a
  few thousand pairs cannot measure a rate near zero: the weight is a floor.
- **Weight cap** (``max_weight``): read from ``algorithm-<version>.json`` — the face
  may add at most what keeps a pair with no name, date or document support (every
  other feature agreeing at its best level) 0.5 bit below the ``strong`` band.
- **Quality limits**: every labelled photo must pass; each lower limit sits at
  ``--quality-margin`` (0.8) of the worst labelled photo's value, each upper limit
  that far beyond it. Degraded copies of every photo (blurred, darkened, washed out,
  shrunk, tilted) are measured and the share each limit refuses is printed and stored.

Usage: ``python bench/calibrate_faces.py [--data DIR] [--version 1.0] [--write]``
(without ``--write`` it prints the configuration only).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import statistics
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from PIL import Image, ImageFilter

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.faces import DEFAULT_DATA, analyse, pair_distances, pin_one_core, read_labels  # noqa: E402
from matching import faces  # noqa: E402

LEVELS = ("strong", "close", "far", "different")
DETECT_MAX_SIDE = 800
BACKGROUND_FACE_RATIO = 0.5


def binomial_upper(k: int, n: int, confidence: float = 0.95) -> float:
    """One-sided Clopper–Pearson upper bound of a rate observed ``k`` times in ``n``.

    >>> round(binomial_upper(0, 1000), 5)
    0.00299
    """

    def cdf(p: float) -> float:
        if p <= 0.0:
            return 1.0
        if p >= 1.0:
            return 0.0 if k < n else 1.0
        return sum(
            math.exp(
                math.lgamma(n + 1)
                - math.lgamma(i + 1)
                - math.lgamma(n - i + 1)
                + i * math.log(p)
                + (n - i) * math.log1p(-p)
            )
            for i in range(k + 1)
        )

    lo, hi = k / n, 1.0
    for _ in range(100):
        mid = (lo + hi) / 2
        if cdf(mid) > 1 - confidence:
            lo = mid
        else:
            hi = mid
    return hi


def step_at_or_below(value: float) -> float:
    """The largest 0.01 step not above ``value``.

    >>> step_at_or_below(0.5249)
    0.52
    """
    return math.floor(value * 100 + 1e-9) / 100


def thresholds_from(diff: npt.NDArray[np.float64], margin: float) -> dict[str, float]:
    """Distance thresholds from the different-identity distances: a match is
    ``distance < threshold``, so a threshold at or below the (k+1)-th smallest
    different-pair distance lets at most k of them through."""
    ordered = np.sort(diff)
    strong = step_at_or_below(float(ordered[0]) - margin)

    def at_fmr(rate: float) -> float:
        allowed = math.floor(rate * len(ordered))
        return step_at_or_below(float(ordered[allowed]))

    close = max(at_fmr(0.001), strong + 0.01)
    far = max(at_fmr(0.01), close + 0.01)
    return {"strong": round(strong, 2), "close": round(close, 2), "far": round(far, 2)}


def level_counts(values: npt.NDArray[np.float64], cuts: dict[str, float]) -> dict[str, int]:
    counts: dict[str, int] = {}
    lower = -math.inf
    for level in LEVELS:
        upper = cuts.get(level, math.inf)
        counts[level] = int(np.sum((values >= lower) & (values < upper)))
        lower = upper
    return counts


def weight_cap(algorithm_version: str) -> tuple[float, str]:
    path = ROOT / "matching" / "data" / f"algorithm-{algorithm_version}.json"
    config = json.loads(path.read_text("utf-8"))
    lam = float(config["prior"]["lambda"])
    prior = math.log2(lam / (1 - lam))
    strong_band = float(config["bands"]["strong"])
    soft = 0.0
    names = []
    for feature in config["features"]:
        if feature["feature"] in ("name", "birth_date", "document", "face"):
            continue
        best = max(
            math.log2(float(v["m"]) / float(v["u"]))
            for k, v in feature["levels"].items()
            if k != "missing" and float(v["u"]) > 0
        )
        soft += max(0.0, best)
        names.append(feature["feature"])
    cap = strong_band - prior - soft - 0.5
    why = (
        f"algorithm-{algorithm_version}: strong band {strong_band} − prior {prior:.2f} − "
        f"best weights of {', '.join(names)} ({soft:.2f}) − 0.5 margin: a face with only "
        "those agreeing stays below 'strong'; names, a date or a document must add the rest"
    )
    return round(cap, 2), why


# ------------------------------------------------------------------ quality


Degrade = Callable[[npt.NDArray[np.uint8], faces.FaceBox, float], npt.NDArray[np.uint8]]


def blur(sigma_iod: float) -> Degrade:
    def run(img: npt.NDArray[np.uint8], box: faces.FaceBox, iod: float) -> npt.NDArray[np.uint8]:
        radius = sigma_iod * iod
        im = Image.fromarray(img).filter(ImageFilter.GaussianBlur(radius))
        return np.asarray(im, dtype=np.uint8)

    return run


def scale_light(factor: float, offset: float = 0.0) -> Degrade:
    def run(img: npt.NDArray[np.uint8], box: faces.FaceBox, iod: float) -> npt.NDArray[np.uint8]:
        out = np.clip(img.astype(np.float64) * factor + offset, 0, 255)
        return out.astype(np.uint8)

    return run


def shrink(target_iod: float) -> Degrade:
    def run(img: npt.NDArray[np.uint8], box: faces.FaceBox, iod: float) -> npt.NDArray[np.uint8]:
        scale = target_iod / iod
        h, w = img.shape[:2]
        im = Image.fromarray(img).resize(
            (max(1, round(w * scale)), max(1, round(h * scale))), Image.Resampling.LANCZOS
        )
        return np.asarray(im, dtype=np.uint8)

    return run


def rotate(degrees: float) -> Degrade:
    def run(img: npt.NDArray[np.uint8], box: faces.FaceBox, iod: float) -> npt.NDArray[np.uint8]:
        im = Image.fromarray(img).rotate(
            degrees, resample=Image.Resampling.BILINEAR, expand=True, fillcolor=(128, 128, 128)
        )
        return np.asarray(im, dtype=np.uint8)

    return run


DEGRADATIONS: dict[str, tuple[Degrade, str]] = {
    "blur σ=0.02·IOD": (blur(0.02), "image_too_blurred"),
    "blur σ=0.05·IOD": (blur(0.05), "image_too_blurred"),
    "blur σ=0.10·IOD": (blur(0.10), "image_too_blurred"),
    "blur σ=0.20·IOD": (blur(0.20), "image_too_blurred"),
    "dark ×0.35": (scale_light(0.35), "image_too_dark"),
    "dark ×0.20": (scale_light(0.20), "image_too_dark"),
    "washed out ×0.5+150": (scale_light(0.5, 150), "image_overexposed"),
    "overexposed ×2.2": (scale_light(2.2), "image_overexposed"),
    "shrunk to IOD 30 px": (shrink(30), "face_too_small"),
    "shrunk to IOD 20 px": (shrink(20), "face_too_small"),
    "tilted 30°": (rotate(30), "face_not_frontal"),
}


def quality_limits(good: Sequence[dict[str, float]], margin: float) -> dict[str, float]:
    def worst(key: str, *, low: bool, absolute: bool = False) -> float:
        values = [abs(m[key]) if absolute else m[key] for m in good]
        return min(values) if low else max(values)

    upper = 1 / margin
    return {
        "detect_max_side": DETECT_MAX_SIDE,
        "background_face_ratio": BACKGROUND_FACE_RATIO,
        "min_face_px": round(worst("interocular_px", low=True) * margin, 1),
        "min_sharpness": round(worst("sharpness", low=True) * margin, 4),
        "min_brightness": round(worst("brightness", low=True) * margin, 1),
        # Upper brightness: the same margin, measured down from white.
        "max_brightness": round(255 - (255 - worst("brightness", low=False)) * margin, 1),
        "max_clipped": round(min(0.9, worst("clipped", low=False) * upper), 3),
        "max_yaw_deg": round(worst("yaw_deg", low=False, absolute=True) * upper, 1),
        "max_roll_deg": round(worst("roll_deg", low=False, absolute=True) * upper, 1),
    }


def degraded_report(
    labels: Sequence[tuple[Path, str]], limits: dict[str, float]
) -> dict[str, dict[str, Any]]:
    thresholds = faces.QualityThresholds(
        **{k: float(v) for k, v in limits.items() if k != "detect_max_side"},
        detect_max_side=int(limits["detect_max_side"]),
    )
    out: dict[str, dict[str, Any]] = {}
    bases = []
    for path, _ in labels:
        img = faces.decode_image(path.read_bytes())
        report = faces.assess_quality(img, thresholds=thresholds)
        assert report.face is not None
        bases.append(
            (img, report.face, report.measures["interocular_px"], faces.embed(img, report.face))
        )
    for name, (degrade, code) in DEGRADATIONS.items():
        codes: dict[str, int] = {}
        drift: list[float] = []
        for img, box, iod, vector in bases:
            worse = degrade(img, box, iod)
            report = faces.assess_quality(worse, thresholds=thresholds)
            got = report.code or "accepted"
            codes[got] = codes.get(got, 0) + 1
            if report.face is not None:
                drift.append(faces.face_distance(vector, faces.embed(worse, report.face)))
        refused = sum(v for k, v in codes.items() if k != "accepted")
        out[name] = {
            "expected": code,
            "refused": round(refused / len(bases), 3),
            "refused_with_expected_code": round(codes.get(code, 0) / len(bases), 3),
            "codes": dict(sorted(codes.items())),
            "embedding_moved_median": round(statistics.median(drift), 3) if drift else None,
        }
        moved = f"; embedding moved by {statistics.median(drift):.3f} (median)" if drift else ""
        print(f"  {name:<22} refused {refused}/{len(bases)}: {dict(sorted(codes.items()))}{moved}")
    return out


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--version", default=faces.FACE_CONFIG_VERSION)
    parser.add_argument("--algorithm", default="1.0", help="algorithm config for the weight cap")
    parser.add_argument("--margin", type=float, default=0.05)
    parser.add_argument("--quality-margin", type=float, default=0.8)
    parser.add_argument("--skip-degraded", action="store_true")
    parser.add_argument("--write", action="store_true")
    args = parser.parse_args(argv)
    pin_one_core()
    labels = read_labels(args.data)
    photos = [analyse(path, identity) for path, identity in labels]
    if any(p.embedding is None for p in photos):
        raise SystemExit("a labelled photo has no detected face; fix the data first")
    same, diff = pair_distances(photos)
    cuts = thresholds_from(diff, args.margin)
    n_same, n_diff = len(same), len(diff)
    same_counts = level_counts(same, cuts)
    diff_counts = level_counts(diff, cuts)
    levels: dict[str, dict[str, Any]] = {}
    for level in LEVELS:
        ks, kd = same_counts[level], diff_counts[level]
        m = (ks + 0.5) / (n_same + 0.5 * len(LEVELS))
        u = (kd + 0.5) / (n_diff + 0.5 * len(LEVELS))
        if level in ("strong", "close"):
            u = max(u, binomial_upper(kd, n_diff))
        levels[level] = {
            "m": round(m, 6),
            "u": round(u, 6),
            "weight": round(math.log2(m / u), 3),
            "n_match": ks,
            "n_random": kd,
        }
    levels["missing"] = {"m": 1.0, "u": 1.0, "weight": 0.0, "n_match": 0, "n_random": 0}
    cap, cap_why = weight_cap(args.algorithm)
    rates = {}
    for level, t in cuts.items():
        rates[level] = {
            "threshold": t,
            "fnmr": round(float(np.mean(same >= t)), 5),
            "fmr": round(float(np.mean(diff < t)), 5),
        }
    print(f"thresholds {cuts}; rates {rates}")
    print(f"levels {json.dumps(levels)}")
    print(f"weight cap {cap}: {cap_why}")

    good = [dict(p.measures) for p in photos]
    limits = quality_limits(good, args.quality_margin)
    print(f"quality limits {limits}")
    spread = {
        k: {
            "min": round(min(m[k] for m in good), 4),
            "median": round(statistics.median(m[k] for m in good), 4),
            "max": round(max(m[k] for m in good), 4),
        }
        for k in good[0]
    }
    degraded: dict[str, dict[str, Any]] = {}
    if not args.skip_degraded:
        print("degraded copies of every labelled photo:")
        degraded = degraded_report(labels, limits)

    config = {
        "version": args.version,
        "description": (
            "Face comparison and quality gate for Tessera. Embeddings: dlib ResNet "
            "(dlib_face_recognition_resnet_model_v1, as face_recognition 1.3.0: 5-point "
            "alignment, no jitter), 128-d; distance: Euclidean; a level holds the distances "
            "below its threshold and at or above the previous one."
        ),
        "calibrated_by": "bench/calibrate_faces.py",
        "calibrated_on": dt.date.today().isoformat(),
        "data": {
            "photos": len(photos),
            "identities": len({p.identity for p in photos}),
            "same_pairs": n_same,
            "diff_pairs": n_diff,
            "source": "shared/data/faces (labels.csv): press and publicity photos, frontal, "
            "good light, mostly light-skinned adults; a false-match rate below about 1 in "
            f"{n_diff} cannot be resolved",
        },
        "detector": "hog",
        "detector_why": (
            "HOG finds every labelled face at about 0.3 s per photo on one core; the CNN "
            "(mmod) detector takes 4-27 s per photo on one core for no accuracy gain here "
            "(bench/faces.py)"
        ),
        "feature": {
            "feature": "face",
            "source": f"estimated: {n_same} same-identity and {n_diff} different-identity "
            "pairs of the labelled photos",
            "order": [*LEVELS, "missing"],
            "thresholds": cuts,
            "threshold_rules": {
                "strong": f"largest 0.01 step {args.margin} below the closest different pair",
                "close": "largest 0.01 step with a false-match rate ≤ 0.1 %",
                "far": "largest 0.01 step with a false-match rate ≤ 1 %",
            },
            "levels": levels,
            "u_rule": "strong/close: one-sided 95 % Clopper–Pearson upper bound of the "
            "observed rate (a floor for the weight); others: +0.5 smoothing",
            "max_weight": cap,
            "max_weight_why": cap_why,
            "rates": rates,
        },
        "quality": limits,
        "quality_rules": (
            f"every labelled photo passes: lower limits at {args.quality_margin} of the worst "
            f"labelled value, upper limits at 1/{args.quality_margin} of it"
        ),
        "quality_measured": spread,
        "quality_degraded": degraded,
    }
    text = json.dumps(config, indent=2, ensure_ascii=False) + "\n"
    if args.write:
        out = ROOT / "matching" / "data" / f"faces-{args.version}.json"
        out.write_text(text, encoding="utf-8")
        print(f"wrote {out.relative_to(ROOT)}")
    else:
        print(text)


if __name__ == "__main__":
    main()

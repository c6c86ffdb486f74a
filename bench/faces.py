"""Face matching accuracy and speed on a folder of labelled photos.

For every photo: decode, detect (timed), quality-measure, embed (timed). Then every
same-identity and different-identity pair: distance percentiles, false non-match and
false match rates at each level threshold of the face configuration, rank-1
identification (each photo queries all the others), and time per photo on one core.
The HOG detector runs on every photo; the CNN detector on ``--cnn-limit`` of them
(seconds per photo on a CPU) for the detector comparison.

The last line printed is one JSON object, at the ``strong`` threshold::

    {"photos": n, "same_pairs": n, "diff_pairs": n, "threshold": t, "fnmr": x,
     "fmr": y, "rank1": r, "detect_s_p50": s, "encode_s_p50": s}

Usage: ``python bench/faces.py [--data DIR] [--cnn-limit 12]``. ``DIR`` holds
``labels.csv`` (``file,identity,...``) and the files it names; by default the shared
set at ``../shared/data/faces`` beside the repository.
"""

from __future__ import annotations

import argparse
import csv
import itertools
import json
import os
import statistics
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from matching import faces  # noqa: E402

DEFAULT_DATA = ROOT.parent / "shared" / "data" / "faces"


@dataclass(frozen=True)
class Photo:
    file: str
    identity: str
    faces_found: int
    box: faces.FaceBox | None
    measures: dict[str, float]
    embedding: npt.NDArray[np.float64] | None
    detect_s: float
    encode_s: float


def pin_one_core() -> None:
    """Time on one core, as a worker process would run."""
    if hasattr(os, "sched_setaffinity"):
        cpus = sorted(os.sched_getaffinity(0))
        os.sched_setaffinity(0, {cpus[0]})


def read_labels(data: Path) -> list[tuple[Path, str]]:
    with (data / "labels.csv").open(newline="", encoding="utf-8") as f:
        return [(data / row["file"], row["identity"]) for row in csv.DictReader(f)]


def analyse(path: Path, identity: str, *, detector: faces.Detector = "hog") -> Photo:
    """Detect, measure and embed the photo's single (largest) face."""
    image = faces.decode_image(path.read_bytes())
    start = time.perf_counter()
    found = faces.detect_faces(image, detector=detector)
    detect_s = time.perf_counter() - start
    if not found:
        return Photo(path.name, identity, 0, None, {}, None, detect_s, 0.0)
    box = max(found, key=lambda b: b.width * b.height)
    measures = faces.measure_face(image, box)
    start = time.perf_counter()
    vector = faces.embed(image, box)
    encode_s = time.perf_counter() - start
    return Photo(path.name, identity, len(found), box, measures, vector, detect_s, encode_s)


def pair_distances(
    photos: Sequence[Photo],
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Distances of every same-identity pair and every different-identity pair."""
    same: list[float] = []
    diff: list[float] = []
    usable = [p for p in photos if p.embedding is not None]
    for a, b in itertools.combinations(usable, 2):
        assert a.embedding is not None and b.embedding is not None
        d = faces.face_distance(a.embedding, b.embedding)
        (same if a.identity == b.identity else diff).append(d)
    return np.array(same), np.array(diff)


def rank1(photos: Sequence[Photo]) -> tuple[float, int]:
    """Share of photos (with at least one other photo of the same person) whose
    nearest other photo is of the same person; and how many such queries."""
    usable = [p for p in photos if p.embedding is not None]
    vectors = np.stack([p.embedding for p in usable if p.embedding is not None])
    labels = [p.identity for p in usable]
    hits = queries = 0
    for i, label in enumerate(labels):
        if labels.count(label) < 2:
            continue
        d = np.linalg.norm(vectors - vectors[i], axis=1)
        d[i] = np.inf
        queries += 1
        hits += labels[int(np.argmin(d))] == label
    return (hits / queries if queries else 0.0), queries


def error_rates(
    same: npt.NDArray[np.float64], diff: npt.NDArray[np.float64], threshold: float
) -> tuple[float, float]:
    """False non-match rate (same pairs at or above) and false match rate (different
    pairs below) when ``distance < threshold`` counts as a match."""
    fnmr = float(np.mean(same >= threshold)) if len(same) else 0.0
    fmr = float(np.mean(diff < threshold)) if len(diff) else 0.0
    return fnmr, fmr


PERCENTILES = (0, 1, 5, 10, 25, 50, 75, 90, 95, 99, 100)


def percentiles(values: npt.NDArray[np.float64]) -> dict[str, float]:
    return {f"p{q}": round(float(np.percentile(values, q)), 3) for q in PERCENTILES}


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument(
        "--cnn-limit", type=int, default=12, help="photos to run the CNN detector on (0: none)"
    )
    args = parser.parse_args(argv)
    pin_one_core()
    config = faces.load_face_config()
    labels = read_labels(args.data)
    start = time.perf_counter()
    faces.load_models()
    print(f"models loaded in {time.perf_counter() - start:.2f} s; config faces-{config.version}")

    photos = [analyse(path, identity) for path, identity in labels]
    missed = [p.file for p in photos if p.embedding is None]
    extra = [p.file for p in photos if p.faces_found > 1]
    print(f"{len(photos)} photos, {len({p.identity for p in photos})} identities (HOG detector)")
    print(f"  no face found: {missed or 'none'}; more than one face: {extra or 'none'}")

    same, diff = pair_distances(photos)
    print(f"\npairs: {len(same)} same-identity, {len(diff)} different-identity")
    print("distance percentiles:")
    print("       " + " ".join(f"{k:>6}" for k in percentiles(same)))
    print("  same " + " ".join(f"{v:6.3f}" for v in percentiles(same).values()))
    print("  diff " + " ".join(f"{v:6.3f}" for v in percentiles(diff).values()))

    print("\nat each level's threshold (match = distance below it):")
    print(f"  {'level':<10} {'threshold':>9} {'FNMR':>8} {'FMR':>8}  same/diff pairs in level")
    lower = 0.0
    for level in config.levels:
        if level.below is None:
            continue
        fnmr, fmr = error_rates(same, diff, level.below)
        in_same = int(np.sum((same >= lower) & (same < level.below)))
        in_diff = int(np.sum((diff >= lower) & (diff < level.below)))
        print(f"  {level.level:<10} {level.below:9.2f} {fnmr:8.4f} {fmr:8.4f}  {in_same}/{in_diff}")
        lower = level.below
    r1, n_queries = rank1(photos)
    print(f"\nrank-1 identification: {r1:.4f} over {n_queries} queries")

    detect = [p.detect_s for p in photos]
    encode = [p.encode_s for p in photos if p.embedding is not None]
    print(
        f"time per photo, one core: detect p50 {statistics.median(detect):.3f} s "
        f"(max {max(detect):.3f}), encode p50 {statistics.median(encode):.3f} s "
        f"(max {max(encode):.3f}); detection on a copy scaled to "
        f"{config.quality.detect_max_side} px, upsampled once"
    )

    if args.cnn_limit > 0:
        compare_detectors(labels[: args.cnn_limit], photos[: args.cnn_limit])

    strong = config.threshold("strong")
    fnmr, fmr = error_rates(same, diff, strong)
    print(
        json.dumps(
            {
                "photos": len(photos),
                "same_pairs": len(same),
                "diff_pairs": len(diff),
                "threshold": strong,
                "fnmr": round(fnmr, 5),
                "fmr": round(fmr, 5),
                "rank1": round(r1, 4),
                "detect_s_p50": round(statistics.median(detect), 4),
                "encode_s_p50": round(statistics.median(encode), 4),
            }
        )
    )


def compare_detectors(labels: Sequence[tuple[Path, str]], hog: Sequence[Photo]) -> None:
    """The CNN detector on the same photos: detection, time, and how far its
    embeddings move from the HOG ones (the aligned crop differs slightly)."""
    faces.load_models(cnn=True)
    cnn = [analyse(path, identity, detector="cnn") for path, identity in labels]
    found = sum(p.embedding is not None for p in cnn)
    drift = [
        faces.face_distance(a.embedding, b.embedding)
        for a, b in zip(hog, cnn, strict=True)
        if a.embedding is not None and b.embedding is not None
    ]
    same_h, diff_h = pair_distances(hog)
    same_c, diff_c = pair_distances(cnn)
    print(f"\nHOG vs CNN detector on the first {len(labels)} photos (one core):")
    print(
        f"  HOG: found {sum(p.embedding is not None for p in hog)}/{len(hog)}, detect p50 "
        f"{statistics.median(p.detect_s for p in hog):.3f} s"
    )
    print(
        f"  CNN: found {found}/{len(cnn)}, detect p50 "
        f"{statistics.median(p.detect_s for p in cnn):.3f} s (same scaled copy, upsampled once)"
    )
    if drift:
        print(f"  embedding moved by the detector choice: median {statistics.median(drift):.3f}")
    for name, same, diff in (("HOG", same_h, diff_h), ("CNN", same_c, diff_c)):
        if len(same) and len(diff):
            print(
                f"  {name}: same-pair median {np.median(same):.3f} max {same.max():.3f}; "
                f"different-pair min {diff.min():.3f}"
            )


if __name__ == "__main__":
    main()

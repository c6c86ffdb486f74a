"""Faces: decode an upload safely, check that it is usable, embed it, compare embeddings.

Pure library: numpy arrays and bytes in, result objects out. The only I/O is reading
the dlib model files, once per process (:func:`load_models`, lazily on first use; a
Celery worker calls it from ``worker_process_init``). Models come from the installed
``face_recognition_models`` package, located by path: its ``__init__`` (and
therefore ``import face_recognition``) needs ``pkg_resources``, which setuptools ≥ 82
no longer ships, and ``face_recognition`` then calls ``quit()``. This module never
imports either; it drives dlib exactly as ``face_recognition`` 1.3.0 does (HOG or
CNN detector, 5-point alignment, ResNet descriptor, no jitter, Euclidean distance),
so its embeddings are the ones ``face_recognition.face_encodings`` returns.

The flow for an upload::

    image = decode_image(data, max_bytes=..., max_pixels=...)   # raises ImageRefused
    report = assess_quality(image)                               # report.ok / .refusals
    if report.ok:
        vector = embed(image, report.face)                       # 128 floats
        thumb = strip_and_thumbnail(image)                       # small JPEG, no EXIF

Comparator interface (for ``matching/scoring.py``)::

    compare_faces(query: ndarray | None, candidate: ndarray | None) -> Comparison

``feature="face"``; ``level`` is one of ``strong`` / ``close`` / ``far`` /
``different`` / ``missing``; ``detail`` states the distance and the threshold it was
judged against; ``similarity`` is ``1 - distance`` clipped to 0..1; ``query`` and
``candidate`` are short digests of the embeddings (``emb:…``), never the vector.
With several embeddings per side, use :func:`compare_face_sets` (the closest pair
decides). Thresholds and ``m``/``u`` per level live in
``matching/data/faces-<version>.json`` (:func:`load_face_config`), written by
``bench/calibrate_faces.py`` from the labelled photos; its ``feature`` entry has the
shape of a feature in ``algorithm-<version>.json`` (``levels: {level: {m, u, n_match,
n_random}}``). Scoring must keep ``missing`` at weight 0 and cap the face weight at
``feature["max_weight"]``: a face-only hit without name or date support must never
reach the ``strong`` band on its own.

Quality refusals (:class:`QualityReport`, ``report.as_dict()`` to store) carry stable
codes: ``face_not_found``, ``multiple_faces``, ``face_too_small``,
``image_too_blurred``, ``image_too_dark``, ``image_overexposed``,
``face_not_frontal``; decoding refusals (:class:`ImageRefused`) ``image_too_large``,
``image_too_many_pixels``, ``not_an_image``, ``image_corrupt``,
``unsupported_image_format``. Every function is safe to call from several threads
(dlib's networks run one at a time per process).
"""

from __future__ import annotations

import hashlib
import io
import json
import math
import re
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cache
from importlib import resources, util
from pathlib import Path
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
from PIL import Image, ImageFile, ImageOps, UnidentifiedImageError

from matching.comparison import Comparison

__all__ = [
    "DEFAULT_MAX_BYTES",
    "DEFAULT_MAX_PIXELS",
    "FACE_CONFIG_VERSION",
    "FaceBox",
    "FaceConfig",
    "ImageRefused",
    "QualityReport",
    "QualityThresholds",
    "Refusal",
    "assess_quality",
    "compare_face_sets",
    "compare_faces",
    "decode_image",
    "detect_faces",
    "embed",
    "face_distance",
    "landmarks",
    "load_face_config",
    "load_models",
    "strip_and_thumbnail",
]

FACE_CONFIG_VERSION = "1.0"
#: Refuse uploads above 15 MB or 40 megapixels (a 48 MP phone photo should be
#: re-exported; the photos we calibrated on are at most 12.6 MP).
DEFAULT_MAX_BYTES = 15_000_000
DEFAULT_MAX_PIXELS = 40_000_000
# Pillow's own bomb guard, a second line behind the explicit size check in
# decode_image: warn above, refuse above twice this. Only ever lowered here.
if Image.MAX_IMAGE_PIXELS is None or Image.MAX_IMAGE_PIXELS > DEFAULT_MAX_PIXELS:
    Image.MAX_IMAGE_PIXELS = DEFAULT_MAX_PIXELS

Detector = Literal["hog", "cnn"]
RGBImage = npt.NDArray[np.uint8]
Embedding = npt.NDArray[np.float64]

_MODEL_FILES = {
    "shape68": "shape_predictor_68_face_landmarks.dat",
    "shape5": "shape_predictor_5_face_landmarks.dat",
    "encoder": "dlib_face_recognition_resnet_model_v1.dat",
    "cnn": "mmod_human_face_detector.dat",
}


# --------------------------------------------------------------------------- decoding


class ImageRefused(ValueError):
    """An upload that is not a usable image file. ``code`` is stable:
    ``image_too_large``, ``image_too_many_pixels``, ``not_an_image``,
    ``image_corrupt``, ``unsupported_image_format``."""

    def __init__(
        self, code: str, message: str, *, measured: float | None = None, limit: float | None = None
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.measured = measured
        self.limit = limit


_ALLOWED = ("JPEG", "PNG", "WEBP")
# Formats we recognise but do not accept (so the refusal can name them).
_OTHER_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"GIF87a", "GIF"),
    (b"GIF89a", "GIF"),
    (b"BM", "BMP"),
    (b"II*\x00", "TIFF"),
    (b"MM\x00*", "TIFF"),
    (b"%PDF", "PDF"),
    (b"\x00\x00\x01\x00", "ICO"),
    (b"8BPS", "PSD"),
    (b"\xff\x0a", "JPEG XL"),
    (b"\x00\x00\x00\x0cJXL ", "JPEG XL"),
)


def _sniff(data: bytes) -> str | None:
    """The format named by the file's magic bytes: one of ``_ALLOWED``, another image
    format's name, or None when the bytes are not a known image format."""
    if data[:3] == b"\xff\xd8\xff":
        return "JPEG"
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        return "PNG"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "WEBP"
    if data[4:8] == b"ftyp" and data[8:12] in (b"heic", b"heix", b"mif1", b"avif", b"msf1"):
        return "HEIF/AVIF"
    for magic, name in _OTHER_MAGIC:
        if data.startswith(magic):
            return name
    return None


_truncation_lock = threading.Lock()


@contextmanager
def _strict_truncation() -> Iterator[None]:
    # face_recognition sets ImageFile.LOAD_TRUNCATED_IMAGES = True for the whole
    # process on import, which would make Pillow pad a cut JPEG with grey instead of
    # failing. Force it off while we decode (and only then take the lock).
    if not ImageFile.LOAD_TRUNCATED_IMAGES:
        yield
        return
    with _truncation_lock:
        saved = ImageFile.LOAD_TRUNCATED_IMAGES
        ImageFile.LOAD_TRUNCATED_IMAGES = False
        try:
            yield
        finally:
            ImageFile.LOAD_TRUNCATED_IMAGES = saved


def decode_image(
    data: bytes, *, max_bytes: int = DEFAULT_MAX_BYTES, max_pixels: int = DEFAULT_MAX_PIXELS
) -> RGBImage:
    """Decode an uploaded photo into an RGB ``uint8`` array (height × width × 3),
    upright (EXIF orientation applied), or raise :class:`ImageRefused`.

    Checks run before anything is decoded: the byte size, the format from the magic
    bytes (JPEG, PNG, WebP only) and the pixel count the header declares — so a
    decompression bomb (a small file declaring a huge image) is refused without
    allocating it. Truncated or corrupt files are refused, never padded.
    """
    if len(data) > max_bytes:
        raise ImageRefused(
            "image_too_large",
            f"the file is {len(data):,} bytes, above the {max_bytes:,}-byte limit",
            measured=len(data),
            limit=max_bytes,
        )
    fmt = _sniff(data)
    if fmt is None:
        raise ImageRefused("not_an_image", "the file is not an image (no image signature)")
    if fmt not in _ALLOWED:
        raise ImageRefused(
            "unsupported_image_format",
            f"{fmt} images are not accepted; send JPEG, PNG or WebP",
        )
    try:
        with Image.open(io.BytesIO(data), formats=[fmt]) as im:
            width, height = im.size
            if width <= 0 or height <= 0:
                raise ImageRefused("image_corrupt", "the image declares no pixels")
            if width * height > max_pixels:
                raise ImageRefused(
                    "image_too_many_pixels",
                    f"the image declares {width}×{height} = {width * height:,} pixels, "
                    f"above the {max_pixels:,}-pixel limit",
                    measured=width * height,
                    limit=max_pixels,
                )
            with _strict_truncation():
                im.load()
            upright = ImageOps.exif_transpose(im)
            rgb = _to_rgb(upright)
    except ImageRefused:
        raise
    except Image.DecompressionBombError as exc:
        # Raised by Image.open itself above twice Image.MAX_IMAGE_PIXELS.
        found = re.search(r"\((\d+) pixels\)", str(exc))
        raise ImageRefused(
            "image_too_many_pixels",
            f"the image declares too many pixels (a decompression bomb): {exc}",
            measured=int(found.group(1)) if found else None,
            limit=max_pixels,
        ) from exc
    except UnidentifiedImageError as exc:
        raise ImageRefused(
            "image_corrupt", f"the file starts like {fmt} but cannot be read"
        ) from exc
    except (OSError, SyntaxError, ValueError, EOFError, IndexError) as exc:
        raise ImageRefused("image_corrupt", f"the {fmt} file is damaged or truncated") from exc
    return np.asarray(rgb, dtype=np.uint8).copy()


def _to_rgb(im: Image.Image) -> Image.Image:
    if im.mode == "RGB":
        return im
    if im.mode in ("RGBA", "LA", "PA") or (im.mode == "P" and "transparency" in im.info):
        rgba = im.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(white, rgba).convert("RGB")
    if im.mode in ("I;16", "I;16B", "I;16L", "I"):
        arr = np.asarray(im, dtype=np.float64)
        top = float(arr.max()) or 1.0
        return Image.fromarray((arr * (255.0 / top)).astype(np.uint8)).convert("RGB")
    return im.convert("RGB")


def strip_and_thumbnail(image: RGBImage, *, max_side: int = 320, quality: int = 85) -> bytes:
    """A small JPEG of the photo (longest side ``max_side``) carrying no metadata:
    built from decoded pixels, so no EXIF, GPS or maker notes survive."""
    im = Image.fromarray(np.ascontiguousarray(image), mode="RGB")
    im.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    im.save(out, format="JPEG", quality=quality, optimize=True)
    return out.getvalue()


# --------------------------------------------------------------------------- models


@dataclass(frozen=True, slots=True)
class _Models:
    hog: Any
    shape68: Any
    shape5: Any
    encoder: Any
    cnn: Any | None


_models_lock = threading.Lock()
_models: _Models | None = None
# dlib's neural networks (the ResNet encoder, the CNN detector) keep working buffers
# in the network object: one forward pass at a time per process. The HOG detector
# and the shape predictors are const and need no lock.
_net_lock = threading.Lock()


def models_dir() -> Path:
    """Where the installed ``face_recognition_models`` package keeps its ``.dat``
    files, found without importing it (its ``__init__`` needs ``pkg_resources``)."""
    spec = util.find_spec("face_recognition_models")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError(
            "face_recognition_models is not installed; run .ci/install "
            "(pip install face-recognition-models)"
        )
    for location in spec.submodule_search_locations:
        candidate = Path(location) / "models"
        if (candidate / _MODEL_FILES["encoder"]).is_file():
            return candidate
    raise RuntimeError("face_recognition_models is installed without its model files")


def load_models(*, cnn: bool = False) -> None:
    """Load the dlib models into this process (once; later calls return at once).
    ``cnn=True`` also loads the CNN face detector. Call it from Celery's
    ``worker_process_init`` so that no task pays for it."""
    _get_models(cnn=cnn)


def _get_models(*, cnn: bool = False) -> _Models:
    global _models
    current = _models
    if current is not None and (not cnn or current.cnn is not None):
        return current
    with _models_lock:
        current = _models
        if current is None or (cnn and current.cnn is None):
            import dlib

            where = models_dir()
            hog = current.hog if current else dlib.get_frontal_face_detector()
            shape68 = (
                current.shape68
                if current
                else dlib.shape_predictor(str(where / _MODEL_FILES["shape68"]))
            )
            shape5 = (
                current.shape5
                if current
                else dlib.shape_predictor(str(where / _MODEL_FILES["shape5"]))
            )
            encoder = (
                current.encoder
                if current
                else dlib.face_recognition_model_v1(str(where / _MODEL_FILES["encoder"]))
            )
            cnn_model = current.cnn if current else None
            if cnn and cnn_model is None:
                cnn_model = dlib.cnn_face_detection_model_v1(str(where / _MODEL_FILES["cnn"]))
            current = _Models(hog, shape68, shape5, encoder, cnn_model)
            _models = current
    return current


# --------------------------------------------------------------------------- detection


@dataclass(frozen=True, slots=True)
class FaceBox:
    """A detected face in image coordinates (pixels; ``right``/``bottom`` exclusive),
    with the detector's confidence."""

    top: int
    right: int
    bottom: int
    left: int
    score: float = 0.0

    @property
    def width(self) -> int:
        return self.right - self.left

    @property
    def height(self) -> int:
        return self.bottom - self.top

    def as_dict(self) -> dict[str, float]:
        return {
            "top": self.top,
            "right": self.right,
            "bottom": self.bottom,
            "left": self.left,
            "score": round(self.score, 3),
        }


def _dlib_rect(box: FaceBox) -> Any:
    import dlib

    return dlib.rectangle(box.left, box.top, box.right, box.bottom)


def detect_faces(
    image: RGBImage, *, detector: Detector = "hog", max_side: int | None = None, upsample: int = 1
) -> tuple[FaceBox, ...]:
    """Every face dlib finds, left to right, in ``image``'s coordinates.

    Detection runs on a copy scaled down to ``max_side`` (the calibrated
    ``detect_max_side`` when None) and upsampled ``upsample`` times, so the cost is
    bounded whatever the upload's size; faces down to about 40 px (HOG) in the
    scaled copy are found.
    """
    if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
        raise ValueError("image must be an RGB uint8 array (height × width × 3)")
    side = max_side if max_side is not None else load_face_config().quality.detect_max_side
    height, width = image.shape[:2]
    scale = min(1.0, side / max(height, width))
    small = _resize(image, scale) if scale < 1.0 else np.ascontiguousarray(image)
    models = _get_models(cnn=detector == "cnn")
    boxes: list[FaceBox] = []
    if detector == "cnn":
        assert models.cnn is not None
        with _net_lock:
            found = models.cnn(small, upsample)
        for d in found:
            boxes.append(_scaled_box(d.rect, scale, d.confidence, height, width))
    else:
        rects, scores, _ = models.hog.run(small, upsample, -0.0)
        for r, s in zip(rects, scores, strict=True):
            boxes.append(_scaled_box(r, scale, float(s), height, width))
    return tuple(sorted(boxes, key=lambda b: (b.left, b.top)))


def _resize(image: RGBImage, scale: float) -> RGBImage:
    height, width = image.shape[:2]
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    im = Image.fromarray(image).resize(size, Image.Resampling.BILINEAR, reducing_gap=2.0)
    return np.asarray(im, dtype=np.uint8)


def _scaled_box(rect: Any, scale: float, score: float, height: int, width: int) -> FaceBox:
    return FaceBox(
        top=max(0, round(rect.top() / scale)),
        right=min(width, round((rect.right() + 1) / scale)),
        bottom=min(height, round((rect.bottom() + 1) / scale)),
        left=max(0, round(rect.left() / scale)),
        score=float(score),
    )


def landmarks(image: RGBImage, box: FaceBox) -> npt.NDArray[np.float64]:
    """The 68 dlib landmarks (x, y) of the face in ``box``."""
    shape = _get_models().shape68(np.ascontiguousarray(image), _dlib_rect(box))
    return np.array([(p.x, p.y) for p in shape.parts()], dtype=np.float64)


def embed(image: RGBImage, box: FaceBox) -> Embedding:
    """The 128-d face embedding of the face in ``box`` (``face_recognition``'s
    encoding: 5-point alignment, ResNet descriptor, no jitter). Deterministic."""
    models = _get_models()
    pixels = np.ascontiguousarray(image)
    shape = models.shape5(pixels, _dlib_rect(box))
    with _net_lock:
        vector = models.encoder.compute_face_descriptor(pixels, shape, 1)
    return np.asarray(vector, dtype=np.float64)


# --------------------------------------------------------------------------- quality


@dataclass(frozen=True, slots=True)
class QualityThresholds:
    """The calibrated limits of the quality gate (``quality`` in the face config)."""

    detect_max_side: int
    min_face_px: float
    min_sharpness: float
    min_brightness: float
    max_brightness: float
    max_clipped: float
    max_yaw_deg: float
    max_roll_deg: float
    background_face_ratio: float


@dataclass(frozen=True, slots=True)
class Refusal:
    """Why a photo cannot be used: a stable ``code``, the value measured, the limit
    it failed and a sentence for the person who took it."""

    code: str
    measured: float | None
    threshold: float | None
    message: str


@dataclass(frozen=True, slots=True)
class QualityReport:
    """The quality gate's verdict on one photo. ``ok`` when ``refusals`` is empty;
    ``face`` is the face the report is about (None when none could be chosen),
    ``faces`` every face found, ``measures`` every value measured on ``face``."""

    refusals: tuple[Refusal, ...]
    face: FaceBox | None
    faces: tuple[FaceBox, ...]
    measures: Mapping[str, float] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.refusals

    @property
    def code(self) -> str | None:
        """The first refusal's code, or None when the photo is usable."""
        return self.refusals[0].code if self.refusals else None

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "refusals": [
                {
                    "code": r.code,
                    "measured": r.measured,
                    "threshold": r.threshold,
                    "message": r.message,
                }
                for r in self.refusals
            ],
            "face": self.face.as_dict() if self.face else None,
            "faces_found": len(self.faces),
            "measures": dict(self.measures),
        }


def _luminance(image: RGBImage) -> npt.NDArray[np.float64]:
    rgb = image.astype(np.float64)
    lum: npt.NDArray[np.float64] = rgb[..., 0] * 0.299 + rgb[..., 1] * 0.587 + rgb[..., 2] * 0.114
    return lum


def _face_crop(image: RGBImage, box: FaceBox, side: int = 128) -> npt.NDArray[np.float64]:
    """The face box as a ``side``×``side`` grey image (so measures do not depend on
    the photo's resolution)."""
    crop = image[box.top : box.bottom, box.left : box.right]
    im = Image.fromarray(np.ascontiguousarray(crop)).convert("L")
    im = im.resize((side, side), Image.Resampling.BILINEAR, reducing_gap=2.0)
    return np.asarray(im, dtype=np.float64)


def measure_face(image: RGBImage, box: FaceBox) -> dict[str, float]:
    """Every quality measure of the face in ``box``:

    - ``interocular_px``: distance between the eye centres, in the photo's pixels;
    - ``sharpness``: variance of the Laplacian of the face scaled to 128×128 grey,
      divided by the face's grey variance (so contrast does not count as sharpness);
    - ``brightness``: median luminance (0..255) of the face box;
    - ``clipped``: share of face pixels at 250 or above (blown highlights);
    - ``yaw_deg``/``roll_deg``: head turn and tilt estimated from the 68 landmarks
      (roll from the eye line; yaw from where the nose tip sits between the jaw ends).
    """
    pts = landmarks(image, box)
    left_eye = pts[36:42].mean(axis=0)
    right_eye = pts[42:48].mean(axis=0)
    dx, dy = right_eye - left_eye
    interocular = float(math.hypot(dx, dy))
    roll = math.degrees(math.atan2(dy, dx))
    # Undo roll, then place the nose tip between the jaw ends (0 and 16).
    c, s = math.cos(-math.radians(roll)), math.sin(-math.radians(roll))
    xs = pts[:, 0] * c - pts[:, 1] * s
    span = xs[16] - xs[0]
    ratio = (xs[30] - xs[0]) / span if span > 0 else 0.5
    yaw = math.degrees(math.asin(max(-1.0, min(1.0, 2.0 * ratio - 1.0))))

    grey = _face_crop(image, box)
    lap = (
        -4.0 * grey[1:-1, 1:-1]
        + grey[:-2, 1:-1]
        + grey[2:, 1:-1]
        + grey[1:-1, :-2]
        + grey[1:-1, 2:]
    )
    variance = float(grey.var())
    sharpness = float(lap.var()) / variance if variance > 1e-6 else 0.0
    lum = _luminance(image[box.top : box.bottom, box.left : box.right])
    return {
        "face_px": float(min(box.width, box.height)),
        "interocular_px": round(interocular, 1),
        "sharpness": round(sharpness, 4),
        "brightness": round(float(np.median(lum)), 1),
        "contrast": round(float(np.std(lum)), 1),
        "clipped": round(float(np.mean(lum >= 250.0)), 4),
        "yaw_deg": round(yaw, 1),
        "roll_deg": round(roll, 1),
    }


def assess_quality(
    image: RGBImage,
    *,
    face_index: int | None = None,
    detector: Detector | None = None,
    thresholds: QualityThresholds | None = None,
) -> QualityReport:
    """Whether a photo is usable for matching, with every reason it is not.

    Exactly one face is needed: faces smaller than ``background_face_ratio`` of the
    largest are treated as background and ignored; more than one remaining face is
    ``multiple_faces`` unless the caller names one with ``face_index`` (an index into
    ``report.faces``, left to right). The chosen face is then measured
    (:func:`measure_face`) and refused for each limit it fails: ``face_too_small``,
    ``image_too_blurred``, ``image_too_dark``, ``image_overexposed``,
    ``face_not_frontal``. Each refusal carries the measured value and the limit.
    """
    config = load_face_config()
    t = thresholds or config.quality
    faces = detect_faces(image, detector=detector or config.detector, max_side=t.detect_max_side)
    if not faces:
        return QualityReport(
            (Refusal("face_not_found", 0, 1, "no face was found in the photo"),), None, faces
        )
    if face_index is not None:
        if not 0 <= face_index < len(faces):
            raise IndexError(f"face_index {face_index} is not one of the {len(faces)} faces found")
        face = faces[face_index]
    else:
        largest = max(min(f.width, f.height) for f in faces)
        prominent = [
            f for f in faces if min(f.width, f.height) >= t.background_face_ratio * largest
        ]
        if len(prominent) > 1:
            return QualityReport(
                (
                    Refusal(
                        "multiple_faces",
                        len(prominent),
                        1,
                        f"{len(prominent)} faces were found; the photo must show one person "
                        "(or name the face to use)",
                    ),
                ),
                None,
                faces,
            )
        face = prominent[0]
    m = measure_face(image, face)
    refusals: list[Refusal] = []
    if m["interocular_px"] < t.min_face_px:
        refusals.append(
            Refusal(
                "face_too_small",
                m["interocular_px"],
                t.min_face_px,
                f"the eyes are {m['interocular_px']:.0f} px apart, fewer than the "
                f"{t.min_face_px:.0f} px needed",
            )
        )
    if m["sharpness"] < t.min_sharpness:
        refusals.append(
            Refusal(
                "image_too_blurred",
                m["sharpness"],
                t.min_sharpness,
                f"face sharpness {m['sharpness']:.3f}, below the {t.min_sharpness:.3f} needed",
            )
        )
    if m["brightness"] < t.min_brightness:
        refusals.append(
            Refusal(
                "image_too_dark",
                m["brightness"],
                t.min_brightness,
                f"face brightness {m['brightness']:.0f}/255, below the "
                f"{t.min_brightness:.0f} needed",
            )
        )
    if m["brightness"] > t.max_brightness:
        refusals.append(
            Refusal(
                "image_overexposed",
                m["brightness"],
                t.max_brightness,
                f"face brightness {m['brightness']:.0f}/255, above the "
                f"{t.max_brightness:.0f} allowed",
            )
        )
    elif m["clipped"] > t.max_clipped:
        refusals.append(
            Refusal(
                "image_overexposed",
                m["clipped"],
                t.max_clipped,
                f"{m['clipped']:.0%} of the face is blown out (white), above the "
                f"{t.max_clipped:.0%} allowed",
            )
        )
    if abs(m["yaw_deg"]) > t.max_yaw_deg:
        refusals.append(
            Refusal(
                "face_not_frontal",
                m["yaw_deg"],
                t.max_yaw_deg,
                f"the head is turned about {abs(m['yaw_deg']):.0f}°, more than the "
                f"{t.max_yaw_deg:.0f}° allowed",
            )
        )
    elif abs(m["roll_deg"]) > t.max_roll_deg:
        refusals.append(
            Refusal(
                "face_not_frontal",
                m["roll_deg"],
                t.max_roll_deg,
                f"the head is tilted about {abs(m['roll_deg']):.0f}°, more than the "
                f"{t.max_roll_deg:.0f}° allowed",
            )
        )
    return QualityReport(tuple(refusals), face, faces, m)


# --------------------------------------------------------------------------- comparison


@dataclass(frozen=True, slots=True)
class FaceLevel:
    """One comparison level: distances below ``below`` (and not in an earlier level)."""

    level: str
    below: float | None
    m: float
    u: float


@dataclass(frozen=True, slots=True)
class FaceConfig:
    """The versioned face configuration (``matching/data/faces-<version>.json``)."""

    version: str
    detector: Detector
    levels: tuple[FaceLevel, ...]
    quality: QualityThresholds
    max_weight: float
    raw: Mapping[str, Any]

    def threshold(self, level: str) -> float:
        for lv in self.levels:
            if lv.level == level and lv.below is not None:
                return lv.below
        raise KeyError(level)


@cache
def load_face_config(version: str = FACE_CONFIG_VERSION) -> FaceConfig:
    """The face configuration of ``version``, read once per process."""
    text = resources.files("matching").joinpath(f"data/faces-{version}.json").read_text("utf-8")
    raw: dict[str, Any] = json.loads(text)
    feature = raw["feature"]
    levels = tuple(
        FaceLevel(
            level=name,
            below=feature["thresholds"].get(name),
            m=float(feature["levels"][name]["m"]),
            u=float(feature["levels"][name]["u"]),
        )
        for name in feature["order"]
    )
    q = raw["quality"]
    quality = QualityThresholds(
        **{
            k: float(q[k]) for k in QualityThresholds.__dataclass_fields__ if k != "detect_max_side"
        },
        detect_max_side=int(q["detect_max_side"]),
    )
    return FaceConfig(
        version=raw["version"],
        detector=raw["detector"],
        levels=levels,
        quality=quality,
        max_weight=float(feature["max_weight"]),
        raw=raw,
    )


def face_distance(a: npt.ArrayLike, b: npt.ArrayLike) -> float:
    """Euclidean distance between two embeddings (``face_recognition.face_distance``).

    >>> face_distance([0.0, 0.3], [0.4, 0.0])
    0.5
    """
    return float(np.linalg.norm(np.asarray(a, dtype=np.float64) - np.asarray(b, dtype=np.float64)))


def _digest(vector: npt.ArrayLike | None) -> str | None:
    if vector is None:
        return None
    data = np.asarray(vector, dtype=np.float64).tobytes()
    return "emb:" + hashlib.sha256(data).hexdigest()[:12]


def compare_faces(
    query: npt.ArrayLike | None,
    candidate: npt.ArrayLike | None,
    *,
    config: FaceConfig | None = None,
) -> Comparison:
    """Face: how close the two face embeddings are, judged against calibrated distance
    thresholds (``strong`` below the first, then ``close``, ``far``, ``different``;
    ``missing`` when either side has no usable face).

    A face on its own is never proof of identity: the scorer caps its weight so that
    a face match without name or date support stays below the ``strong`` band.
    """
    cfg = config or load_face_config()
    if query is None or candidate is None:
        side = (
            "either side"
            if query is None and candidate is None
            else ("the query" if query is None else "the candidate")
        )
        return Comparison(
            "face", "missing", _digest(query), _digest(candidate), f"no face on {side}"
        )
    distance = face_distance(query, candidate)
    previous: FaceLevel | None = None
    for lv in cfg.levels:
        if lv.below is None or distance < lv.below:
            if lv.below is not None:
                detail = (
                    f"face distance {distance:.2f}, below the {lv.below:.2f} '{lv.level}' threshold"
                )
            else:
                assert previous is not None and previous.below is not None
                detail = (
                    f"face distance {distance:.2f}, at or above the {previous.below:.2f} "
                    f"'{previous.level}' threshold"
                )
            return Comparison(
                "face",
                lv.level,
                _digest(query),
                _digest(candidate),
                detail,
                similarity=max(0.0, min(1.0, 1.0 - distance)),
            )
        previous = lv
    raise AssertionError("the face configuration has no open-ended last level")


def compare_face_sets(
    queries: Sequence[npt.ArrayLike],
    candidates: Sequence[npt.ArrayLike],
    *,
    config: FaceConfig | None = None,
) -> Comparison:
    """Compare every query face with every candidate face; the closest pair decides
    (``missing`` when either side has none)."""
    if not queries or not candidates:
        return compare_faces(
            queries[0] if queries else None, candidates[0] if candidates else None, config=config
        )
    best = min(
        ((q, c) for q in queries for c in candidates), key=lambda qc: face_distance(qc[0], qc[1])
    )
    return compare_faces(best[0], best[1], config=config)

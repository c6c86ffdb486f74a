"""Faces: upload decoding, the quality gate, embeddings and the face comparator, on the
shared labelled photos (``../shared/data/faces``) with the real dlib models."""

from __future__ import annotations

import io
import json
import math
import struct
import subprocess
import sys
import zlib
from functools import cache
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest
from PIL import Image, ImageFile, ImageFilter

from matching import faces
from matching.comparison import Comparison
from matching.scoring import load_algorithm
from tests.conftest import FACES

ROOT = Path(__file__).resolve().parents[2]
DATA = FACES

RGB = npt.NDArray[np.uint8]


@pytest.fixture(scope="session", autouse=True)
def models() -> None:
    faces.load_models()


@cache
def photo_bytes(name: str) -> bytes:
    return (DATA / name).read_bytes()


@cache
def photo(name: str) -> RGB:
    return faces.decode_image(photo_bytes(name))


@cache
def embedding(name: str) -> npt.NDArray[np.float64]:
    image = photo(name)
    report = faces.assess_quality(image)
    assert report.face is not None, report
    return faces.embed(image, report.face)


OBAMA = "images/facerec_examples_obama.jpg"
OBAMA2 = "images/facerec_examples_obama2.jpg"
BIDEN = "images/facerec_examples_biden.jpg"
THRESHOLDS = faces.load_face_config().quality


def _interocular(name: str) -> float:
    return faces.assess_quality(photo(name)).measures["interocular_px"]


def _light(image: RGB, factor: float, offset: float = 0.0) -> RGB:
    return np.clip(image.astype(np.float64) * factor + offset, 0, 255).astype(np.uint8)


def _png(width: int, height: int, rows: bytes, *, bit_depth: int = 1) -> bytes:
    """A greyscale PNG written chunk by chunk (so a huge one never exists in memory)."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
        )

    header = struct.pack(">IIBBBBB", width, height, bit_depth, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", rows) + chunk(b"IEND", b"")
    )


# ------------------------------------------------------------------ decoding


@pytest.mark.parametrize(
    "name",
    [
        OBAMA,  # JPEG with an EXIF orientation tag
        "images/facerec_examples_alex-lacamoire.png",  # PNG with alpha
        "images/deepface_img47.jpg",  # WebP behind a .jpg name
    ],
)
def test_accepted_formats_decode_to_rgb(name: str) -> None:
    image = faces.decode_image(photo_bytes(name))
    assert image.dtype == np.uint8 and image.ndim == 3 and image.shape[2] == 3


def test_exif_orientation_is_applied() -> None:
    original = photo(OBAMA)
    buffer = io.BytesIO()
    exif = Image.Exif()
    exif[0x0112] = 6  # stored turned; the viewer rotates 90° clockwise
    Image.fromarray(original).transpose(Image.Transpose.ROTATE_90).save(
        buffer, format="JPEG", exif=exif
    )
    decoded = faces.decode_image(buffer.getvalue())
    assert decoded.shape == original.shape


def test_truncated_jpeg_is_refused_as_corrupt() -> None:
    data = photo_bytes(OBAMA)
    with pytest.raises(faces.ImageRefused) as refused:
        faces.decode_image(data[: len(data) * 6 // 10])
    assert refused.value.code == "image_corrupt"


def test_truncated_jpeg_is_refused_even_when_pillow_is_told_to_pad(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # What ``import face_recognition`` does to the whole process.
    monkeypatch.setattr(ImageFile, "LOAD_TRUNCATED_IMAGES", True)
    data = photo_bytes(OBAMA)
    with pytest.raises(faces.ImageRefused) as refused:
        faces.decode_image(data[: len(data) // 2])
    assert refused.value.code == "image_corrupt"


def test_decompression_bomb_is_refused_before_decoding() -> None:
    side = 30_000
    row = b"\x00" + b"\xff" * (side // 8)
    packer = zlib.compressobj(9)
    rows = b"".join(packer.compress(row) for _ in range(side)) + packer.flush()
    bomb = _png(side, side, rows)
    assert len(bomb) < 1_000_000  # a small file declaring 900 million pixels
    with pytest.raises(faces.ImageRefused) as refused:
        faces.decode_image(bomb)
    assert refused.value.code == "image_too_many_pixels"
    assert refused.value.measured == side * side


def test_pixel_limit_is_checked_from_the_header() -> None:
    with pytest.raises(faces.ImageRefused) as refused:
        faces.decode_image(photo_bytes(OBAMA), max_pixels=100_000)
    assert refused.value.code == "image_too_many_pixels"
    assert refused.value.limit == 100_000


def test_byte_limit_is_checked_first() -> None:
    with pytest.raises(faces.ImageRefused) as refused:
        faces.decode_image(photo_bytes(OBAMA), max_bytes=10_000)
    assert refused.value.code == "image_too_large"


@pytest.mark.parametrize(
    "data",
    [b"", b"hello, this is not a photo", b"%!PS-Adobe-3.0\n", bytes(range(256)) * 10],
)
def test_non_image_bytes_are_refused(data: bytes) -> None:
    with pytest.raises(faces.ImageRefused) as refused:
        faces.decode_image(data)
    assert refused.value.code == "not_an_image"


@pytest.mark.parametrize("fmt", ["GIF", "BMP", "TIFF"])
def test_other_image_formats_are_refused_by_name(fmt: str) -> None:
    buffer = io.BytesIO()
    Image.fromarray(photo(OBAMA)[:200, :200]).save(buffer, format=fmt)
    with pytest.raises(faces.ImageRefused) as refused:
        faces.decode_image(buffer.getvalue())
    assert refused.value.code == "unsupported_image_format"


def test_png_with_a_bad_checksum_is_corrupt() -> None:
    buffer = io.BytesIO()
    Image.fromarray(photo(OBAMA)[:100, :100]).save(buffer, format="PNG")
    data = bytearray(buffer.getvalue())
    data[60] ^= 0xFF  # inside the first IDAT
    with pytest.raises(faces.ImageRefused) as refused:
        faces.decode_image(bytes(data))
    assert refused.value.code == "image_corrupt"


def test_thumbnail_is_a_small_jpeg_without_metadata() -> None:
    thumb = faces.strip_and_thumbnail(photo(OBAMA))
    with Image.open(io.BytesIO(thumb)) as im:
        assert im.format == "JPEG"
        assert max(im.size) <= 320
        assert not im.getexif()
        assert "exif" not in im.info
    assert len(thumb) < 40_000


# ------------------------------------------------------------------ quality gate


@pytest.mark.parametrize(
    "name",
    [
        OBAMA,
        BIDEN,
        "images/facerec_examples_alex-lacamoire.png",
        "images/facerec_examples_knn_examples_train_kit_harington_john2.jpeg",
        "images/deepface_img27.jpg",
        "images/deepface_img40.jpg",
    ],
)
def test_good_photos_pass(name: str) -> None:
    report = faces.assess_quality(photo(name))
    assert report.ok, report.refusals
    assert report.code is None
    assert report.face is not None and len(report.faces) == 1


def test_photo_without_a_face_is_refused() -> None:
    rng = np.random.default_rng(7)
    height, width = 480, 720
    sky = np.linspace(230, 140, height // 2)[:, None, None] * np.array([0.6, 0.8, 1.0])
    grass = np.linspace(90, 40, height - height // 2)[:, None, None] * np.array([0.5, 1.0, 0.3])
    landscape = np.concatenate(
        [
            np.broadcast_to(sky, (height // 2, width, 3)),
            np.broadcast_to(grass, (height - height // 2, width, 3)),
        ]
    )
    landscape = np.clip(landscape + rng.normal(0, 6, landscape.shape), 0, 255).astype(np.uint8)
    for image in (landscape, np.full((400, 400, 3), 255, dtype=np.uint8)):
        report = faces.assess_quality(image)
        assert not report.ok
        assert report.code == "face_not_found"
        assert report.face is None


@pytest.mark.parametrize(
    "name", ["multi/two_people.jpg", "multi/kit_with_rose.jpg", "multi/couple.jpg"]
)
def test_photo_of_two_people_is_refused(name: str) -> None:
    report = faces.assess_quality(photo(name))
    assert report.code == "multiple_faces"
    assert report.refusals[0].measured == 2
    assert len(report.faces) == 2


def test_caller_can_name_the_face_to_use() -> None:
    image = photo("multi/two_people.jpg")
    report = faces.assess_quality(image, face_index=1)
    assert report.face == report.faces[1]
    assert report.code != "multiple_faces"
    with pytest.raises(IndexError):
        faces.assess_quality(image, face_index=5)


def test_blurred_photo_is_refused() -> None:
    radius = 0.1 * _interocular(OBAMA)
    blurred = np.asarray(Image.fromarray(photo(OBAMA)).filter(ImageFilter.GaussianBlur(radius)))
    report = faces.assess_quality(blurred)
    assert report.code == "image_too_blurred"
    refusal = report.refusals[0]
    assert refusal.measured is not None and refusal.threshold == THRESHOLDS.min_sharpness
    assert refusal.measured < refusal.threshold


def test_tiny_face_is_refused() -> None:
    scale = 25 / _interocular(OBAMA)
    image = Image.fromarray(photo(OBAMA))
    small = image.resize(
        (round(image.width * scale), round(image.height * scale)), Image.Resampling.LANCZOS
    )
    report = faces.assess_quality(np.asarray(small))
    assert report.code == "face_too_small"
    assert report.refusals[0].threshold == THRESHOLDS.min_face_px


def test_dark_photo_is_refused() -> None:
    report = faces.assess_quality(_light(photo(OBAMA), 0.2))
    assert report.code == "image_too_dark"


def test_overexposed_photo_is_refused() -> None:
    report = faces.assess_quality(_light(photo(OBAMA), 2.2))
    assert report.code == "image_overexposed"


def test_tilted_head_is_refused_as_not_frontal() -> None:
    tilted = Image.fromarray(photo(OBAMA)).rotate(30, expand=True, fillcolor=(128, 128, 128))
    report = faces.assess_quality(np.asarray(tilted))
    assert report.code == "face_not_frontal"
    measured = report.refusals[0].measured
    assert measured is not None and abs(measured) > THRESHOLDS.max_roll_deg


def test_report_serialises_with_every_measure() -> None:
    report = faces.assess_quality(photo(OBAMA)).as_dict()
    json.dumps(report)
    assert report["ok"] is True
    assert set(report["measures"]) >= {
        "interocular_px",
        "sharpness",
        "brightness",
        "yaw_deg",
        "roll_deg",
    }


# ------------------------------------------------------------------ embeddings and comparison


def test_embedding_is_128_floats_and_deterministic() -> None:
    image = photo(OBAMA)
    report = faces.assess_quality(image)
    assert report.face is not None
    first = faces.embed(image, report.face)
    second = faces.embed(image.copy(), report.face)
    assert first.shape == (128,) and first.dtype == np.float64
    assert np.array_equal(first, second)


def test_same_person_compares_strong_or_close() -> None:
    result = faces.compare_faces(embedding(OBAMA), embedding(OBAMA2))
    assert isinstance(result, Comparison)
    assert result.feature == "face"
    assert result.level in ("strong", "close")
    assert "face distance" in result.detail and "threshold" in result.detail


def test_different_people_compare_different() -> None:
    result = faces.compare_faces(embedding(OBAMA), embedding(BIDEN))
    assert result.level == "different"
    assert "at or above" in result.detail


def test_level_boundaries_follow_the_configuration() -> None:
    config = faces.load_face_config()
    base = np.zeros(128)
    for level in config.levels:
        if level.below is None:
            continue
        below = base.copy()
        below[0] = level.below - 1e-6
        at = base.copy()
        at[0] = level.below
        assert faces.compare_faces(base, below).level == level.level
        assert f"{level.below:.2f} '{level.level}'" in faces.compare_faces(base, below).detail
        assert faces.compare_faces(base, at).level != level.level


def test_missing_face_on_either_side() -> None:
    vector = embedding(OBAMA)
    assert faces.compare_faces(None, vector).level == "missing"
    assert faces.compare_faces(vector, None).level == "missing"
    assert faces.compare_face_sets([], [vector]).level == "missing"


def test_comparison_never_carries_the_embedding() -> None:
    result = faces.compare_faces(embedding(OBAMA), embedding(OBAMA2))
    assert result.query is not None and result.query.startswith("emb:") and len(result.query) == 16


def test_closest_pair_decides_between_sets() -> None:
    result = faces.compare_face_sets([embedding(BIDEN), embedding(OBAMA)], [embedding(OBAMA2)])
    assert result.level in ("strong", "close")


def test_face_alone_can_never_reach_the_strong_band() -> None:
    config = faces.load_face_config()
    algorithm = load_algorithm()
    # the largest prior any gallery gets (the smallest gallery)
    prior = algorithm.prior_for(1)
    assert prior + config.max_weight < algorithm.strong
    weights = {lv.level: math.log2(lv.m / lv.u) for lv in config.levels}
    assert weights["strong"] > weights["close"] > weights["far"] > weights["different"]
    assert weights["missing"] == 0


def test_embeddings_equal_face_recognitions_own() -> None:
    """Our dlib wrapper computes exactly what ``face_recognition.face_encodings`` does
    (run in a child process: that import may ``quit()`` without ``pkg_resources``)."""
    image = photo(OBAMA)
    report = faces.assess_quality(image)
    assert report.face is not None
    box = report.face
    script = (
        "import sys, json, numpy as np\n"
        "try:\n    import pkg_resources  # noqa: F401\nexcept ImportError:\n    sys.exit(3)\n"
        "import face_recognition\n"
        "from matching.faces import decode_image\n"
        f"img = decode_image(open({str(DATA / OBAMA)!r}, 'rb').read())\n"
        f"css = ({box.top}, {box.right}, {box.bottom}, {box.left})\n"
        "enc = face_recognition.face_encodings(img, [css])\n"
        "print(json.dumps(enc[0].tolist()))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT, timeout=120
    )
    if done.returncode == 3:
        pytest.skip("pkg_resources is not installed, so face_recognition cannot be imported")
    assert done.returncode == 0, done.stderr
    theirs = np.array(json.loads(done.stdout.strip().splitlines()[-1]))
    assert np.allclose(faces.embed(image, box), theirs, atol=1e-6)


def test_models_load_without_pkg_resources() -> None:
    """setuptools ≥ 82 ships no ``pkg_resources``; the models must load all the same
    (and ``face_recognition``, which would ``quit()``, must never be imported)."""
    script = (
        "import sys\n"
        "sys.modules['pkg_resources'] = None  # as if setuptools >= 82\n"
        "import numpy as np\n"
        "from matching import faces\n"
        "faces.load_models()\n"
        f"img = faces.decode_image(open({str(DATA / OBAMA)!r}, 'rb').read())\n"
        "report = faces.assess_quality(img)\n"
        "assert report.ok and report.face is not None\n"
        "assert faces.embed(img, report.face).shape == (128,)\n"
        "assert 'face_recognition' not in sys.modules\n"
        "print('ok')\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().endswith("ok")

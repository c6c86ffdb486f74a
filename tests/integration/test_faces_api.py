"""Face images through the API with real photos: the quality gate, what is stored, the
face route of matching, and erasure."""

from __future__ import annotations

import base64
import io
import struct
import zlib
from typing import Any
from uuid import UUID

import numpy as np
import psycopg
import pytest
from fastapi.testclient import TestClient
from PIL import Image, ImageFilter

from service.crypto import Sealed, evidence_key_ring
from service.db import Principal, set_context
from service.indexing import repository as index_repo
from service.settings import Settings
from tests.conftest import FACES, AgencyUsers, Servers, auth, create_agency, open_case, share
from tests.integration.test_pipeline import _match, _run_done
from tests.integration.workers import WorkerProcess, wait_for
from tests.principals import principal_of

MARIA = {"names": ["Maria Lopez"]}
# Two different photos of one person (labels.csv: both df_img1), small enough to be quick.
PHOTO = FACES / "images" / "deepface_img10.jpg"
SAME_PERSON = FACES / "images" / "deepface_img11.jpg"
TWO_FACES = FACES / "multi" / "kit_with_rose.jpg"


def _jpeg(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=90)
    return out.getvalue()


def _blurred() -> bytes:
    return _jpeg(Image.open(PHOTO).convert("RGB").filter(ImageFilter.GaussianBlur(5)))


def _tiny_face() -> bytes:
    photo = Image.open(PHOTO).convert("RGB")
    return _jpeg(photo.resize((90, round(photo.height * 90 / photo.width))))


def _landscape() -> bytes:
    """Sky over a field: an image with no face."""
    rows = np.arange(300)[:, None]
    sky = np.stack([90 + rows // 4, 150 + rows // 5, np.full_like(rows, 235)], axis=-1) * np.ones(
        (1, 400, 1)
    )
    field = np.stack(
        [np.full_like(rows, 40), 120 + rows % 7, np.full_like(rows, 40)], axis=-1
    ) * np.ones((1, 400, 1))
    pixels = np.where(rows[..., None] < 150, sky, field)
    noise = np.random.default_rng(1).integers(-10, 10, pixels.shape)
    return _jpeg(Image.fromarray(np.clip(pixels + noise, 0, 255).astype(np.uint8)))


def _bomb() -> bytes:
    """A 1 kB PNG whose header declares 30000×30000 pixels."""
    out = io.BytesIO()
    Image.new("L", (8, 8)).save(out, format="PNG")
    data = bytearray(out.getvalue())
    ihdr = data.index(b"IHDR")
    data[ihdr + 4 : ihdr + 12] = struct.pack(">II", 30_000, 30_000)
    crc = zlib.crc32(bytes(data[ihdr : ihdr + 17]))
    data[ihdr + 17 : ihdr + 21] = struct.pack(">I", crc)
    return bytes(data)


def _upload(
    client: TestClient,
    agency: AgencyUsers,
    case_id: str,
    data: bytes,
    *,
    face_index: int | None = None,
) -> Any:
    return client.post(
        f"/v1/cases/{case_id}/evidence/face-images",
        files={"image": ("photo.jpg", data, "image/jpeg")},
        data={} if face_index is None else {"face_index": str(face_index)},
        headers=auth(agency.caseworker),
    )


def _stored(conn: psycopg.Connection[Any], case_id: str) -> tuple[int, int, int]:
    row = conn.execute(
        """SELECT (SELECT count(*) FROM evidence WHERE case_id = %(c)s),
                  (SELECT count(*) FROM face_images WHERE case_id = %(c)s),
                  (SELECT count(*) FROM face_embeddings WHERE case_id = %(c)s)""",
        {"c": case_id},
    ).fetchone()
    assert row is not None
    return row[0], row[1], row[2]


def test_a_usable_photo_is_stored_with_its_report_thumbnail_and_embedding(
    client: TestClient,
    agency: AgencyUsers,
    settings: Settings,
    owner_conn: psycopg.Connection[Any],
) -> None:
    case_id = open_case(client, agency.caseworker, "F-USABLE", MARIA)["id"]
    response = _upload(client, agency, case_id, PHOTO.read_bytes())
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["status"] == "usable"
    assert body["quality"]["ok"] is True
    assert body["quality"]["faces_found"] == 1
    assert body["quality"]["measures"]
    evidence_id = UUID(body["evidence_id"])
    row = owner_conn.execute(
        "SELECT f.key_id, f.thumb_nonce, f.thumb_ciphertext, f.quality, e.model, "
        "vector_dims(e.embedding) FROM face_images f "
        "JOIN face_embeddings e USING (evidence_id) WHERE evidence_id = %s",
        (evidence_id,),
    ).fetchone()
    assert row is not None
    thumb = evidence_key_ring(settings).open(
        Sealed(row[0], bytes(row[1]), bytes(row[2])), associated=evidence_id.bytes + b"thumb"
    )
    with Image.open(io.BytesIO(thumb)) as image:
        assert image.format == "JPEG"
        assert max(image.size) <= 320
        assert not image.getexif()
    assert row[3]["ok"] is True
    assert row[4] == body["model"]
    assert row[5] == 128


def test_a_group_photo_is_usable_when_the_caller_names_the_face(
    client: TestClient, agency: AgencyUsers, owner_conn: psycopg.Connection[Any]
) -> None:
    case_id = open_case(client, agency.caseworker, "F-PICK", {"names": ["Rose Leslie"]})["id"]
    response = _upload(client, agency, case_id, TWO_FACES.read_bytes(), face_index=0)
    assert response.status_code == 201, response.text
    assert response.json()["quality"]["faces_found"] == 2
    assert _stored(owner_conn, case_id) == (1, 1, 1)
    beyond = _upload(client, agency, case_id, TWO_FACES.read_bytes(), face_index=2)
    assert beyond.status_code == 422
    assert beyond.json()["code"] == "invalid_face_index"
    assert _stored(owner_conn, case_id) == (1, 1, 1)


REFUSALS: list[tuple[str, Any, int, str]] = [
    ("blurred", _blurred, 422, "image_too_blurred"),
    ("two faces", TWO_FACES.read_bytes, 422, "multiple_faces"),
    ("no face", _landscape, 422, "face_not_found"),
    ("tiny face", _tiny_face, 422, "face_too_small"),
    ("truncated", lambda: PHOTO.read_bytes()[: PHOTO.stat().st_size // 2], 422, "image_corrupt"),
    ("decompression bomb", _bomb, 422, "image_too_many_pixels"),
    ("not an image", lambda: b"plain text, not a photo at all", 422, "not_an_image"),
]


@pytest.mark.parametrize(
    ("label", "make", "status", "code"), REFUSALS, ids=[r[0] for r in REFUSALS]
)
def test_an_unusable_upload_is_refused_with_its_reason_and_nothing_is_stored(
    client: TestClient,
    agency: AgencyUsers,
    owner_conn: psycopg.Connection[Any],
    label: str,
    make: Any,
    status: int,
    code: str,
) -> None:
    case_id = open_case(client, agency.caseworker, f"F-REFUSED-{label}", MARIA)["id"]
    response = _upload(client, agency, case_id, make())
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["code"] == code
    if code in ("image_too_blurred", "multiple_faces", "face_not_found", "face_too_small"):
        first = body["refusals"][0]
        assert first["code"] == code
        assert set(first) >= {"measured", "threshold", "message"}
    if code == "image_too_blurred":
        assert body["refusals"][0]["measured"] < body["refusals"][0]["threshold"]
    assert _stored(owner_conn, case_id) == (0, 0, 0)


def _nearest(servers: Servers, agency_id: UUID, vector: list[float]) -> list[UUID]:
    """What the kNN route returns to this agency's worker, as evidence ids."""
    with psycopg.connect(servers.worker_url) as conn, conn.transaction():
        set_context(conn, Principal(user_id=UUID(int=0), agency_id=agency_id, role="worker"))
        near = index_repo.nearest_faces(conn, vector, exclude=None, k=10, ef_search=200)
        return [evidence_id for _, evidence_id, _ in near]


def _vector(conn: psycopg.Connection[Any], evidence_id: str) -> list[float]:
    row = conn.execute(
        "SELECT embedding::real[] FROM face_embeddings WHERE evidence_id = %s", (evidence_id,)
    ).fetchone()
    assert row is not None
    return [float(x) for x in row[0]]


def _agency_id(conn: psycopg.Connection[Any], case_id: str) -> UUID:
    row = conn.execute("SELECT agency_id FROM cases WHERE id = %s", (case_id,)).fetchone()
    assert row is not None
    agency_id: UUID = row[0]
    return agency_id


def test_a_face_found_under_another_name_is_a_candidate_but_never_strong(
    client: TestClient,
    worker: WorkerProcess,
    agency: AgencyUsers,
    owner_conn: psycopg.Connection[Any],
) -> None:
    first = open_case(client, agency.caseworker, "F-FIRST", MARIA)["id"]
    second = open_case(client, agency.caseworker, "F-SECOND", {"names": ["Svetlana Ivanova"]})["id"]
    assert _upload(client, agency, first, PHOTO.read_bytes()).status_code == 201
    assert _upload(client, agency, second, SAME_PERSON.read_bytes()).status_code == 201
    run_id = _match(client, agency.caseworker, second)
    run = wait_for(lambda: _run_done(client, agency.caseworker, run_id))
    assert run["state"] == "done", run
    assert run["algorithm"] == "tessera-fs-1.5+face-1.0"
    [candidate] = [c for c in run["candidates"] if c["ref"] == "F-FIRST"]
    assert candidate["band"] != "strong"
    face = next(item for item in candidate["explanation"] if item["feature"] == "face")
    assert face["level"] in ("strong", "close")
    assert "face distance" in face["detail"]
    assert "threshold" in face["detail"]
    assert face["weight"] <= 8.07
    name = next(item for item in candidate["explanation"] if item["feature"] == "name")
    assert name["weight"] <= 0
    # the same request again is the same run; a new photo is a new evidence state
    assert _match(client, agency.caseworker, second) == run_id


def test_erasure_removes_the_image_thumbnail_embedding_and_index_entry(
    client: TestClient,
    agency: AgencyUsers,
    other_agency: AgencyUsers,
    servers: Servers,
    owner_conn: psycopg.Connection[Any],
) -> None:
    case_id = open_case(client, agency.caseworker, "F-ERASE", MARIA)["id"]
    evidence_id = _upload(client, agency, case_id, PHOTO.read_bytes()).json()["evidence_id"]
    vector = _vector(owner_conn, evidence_id)
    agency_id = _agency_id(owner_conn, case_id)
    assert UUID(evidence_id) in _nearest(servers, agency_id, vector)
    path = f"/v1/cases/{case_id}/evidence/{evidence_id}"

    foreign = client.delete(path, headers=auth(other_agency.caseworker))
    missing = client.delete(
        f"/v1/cases/{UUID(int=7)}/evidence/{evidence_id}", headers=auth(other_agency.caseworker)
    )
    assert foreign.status_code == missing.status_code == 404
    assert foreign.json()["code"] == missing.json()["code"] == "case_not_found"
    assert foreign.json()["detail"] == missing.json()["detail"]
    assert _stored(owner_conn, case_id) == (1, 1, 1)

    response = client.delete(path, headers=auth(agency.caseworker))
    assert response.status_code == 200, response.text
    assert sorted(response.json()["removed"]) == ["data", "embedding", "image", "thumbnail"]
    assert _stored(owner_conn, case_id) == (1, 0, 0)
    row = owner_conn.execute(
        "SELECT erased_at, data FROM evidence WHERE id = %s", (evidence_id,)
    ).fetchone()
    assert row is not None and row[0] is not None
    assert row[1] == {"status": "erased"}
    assert UUID(evidence_id) not in _nearest(servers, agency_id, vector)
    again = client.delete(path, headers=auth(agency.caseworker))
    assert again.status_code == 409
    assert again.json()["code"] == "already_erased"
    listed = client.get(f"/v1/cases/{case_id}", headers=auth(agency.caseworker, "review"))
    [item] = listed.json()["evidence"]
    assert item["erased_at"] is not None
    assert item["summary"] == {"status": "erased"}


def test_the_service_role_cannot_change_evidence_except_by_erasing_it(
    client: TestClient, agency: AgencyUsers, servers: Servers, owner_conn: psycopg.Connection[Any]
) -> None:
    case_id = open_case(client, agency.caseworker, "F-APPEND", MARIA)["id"]
    evidence_id = _upload(client, agency, case_id, PHOTO.read_bytes()).json()["evidence_id"]
    with psycopg.connect(servers.app_url) as conn:
        principal = principal_of(servers.app_url, agency.caseworker)
        with pytest.raises(psycopg.errors.InsufficientPrivilege), conn.transaction():
            set_context(conn, principal)
            conn.execute("UPDATE evidence SET kind = 'document' WHERE id = %s", (evidence_id,))
        with pytest.raises(psycopg.errors.InsufficientPrivilege), conn.transaction():
            set_context(conn, principal)
            conn.execute("UPDATE evidence SET data = '{}' WHERE id = %s", (evidence_id,))


def test_a_partner_face_query_finds_a_shared_case_without_seeing_its_face(
    client: TestClient,
    agency: AgencyUsers,
    admin_token: str,
    owner_conn: psycopg.Connection[Any],
) -> None:
    case_id = open_case(client, agency.caseworker, "F-SHARED", MARIA)["id"]
    assert _upload(client, agency, case_id, PHOTO.read_bytes()).status_code == 201
    partner = create_agency(client, admin_token, country="FRA")
    headers = auth(partner.partner, purpose="readmission request 7")
    query = {
        "person": {"names": ["Svetlana Ivanova"]},
        "face_image": base64.b64encode(SAME_PERSON.read_bytes()).decode(),
    }
    before = client.post("/v1/match", json=query, headers=headers)
    assert before.status_code == 200, before.text
    assert before.json()["candidates"] == []
    share(client, admin_token, agency, partner)
    after = client.post("/v1/match", json=query, headers=headers)
    assert after.status_code == 200, after.text
    [candidate] = after.json()["candidates"]
    assert candidate["kind"] == "case" and candidate["ref"] is None
    assert candidate["band"] != "strong"
    face = next(item for item in candidate["explanation"] if item["feature"] == "face")
    assert face["level"] in ("strong", "close")
    assert face.get("candidate") is None and face.get("detail") is None
    assert "Maria" not in after.text
    assert owner_conn.execute(
        "SELECT count(*) FROM face_embeddings WHERE agency_id = %s", (partner.id,)
    ).fetchone() == (0,)

    blurred = client.post(
        "/v1/match",
        json={**query, "face_image": base64.b64encode(_blurred()).decode()},
        headers=headers,
    )
    assert blurred.status_code == 422
    assert blurred.json()["code"] == "image_too_blurred"
    garbled = client.post("/v1/match", json={**query, "face_image": "@@@"}, headers=headers)
    assert garbled.status_code == 422
    assert garbled.json()["code"] == "invalid_face_image"

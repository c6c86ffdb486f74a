from __future__ import annotations

import base64
import os
import stat
from pathlib import Path

import pytest
from cryptography.exceptions import InvalidTag

from service.crypto import KeyRing


def _ring(*ids: str) -> tuple[KeyRing, dict[str, str]]:
    keys = {i: base64.b64encode(os.urandom(32)).decode() for i in ids}
    return KeyRing.parse(",".join(f"{i}:{k}" for i, k in keys.items())), keys


def test_a_sealed_blob_opens_to_its_plaintext_and_hides_it() -> None:
    ring, _ = _ring("k1")
    sealed = ring.seal(b"\xff\xd8\xff face bytes", associated=b"evidence-1")
    assert b"face bytes" not in sealed.ciphertext
    assert sealed.key_id == "k1"
    assert ring.open(sealed, associated=b"evidence-1") == b"\xff\xd8\xff face bytes"


def test_a_blob_sealed_before_a_rotation_still_opens_after_it() -> None:
    old, keys = _ring("k1")
    sealed = old.seal(b"photo", associated=b"e")
    new_key = base64.b64encode(os.urandom(32)).decode()
    rotated = KeyRing.parse(f"k2:{new_key},k1:{keys['k1']}")
    assert rotated.current == "k2"
    assert rotated.seal(b"photo", associated=b"e").key_id == "k2"
    assert rotated.open(sealed, associated=b"e") == b"photo"


def test_a_blob_moved_to_another_evidence_id_does_not_open() -> None:
    ring, _ = _ring("k1")
    sealed = ring.seal(b"photo", associated=b"evidence-1")
    with pytest.raises(InvalidTag):
        ring.open(sealed, associated=b"evidence-2")


def test_a_key_that_is_not_256_bits_is_refused() -> None:
    with pytest.raises(ValueError, match="256 bits"):
        KeyRing.parse(f"k1:{base64.b64encode(os.urandom(16)).decode()}")


def test_the_key_file_is_created_once_and_private(tmp_path: Path) -> None:
    path = tmp_path / "home" / "evidence-keys"
    first = KeyRing.from_file(path)
    again = KeyRing.from_file(path)
    assert first.current == again.current
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    sealed = first.seal(b"x", associated=b"a")
    assert again.open(sealed, associated=b"a") == b"x"


def test_processes_starting_at_once_share_one_key_file(tmp_path: Path) -> None:
    """The api and workers on one volume: many creators at once, one key, no drafts."""
    from concurrent.futures import ProcessPoolExecutor

    path = tmp_path / "evidence-keys"
    with ProcessPoolExecutor(4) as pool:
        currents = set(pool.map(_current_of, [path] * 8))
    assert len(currents) == 1
    assert os.listdir(tmp_path) == ["evidence-keys"]
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def _current_of(path: Path) -> str:
    return KeyRing.from_file(path).current

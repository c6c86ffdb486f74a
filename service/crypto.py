"""Encryption at rest for biometric evidence: AES-256-GCM, one random nonce per blob.

Keys live in a key ring: ``TESSERA_EVIDENCE_KEYS`` (``id:base64key,id:base64key``,
the first seals new blobs) or, by default, a key file under TESSERA_HOME created on
first use. Each blob records its key id, so old blobs still open after a rotation.
"""

from __future__ import annotations

import base64
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from service.settings import Settings


@dataclass(frozen=True, slots=True)
class Sealed:
    key_id: str
    nonce: bytes
    ciphertext: bytes


class KeyRing:
    """Named AES-256 keys; ``current`` seals, any of them opens what it sealed."""

    def __init__(self, keys: dict[str, bytes], current: str) -> None:
        if current not in keys:
            raise ValueError("the current key is not in the key ring")
        for key_id, key in keys.items():
            if len(key) != 32:
                raise ValueError(f"key {key_id} is not 256 bits")
        self._keys = keys
        self.current = current

    @classmethod
    def parse(cls, text: str) -> KeyRing:
        keys: dict[str, bytes] = {}
        order: list[str] = []
        for item in text.split(","):
            key_id, sep, value = item.strip().partition(":")
            if not sep:
                raise ValueError("TESSERA_EVIDENCE_KEYS entries are id:base64key")
            keys[key_id] = base64.b64decode(value)
            order.append(key_id)
        return cls(keys, order[0])

    @classmethod
    def from_file(cls, path: Path) -> KeyRing:
        """The key ring in ``path``, created with one fresh key (mode 0600) if missing.

        The key is written whole to a file of its own and then linked into place, so
        processes sharing ``path`` (the api and workers on one volume) that start at
        once agree on one key and none reads a half-written file."""
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            key_id = f"k{secrets.token_hex(4)}"
            draft = path.with_name(f".{path.name}.{secrets.token_hex(8)}")
            fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            try:
                with os.fdopen(fd, "w") as handle:
                    handle.write(
                        f"{key_id}:{base64.b64encode(AESGCM.generate_key(256)).decode()}\n"
                    )
                    handle.flush()
                    os.fsync(handle.fileno())
                os.link(draft, path)
            except FileExistsError:
                pass  # another process created it first: use that key
            finally:
                draft.unlink(missing_ok=True)
        return cls.parse(path.read_text().strip())

    def seal(self, plaintext: bytes, *, associated: bytes) -> Sealed:
        """Encrypt with the current key; ``associated`` (e.g. the evidence id) is bound in."""
        nonce = secrets.token_bytes(12)
        ciphertext = AESGCM(self._keys[self.current]).encrypt(nonce, plaintext, associated)
        return Sealed(self.current, nonce, ciphertext)

    def open(self, sealed: Sealed, *, associated: bytes) -> bytes:
        """The plaintext; raises ``cryptography.exceptions.InvalidTag`` if tampered with."""
        return AESGCM(self._keys[sealed.key_id]).decrypt(
            sealed.nonce, sealed.ciphertext, associated
        )


def evidence_key_ring(settings: Settings) -> KeyRing:
    """The ring from ``TESSERA_EVIDENCE_KEYS``, else from ``<home>/evidence-keys``."""
    if settings.evidence_keys:
        return KeyRing.parse(settings.evidence_keys)
    return KeyRing.from_file(settings.home / "evidence-keys")

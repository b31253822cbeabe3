"""The browser client's end-to-end encryption (web/src/e2ee/), in Python: a test participant
that takes part in the key agreement, and reads the frames the SFU forwards."""

from __future__ import annotations

import base64
import hashlib

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.keywrap import aes_key_unwrap, aes_key_wrap

WRAP_INFO = b"hocovisio e2ee wrap v1"
TRAILER = 13  # IV (12) and key index (1)


def b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def verification_code(public_a: str, public_b: str) -> str:
    a, b = sorted((unb64(public_a), unb64(public_b)))
    digest = hashlib.sha256(a + b).digest()
    return " ".join(
        f"{int.from_bytes(digest[2 * i : 2 * i + 2], 'big') % 10000:04d}" for i in range(3)
    )


class KeyPair:
    """One page's ECDH P-256 key pair, and what it derives with another's public key."""

    def __init__(self) -> None:
        self._private = ec.generate_private_key(ec.SECP256R1())
        raw = self._private.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
        self.public = b64(raw)

    def wrapping_key(self, public: str) -> bytes:
        peer = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), unb64(public))
        secret = self._private.exchange(ec.ECDH(), peer)
        return HKDF(hashes.SHA256(), 32, salt=None, info=WRAP_INFO).derive(secret)

    def wrap(self, public: str, sender_key: bytes) -> str:
        return b64(aes_key_wrap(self.wrapping_key(public), sender_key))

    def unwrap(self, public: str, wrapped: str) -> bytes:
        return aes_key_unwrap(self.wrapping_key(public), unb64(wrapped))


def vp8_clear_bytes(frame: bytes) -> int:
    """What a VP8 frame keeps clear: its payload header (a key frame's 10 bytes, a delta's 3);
    bit 0 of the first byte is 0 for a key frame."""
    return min(3 if frame[0] & 1 else 10, len(frame))


def key_index(frame: bytes) -> int:
    return frame[-1]


def decrypt_vp8(frame: bytes, keys: dict[int, bytes]) -> bytes | None:
    """The VP8 frame ``frame`` decrypted with the key its trailer names, or None when no key
    of ``keys`` opens it."""
    key = keys.get(frame[-1])
    if key is None or len(frame) < 16 + TRAILER:
        return None
    body = len(frame) - TRAILER
    clear = vp8_clear_bytes(frame[: body - 16])
    iv = frame[body : body + 12]
    try:
        plain = AESGCM(key).decrypt(iv, frame[clear:body], frame[:clear])
    except InvalidTag:
        return None
    return frame[:clear] + plain

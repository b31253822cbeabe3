"""Unguessable tokens and credentials."""

import hashlib
import hmac
import secrets

TOKEN_BYTES = 24  # 192 bits, above the 128 the specification asks for


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def credential_hash(credential: str) -> bytes:
    """What the database keeps of a credential: a leaked table gives no way in."""
    return hashlib.sha256(credential.encode()).digest()


def same_secret(given: str, expected: str) -> bool:
    return hmac.compare_digest(given.encode(), expected.encode())

"""TURN servers for a participant's WebRTC transports, with short-lived credentials.

coturn's REST-API scheme (``use-auth-secret`` with ``static-auth-secret``): the username is
``<expiry>:<user>`` (a Unix time, then who it is for) and the password is
``base64(HMAC-SHA1(secret, username))``. The TURN server recomputes the password from the
username alone, so nothing is stored and nothing is sent to it; once the expiry has passed it
refuses the credential. The user part is the session's id, never its token or credential.
"""

import base64
import hashlib
import hmac
import time
from typing import Any

from app.config.settings import Settings


def turn_credential(secret: str, user: str, expiry: int) -> tuple[str, str]:
    """The username and password coturn accepts until ``expiry`` (Unix time) for ``user``."""
    username = f"{expiry}:{user}"
    digest = hmac.new(secret.encode(), username.encode(), hashlib.sha1).digest()
    return username, base64.b64encode(digest).decode()


def ice_servers(settings: Settings, session_id: int, now: float | None = None) -> list[Any]:
    """The ``RTCIceServer`` list for a session's transports: empty without TURN servers."""
    if not settings.turn_urls or settings.turn_secret is None:
        return []
    expiry = int(now if now is not None else time.time()) + settings.turn_credential_ttl
    username, password = turn_credential(
        settings.turn_secret.get_secret_value(), str(session_id), expiry
    )
    return [{"urls": list(settings.turn_urls), "username": username, "credential": password}]

"""End-to-end encryption's key agreement: the server carries public keys and wrapped sender
keys between the sockets of a consultation, and can read neither the media nor the keys.

Each page makes an ECDH P-256 key pair and announces its public key (``e2eeKey`` to every
other validated socket of the consultation). Whoever hears of it answers that socket alone
with its own sender key, wrapped with the key both derive from their ECDH secret
(``e2eeSenderKey``). Nothing of it is stored or logged: a page that connects later announces
itself and is answered in turn. A socket in the waiting room can neither announce nor be
sent a key: the hub refuses its requests, the statement below refuses it as a destination,
and the broker would not deliver to it. The format of the keys and of the encrypted frames
is the browser client's (``web/src/e2ee/``), documented in ``docs/api.md``.
"""

import base64
import binascii
from typing import Any

from app.errors import Refused
from app.persistence.statements import Statements, jsonb
from app.realtime.broker import Audience
from app.realtime.notices import published
from app.realtime.peer import Peer
from app.services.sessions import LIVE, STILL_ADMITTED

PUBLIC_KEY_BYTES = 65  # an uncompressed P-256 point: 0x04, x, y
WRAPPED_KEY_BYTES = (24, 40)  # AES-KW of a 128- or 256-bit AES-GCM key
KEY_INDEXES = 256  # the frame trailer carries the index in one byte
SOCKET_ID_MAX = 2**62

NOT_ENCRYPTED = "this consultation is not end-to-end encrypted"
DEVICES_REFUSED = (
    "this consultation is end-to-end encrypted: the station cannot encrypt its device"
    " videos, so they are not sent"
)

# The destination, in this consultation, not replaced and of a live session, and the event to
# it alone when it is validated; no row: no such socket, or the sender is out of the
# consultation.
SEND = (
    "WITH target AS (SELECT l.id, l.pending FROM live_socket l JOIN session s"
    " ON s.id = l.session_id AND "
    + LIVE
    + " WHERE l.id = %(socket)s AND l.onetoone_id = %(o)s AND NOT l.replaced AND "
    + STILL_ADMITTED
    + "), published AS ("
    + published(
        "%(o)s::integer",
        "e2eeSenderKey",
        "jsonb_build_object('sockets', jsonb_build_array(target.id))",
        "%(d)s",
        "target WHERE NOT target.pending",
    )
    + ") SELECT pending, (SELECT count(*) FROM published) AS published FROM target"
)


# ``peer``'s key to the others, while its session is in the consultation.
ANNOUNCE = (
    "SELECT hocovisio_publish(%(o)s, 'e2eeKey', %(a)s, %(d)s) AS published WHERE " + STILL_ADMITTED
)


def _base64url(value: object, name: str, sizes: tuple[int, ...]) -> bytes:
    """``value`` decoded from unpadded base64url, of one of ``sizes`` bytes."""
    if not isinstance(value, str) or len(value) > 100:
        raise Refused(400, f"{name} must be a base64url string")
    try:
        raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
    except (binascii.Error, ValueError) as error:
        raise Refused(400, f"{name} must be a base64url string") from error
    if len(raw) not in sizes or base64.urlsafe_b64encode(raw).rstrip(b"=").decode() != value:
        raise Refused(400, f"{name} must be {' or '.join(map(str, sizes))} bytes, base64url")
    return raw


def public_key(value: object) -> str:
    """A P-256 public key as the pages send it: raw, uncompressed, base64url."""
    raw = _base64url(value, "publicKey", (PUBLIC_KEY_BYTES,))
    if raw[0] != 4:
        raise Refused(400, "publicKey must be an uncompressed P-256 point")
    assert isinstance(value, str)
    return value


def wrapped_key(value: object) -> str:
    _base64url(value, "key", WRAPPED_KEY_BYTES)
    assert isinstance(value, str)
    return value


def key_index(value: object) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value < KEY_INDEXES:
        raise Refused(400, f"index must be an integer from 0 to {KEY_INDEXES - 1}")
    return value


def socket_id(value: object) -> int:
    """A socket id as the wire carries it: a decimal string (it does not fit in a double)."""
    # ASCII digits only: isdecimal() takes the digits of any script (fullwidth ones too),
    # and int() reads them.
    if not isinstance(value, str) or not (value.isascii() and value.isdigit()) or len(value) > 19:
        raise Refused(400, "socketId must be a socket's id, as a string")
    number = int(value)
    if not 0 < number < SOCKET_ID_MAX:
        raise Refused(400, "socketId must be a socket's id, as a string")
    return number


def _sender(peer: Peer) -> dict[str, Any]:
    """Who a key comes from, as the events name it; 409 outside an encrypted consultation."""
    if not peer.e2ee:
        raise Refused(409, NOT_ENCRYPTED)
    return {"peerId": peer.session_id, "socketId": str(peer.socket_id), "role": peer.role}


async def announce(sql: Statements, peer: Peer, key: str) -> None:
    """Tell the consultation's other validated sockets of ``peer``'s public key; 401 once
    ``peer``'s session is out of the consultation (it would be answered with their keys)."""
    data = {**_sender(peer), "publicKey": key}
    audience = Audience.every_socket_but(peer.socket_id)
    params = {"o": peer.onetoone_id, "a": jsonb(audience.to_json()), "d": jsonb(data)}
    row = await sql.one(ANNOUNCE, {**params, "session_id": peer.session_id})
    if row is None:
        raise Refused(401, "session not valid")


async def send_key(sql: Statements, peer: Peer, to_socket: int, message: dict[str, Any]) -> None:
    """Hand one socket of the consultation ``peer``'s wrapped sender key: ``message`` holds
    ``publicKey`` (the sender's), ``index`` and ``key`` (wrapped), already checked."""
    data = {**_sender(peer), **message}
    params = {"socket": to_socket, "o": peer.onetoone_id, "d": jsonb(data)}
    row = await sql.one(SEND, {**params, "session_id": peer.session_id})
    if row is None:
        raise Refused(404, "no such socket in this consultation")
    if row.pending:
        raise Refused(403, "that socket is waiting for the doctor's validation")

"""Who is online in a consultation: ``peerJoined`` and ``peerLeft`` are about sessions.

Every instance's open sockets are rows of ``live_socket``; a socket is recorded only while its
session is ``waiting`` or ``admitted``. The first is sent when a session's
first validated socket opens (or is admitted), the second when its last one has gone, on
whichever instance they are: each change is one call of a function of migration 0005 that
takes the session's row lock, so that two sockets of one session opening at once on two
instances announce it once. Opening a socket also closes the session's oldest beyond
``max_sockets_per_session`` (a ``replace`` notice to the instance that holds them). With
webhooks configured, each announcement is also queued as ``participant.joined`` or
``participant.left``.
"""

import secrets
from dataclasses import dataclass

from app.persistence.statements import Statements
from app.services import webhooks

OPEN = (
    "SELECT hocovisio_socket_open(%(socket_id)s, %(instance)s, %(onetoone_id)s,"
    " %(session_id)s, %(role)s, %(keep)s) AS state"
)
# What ``hocovisio_socket_open`` answers when the socket was recorded, besides the state.
JOINED = "joined"
ADMITTED = "SELECT hocovisio_socket_admitted(%(socket_id)s) AS joined"
CLOSE = "SELECT hocovisio_socket_close(%(socket_id)s) AS left"


@dataclass(frozen=True)
class Socket:
    """A participant socket as presence knows it."""

    onetoone_id: int
    session_id: int
    role: str


def new_socket_id() -> int:
    """A socket's id, chosen before it is recorded: its subscription carries it before any
    notice can name it. Random among 2**62, so that instances need not agree on them."""
    return secrets.randbits(62)


async def opened(
    sql: Statements,
    socket_id: int,
    instance_id: int,
    socket: Socket,
    keep: int,
    webhook: bool,
) -> str:
    """Record the socket, if its session is still live: read under the session's row lock,
    which every transition of the session takes, so that a socket racing the session's
    replacement (or refusal, or leaving) is either recorded before it, and then told and
    closed, or not recorded at all. Returns the session's state (``waiting`` or ``admitted``
    when recorded). ``webhook``: queue its session's joining for the webhooks."""
    params = {
        "socket_id": socket_id,
        "instance": instance_id,
        "onetoone_id": socket.onetoone_id,
        "session_id": socket.session_id,
        "role": socket.role,
        "keep": keep,
    }
    row = await sql.one(OPEN, params)
    assert row is not None
    if row.state == JOINED:
        if webhook:
            await _queue(sql, True, socket)
        return "admitted"
    return str(row.state)


async def admitted(sql: Statements, socket_id: int, socket: Socket, webhook: bool) -> None:
    """The socket's session, waiting until now, was admitted by the doctor."""
    row = await sql.one(ADMITTED, {"socket_id": socket_id})
    if row is not None and row.joined and webhook:
        await _queue(sql, True, socket)


async def closed(sql: Statements, socket_id: int, socket: Socket, webhook: bool) -> None:
    """The socket closed."""
    row = await sql.one(CLOSE, {"socket_id": socket_id})
    if row is not None and row.left and webhook:
        await _queue(sql, False, socket)


async def _queue(sql: Statements, joined: bool, socket: Socket) -> None:
    await webhooks.presence(sql, joined, socket.onetoone_id, socket.session_id, socket.role)

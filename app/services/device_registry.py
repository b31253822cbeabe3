"""What is plugged into each consultation's stations right now, in the database, so that every
instance sees it whichever holds the station's socket.

Entries are the station's session's (``peer_id``), and owned by the socket that last
reported them (``plugged_device.socket_id``): they are forgotten when the station reports the
unplugging, or when that socket closes or its instance dies (``hocovisio_socket_close``
announces them gone then). A session may have two sockets, and the newer one's reports
outlive the older one.

Each change runs in the caller's transaction, beside the announcement it makes
(``app.services.stations``).
"""

from dataclasses import dataclass
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from app.persistence.statements import jsonb

CONNECT = """INSERT INTO plugged_device (socket_id, onetoone_id, peer_id, device_id, node, device)
VALUES (%(socket_id)s, %(onetoone_id)s, %(peer_id)s, %(device_id)s, %(node)s, %(device)s)
ON CONFLICT (peer_id, device_id, (coalesce(node, '')))
DO UPDATE SET socket_id = EXCLUDED.socket_id, device = EXCLUDED.device
RETURNING xmax = 0 AS added"""
DISCONNECT = """DELETE FROM plugged_device
WHERE onetoone_id = %(onetoone_id)s AND peer_id = %(peer_id)s AND device_id = %(device_id)s
  AND coalesce(node, '') = coalesce(%(node)s, '')
RETURNING device, node, peer_id"""
REPORTED = """SELECT device, node, peer_id FROM plugged_device
WHERE onetoone_id = %(onetoone_id)s AND peer_id = %(peer_id)s AND device_id = %(device_id)s
LIMIT 1"""
CONNECTED = """SELECT p.device, p.node, p.peer_id FROM plugged_device p
JOIN live_socket s ON s.id = p.socket_id
WHERE p.onetoone_id = %(onetoone_id)s AND NOT s.pending
ORDER BY p.peer_id, p.device_id, p.node"""


@dataclass(frozen=True)
class Connected:
    device: dict[str, Any]
    node: str | None
    peer_id: int

    def public(self) -> dict[str, Any]:
        return {"device": self.device, "node": self.node, "peerId": self.peer_id}


async def _rows(db: AsyncSession, query: str, params: dict[str, Any]) -> list[Any]:
    connection = await db.connection()
    return list((await connection.exec_driver_sql(query, params)).all())


async def connect(db: AsyncSession, onetoone_id: int, socket_id: int, entry: Connected) -> bool:
    """Record ``entry``, owned by the socket ``socket_id``; False when the same station had
    already reported it (it is then the newer socket's)."""
    params = {
        "socket_id": socket_id,
        "onetoone_id": onetoone_id,
        "peer_id": entry.peer_id,
        "device_id": entry.device["id"],
        "node": entry.node,
        "device": jsonb(entry.device),
    }
    return bool((await _rows(db, CONNECT, params))[0].added)


async def disconnect(
    db: AsyncSession, onetoone_id: int, peer_id: int, device_id: int, node: str | None
) -> Connected | None:
    params = {"onetoone_id": onetoone_id, "peer_id": peer_id, "device_id": device_id, "node": node}
    rows = await _rows(db, DISCONNECT, params)
    return Connected(rows[0].device, rows[0].node, rows[0].peer_id) if rows else None


async def reported(
    db: AsyncSession, onetoone_id: int, peer_id: int, device_id: int
) -> Connected | None:
    """The entry of device ``device_id`` as the session ``peer_id`` reported it, if it did."""
    params = {"onetoone_id": onetoone_id, "peer_id": peer_id, "device_id": device_id}
    rows = await _rows(db, REPORTED, params)
    return Connected(rows[0].device, rows[0].node, rows[0].peer_id) if rows else None


async def connected(db: AsyncSession, onetoone_id: int) -> list[Connected]:
    """The consultation's plugged devices, of stations with an open validated socket."""
    rows = await _rows(db, CONNECTED, {"onetoone_id": onetoone_id})
    return [Connected(row.device, row.node, row.peer_id) for row in rows]

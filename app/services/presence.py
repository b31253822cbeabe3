"""Who is online in a consultation: ``peerJoined`` and ``peerLeft`` are about sessions.

The first is sent when a session's first validated socket opens (or is admitted), the
second when its last one has gone; the broker's subscriptions are the sockets. With webhooks
configured, each is also queued as ``participant.joined`` or ``participant.left``.
"""

from app.persistence.statements import Statements
from app.realtime.broker import Audience, Broker, Event
from app.services import webhooks


async def joined(
    broker: Broker, sql: Statements | None, onetoone_id: int, session_id: int, role: str
) -> None:
    """A validated socket of the session opened: ``peerJoined`` if it is its only one.
    ``sql`` is None when no webhook is configured."""
    if broker.open_sockets(onetoone_id, session_id) == 1:
        broker.publish(
            onetoone_id,
            Event("peerJoined", {"peerId": session_id, "role": role}),
            Audience.everyone_but(session_id),
        )
        if sql is not None:
            await webhooks.presence(sql, True, onetoone_id, session_id, role)


async def left(
    broker: Broker, sql: Statements | None, onetoone_id: int, session_id: int, role: str
) -> None:
    """A validated socket of the session closed (unsubscribed): ``peerLeft`` if it was
    its last one."""
    if broker.open_sockets(onetoone_id, session_id) == 0:
        broker.publish(
            onetoone_id,
            Event("peerLeft", {"peerId": session_id}),
            Audience.everyone_but(session_id),
        )
        if sql is not None:
            await webhooks.presence(sql, False, onetoone_id, session_id, role)

"""Who is online in a consultation: ``peerJoined`` and ``peerLeft`` are about sessions.

The first is sent when a session's first validated socket opens (or is admitted), the
second when its last one has gone; the broker's subscriptions are the sockets.
"""

from app.realtime.broker import Audience, Broker, Event


def joined(broker: Broker, onetoone_id: int, session_id: int, role: str) -> None:
    """A validated socket of the session opened: ``peerJoined`` if it is its only one."""
    if broker.open_sockets(onetoone_id, session_id) == 1:
        broker.publish(
            onetoone_id,
            Event("peerJoined", {"peerId": session_id, "role": role}),
            Audience.everyone_but(session_id),
        )


def left(broker: Broker, onetoone_id: int, session_id: int) -> None:
    """A validated socket of the session closed (unsubscribed): ``peerLeft`` if it was
    its last one."""
    if broker.open_sockets(onetoone_id, session_id) == 0:
        broker.publish(
            onetoone_id,
            Event("peerLeft", {"peerId": session_id}),
            Audience.everyone_but(session_id),
        )

"""Events about the service itself rather than a consultation's data: the instance stopping
(``serverShutdown``) and a consultation's media gone with its worker (``mediaReset``)."""

from app.persistence.statements import Statements
from app.realtime import notices
from app.realtime.broker import Broker, Event


def server_stopping(broker: Broker) -> int:
    """Tell every socket of this instance to reconnect (to another instance, or to this one
    once it is back), and close them; return how many consultations were told."""
    consultations = broker.consultations()
    for onetoone_id in consultations:
        broker.end(onetoone_id, Event("serverShutdown", {"reconnect": True}))
    return len(consultations)


async def media_reset(sql: Statements, onetoone_id: int, reason: str) -> None:
    """The consultation's media room is gone: its participants, on every instance, join the
    media again."""
    await notices.publish(sql, onetoone_id, Event("mediaReset", {"reason": reason}))

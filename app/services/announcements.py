"""Events about the service itself rather than a consultation's data: the instance stopping
(``serverShutdown``) and a consultation's media gone with its worker (``mediaReset``)."""

from app.realtime.broker import Broker, Event


def server_stopping(broker: Broker) -> int:
    """Tell every socket to reconnect elsewhere, and close them; return how many
    consultations were told."""
    consultations = broker.consultations()
    for onetoone_id in consultations:
        broker.end(onetoone_id, Event("serverShutdown", {"reconnect": True}))
    return len(consultations)


def media_reset(broker: Broker, onetoone_id: int, reason: str) -> None:
    """The consultation's media room is gone: its participants join the media again."""
    broker.publish(onetoone_id, Event("mediaReset", {"reason": reason}))

"""The instances serving on one database, and the sockets each holds.

An instance registers when it starts and renews its lease every third of it
(``app.runtime.cluster_task``). Any instance removes one whose lease expired
(``hocovisio_reap``): its sockets are closed as if their clients had left (``peerLeft`` for a
session that had no other), and nothing is left pointing at it. An instance that finds its own
row gone (it stalled for longer than its lease) registers again: its sockets were closed for
the others, so it closes them too.
"""

from dataclasses import dataclass
from typing import Any

from app.persistence.statements import Statements
from app.realtime.notices import BEAT, CHANNEL

REGISTER = (
    "INSERT INTO instance (name, rtc, lease_until)"
    " VALUES (%(name)s, %(rtc)s, now() + make_interval(secs => %(lease)s)) RETURNING id"
)
# The lease renewed, and the beat told to the instance's own listener (``Backbone``), which
# so knows that it still hears the database.
RENEW = (
    "WITH renewed AS (UPDATE instance SET lease_until = now() + make_interval(secs => %(lease)s)"
    " WHERE id = %(id)s RETURNING id)"
    " SELECT id, pg_notify(%(channel)s || '_' || id, %(beat)s) FROM renewed"
)
REAP = "SELECT hocovisio_reap() AS reaped"
GONE = "SELECT hocovisio_instance_gone(%(id)s)"
# Each instance, with its sockets and the consultations whose media it carries.
LIST = """SELECT i.id, i.name, i.rtc, i.started_at, i.lease_until - now() AS lease_left,
       (SELECT count(*) FROM live_socket s WHERE s.instance_id = i.id) AS sockets,
       (SELECT count(*) FROM media_home h WHERE h.instance_id = i.id) AS media_homes
FROM instance i ORDER BY i.id"""


@dataclass
class Instance:
    """This process among the instances; ``id`` changes if it has to register again."""

    name: str
    lease: float
    rtc: str = ""  # where its SFU listens, as operators read it
    id: int = 0


async def register(sql: Statements, instance: Instance) -> None:
    params = {"name": instance.name, "rtc": instance.rtc, "lease": instance.lease}
    row = await sql.one(REGISTER, params)
    assert row is not None
    instance.id = row.id


async def renew(sql: Statements, instance: Instance, beat: int) -> bool:
    """Extend the lease and notify heartbeat ``beat`` to the instance's own channel; False
    when the instance had already been removed."""
    params = {
        "id": instance.id,
        "lease": instance.lease,
        "channel": CHANNEL,
        "beat": f"{BEAT}{beat}",
    }
    return await sql.one(RENEW, params) is not None


async def reap(sql: Statements) -> int:
    """Remove the instances whose lease expired; return how many."""
    row = await sql.one(REAP, {})
    return row.reaped if row is not None else 0


async def leave(sql: Statements, instance: Instance) -> None:
    """A clean stop: as if its lease had expired, at once."""
    await sql.one(GONE, {"id": instance.id})


async def listed(sql: Statements) -> list[Any]:
    """The instances registered now (a dead one until its lease expires)."""
    return await sql.all(LIST, {})

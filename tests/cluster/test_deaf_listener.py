"""A listening connection that goes silent without breaking (a firewall that drops it idle, a
stalled server process): the instance notices that its own heartbeat is not heard, closes its
sockets as after a break, and listens again."""

import asyncio
import contextlib
import os
import signal
import time

import httpx
import psycopg

from tests.client import create_consultation
from tests.cluster.conftest import LEASE
from tests.cluster.person import Person

# The backbone's limit in these tests (two leases, five seconds at least), and a beat's period.
DEAF_AFTER = max(2 * LEASE, 5.0)


def listeners(database_url: str) -> set[int]:
    """The server processes of the connections listening on this database."""
    with psycopg.connect(database_url) as db:
        rows = db.execute(
            "SELECT pid FROM pg_stat_activity"
            " WHERE datname = current_database() AND query LIKE 'LISTEN %%'"
        ).fetchall()
    return {pid for (pid,) in rows}


async def test_a_silent_listener_is_noticed_and_replaced(more_instances):
    (instance,) = more_instances(1)
    async with httpx.AsyncClient(base_url=instance.base_url) as http:
        consultation = await create_consultation(http, instance.operator_key)
    doctor, patient = Person([instance]), Person([instance])
    (stalled,) = listeners(instance.database_url)
    try:
        await doctor.open(0, consultation.link("medecin"))
        await patient.open(0, consultation.link("patient"))
        doctor_socket = await doctor.socket(0)

        os.kill(stalled, signal.SIGSTOP)  # its connection stays open, and says nothing more
        stalled_at = time.monotonic()
        async with asyncio.timeout(DEAF_AFTER + LEASE + 5):
            await doctor_socket.connection.wait_closed()
        assert doctor_socket.connection.close_code == 1013
        assert time.monotonic() - stalled_at > DEAF_AFTER - LEASE

        # Listening again on a new connection (the stalled one still counted): the events reach
        # a new socket.
        async with asyncio.timeout(10):
            while len(listeners(instance.database_url)) < 2:
                await asyncio.sleep(0.2)
        again = await doctor.socket(0)
        assert (await patient.post(0, "/session/infos", {"data": {"poids": 70}})).status_code == 200
        assert (await again.event("infoUpdate"))["data"] == {"poids": 70}
        assert "heartbeat was not heard" in instance.log()
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.kill(stalled, signal.SIGCONT)
        for person in (doctor, patient):
            await person.aclose()

"""The database's connections dropped (a restart, a failover) just as a socket closes: the
socket's leaving is tried again, so that its session is not left online for the others."""

import httpx
import psycopg

from tests.client import create_consultation
from tests.cluster.person import Person


def drop_pooled_connections(database_url: str) -> int:
    """End the server processes of the instance's pooled connections (not its listener's)."""
    with psycopg.connect(database_url, autocommit=True) as db:
        rows = db.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
            " AND query NOT LIKE 'LISTEN %%'"
        ).fetchall()
    return len(rows)


async def test_a_socket_closed_during_a_blip_still_leaves(more_instances):
    (instance,) = more_instances(1)
    async with httpx.AsyncClient(base_url=instance.base_url) as http:
        consultation = await create_consultation(http, instance.operator_key)
    doctor, patient = Person([instance]), Person([instance])
    try:
        await doctor.open(0, consultation.link("medecin"))
        await patient.open(0, consultation.link("patient"))
        doctor_socket = await doctor.socket(0)
        patient_socket = await patient.socket(0)
        assert (await doctor_socket.event("peerJoined"))["peerId"] == patient.id

        assert drop_pooled_connections(instance.database_url) > 0
        await patient_socket.close()
        assert await doctor_socket.event("peerLeft") == {"peerId": patient.id}
        with psycopg.connect(instance.database_url) as db:
            left = db.execute(
                "SELECT count(*) FROM live_socket WHERE session_id = %s", (patient.id,)
            ).fetchone()
        assert left == (0,)
    finally:
        for person in (doctor, patient):
            await person.aclose()

"""The hot paths' SQL round trips, counted on the wire (tests/pg_wire.py) by a proxy between a
server of the test's own and the database.

The counts are those of the work itself: the pool's pre-ping on checkout and the one-time
preparation of a statement on a connection are the pool's business, not the operation's.
``bench/round_trips.py`` reports every operation's counts, with their SQL.
"""

from collections.abc import Awaitable, Iterator
from typing import Any

import psycopg
import pytest

from tests.client import Participant, create_consultation
from tests.pg_wire import WireCounter, counting
from tests.server import RunningServer, hocovisio


@pytest.fixture(scope="module")
def counted(
    database_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[RunningServer, WireCounter]]:
    with (
        counting(database_url) as (counter, url),
        hocovisio(
            url,
            tmp_path_factory.mktemp("counted"),
            # No monitor pass, and a heartbeat every 100 s: only the operations' statements.
            {"HOCOVISIO_MONITOR_INTERVAL": "0", "HOCOVISIO_INSTANCE_LEASE": "300"},
        ) as server,
    ):
        yield server, counter


async def test_each_hot_path_takes_the_round_trips_postgresql_needs(
    counted: tuple[RunningServer, WireCounter],
):
    server, counter = counted
    counts: dict[str, int] = {}
    for _ in range(2):  # the first warms the pool up
        doctor, patient, other = (Participant(server.base_url, server.ws_url) for _ in range(3))
        async with doctor.http as operator:
            consultation = await create_consultation(operator, server.operator_key)

            async def count(name: str, operation: Awaitable[Any]) -> Any:
                before = await counter.asettle()
                result = await operation
                counts[name] = ((await counter.asettle()) - before).steady
                return result

            await count("doctor's link", doctor.open(consultation.link("medecin")))
            await count("first use", patient.open(consultation.link("patient")))
            doctor_socket = await count("doctor's socket", doctor.socket())
            socket = await count("socket connect", patient.socket())
            form = {"data": {"weight": 72}}
            await count("form update", patient.http.post("/session/infos", json=form))
            await count("form read", patient.http.get("/session/infos"))
            await count("chat over HTTP", patient.http.post("/message", json={"text": "a"}))
            await count("chat over the socket", socket.request("sendMessage", {"text": "b"}))
            await count("history", patient.http.get("/messages"))
            await count("pending link", other.open(consultation.link("patient")))
            assert other.session is not None
            # Both devices stay in: replacing one would close ``socket``, counted below.
            admit = {"sessionId": other.session["id"], "replace": False}
            await count("admission", doctor.http.post("/validate", json=admit))
            await count("socket leave", socket.close())
            await doctor_socket.close()
        for client in (patient, other):
            await client.close()
    assert counts == {
        # The link's buckets, shared by the instances; the link and the caller; the credential,
        # stats and activity.
        "doctor's link": 3,
        "first use": 3,
        # Authenticate and touch; record the socket, once subscribed; then the waiting room.
        "doctor's socket": 3,
        "socket connect": 2,
        "form update": 1,
        "form read": 1,
        "chat over HTTP": 2,  # the caller first: the chat's rate limit is per session
        "chat over the socket": 1,
        "history": 1,
        "pending link": 3,
        "admission": 3,  # the credential's shared bucket, the caller, the admission
        "socket leave": 2,  # forget the socket (peerLeft if last), note the activity
    }


def test_the_counter_sees_every_statement(database_url: str):
    with (
        counting(database_url) as (counter, url),
        psycopg.connect(url) as connection,  # not autocommit: BEGIN, then COMMIT
    ):
        before = counter.settle(0.05)
        connection.execute("SELECT 1")
        connection.commit()
        counts = counter.settle(0.05) - before
    assert (counts.round_trips, counts.statements) == (3, 3)
    assert counts.labels[0] == "BEGIN" and counts.labels[-1] == "COMMIT"

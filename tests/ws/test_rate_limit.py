"""Bursts of socket requests against a server with a low limit: unknown methods and a
pending socket's requests are counted like any other, before anything else is done."""

import asyncio
import json
from collections import Counter
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
from websockets.asyncio.client import ClientConnection, connect

from tests.client import Consultation, Participant, create_consultation
from tests.server import RunningServer, hocovisio

REQUESTS_PER_MINUTE = 60
BURST = 3000


@pytest.fixture(scope="module")
def limited_server(
    database_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RunningServer]:
    env = {
        "HOCOVISIO_RATE_LIMIT_SOCKET_REQUESTS": str(REQUESTS_PER_MINUTE),
        # Each test's client comes from its own address (X-Forwarded-For), so that they do
        # not share the per-address allowance.
        "HOCOVISIO_TRUSTED_PROXIES": '["127.0.0.0/8"]',
    }
    with hocovisio(database_url, tmp_path_factory.mktemp("limited"), extra_env=env) as running:
        yield running


@pytest.fixture
async def consultation(limited_server: RunningServer) -> Consultation:
    async with httpx.AsyncClient(base_url=limited_server.base_url) as http:
        return await create_consultation(http, limited_server.operator_key)


@pytest.fixture
async def participant(limited_server: RunningServer) -> AsyncIterator[Participant]:
    client = Participant(limited_server.base_url, limited_server.ws_url)
    yield client
    await client.close()


async def raw_socket(server: RunningServer, credential: str, address: str) -> ClientConnection:
    headers = {"Authorization": f"Bearer {credential}", "X-Forwarded-For": address}
    return await connect(server.ws_url, additional_headers=headers)


async def burst(connection: ClientConnection, method: str) -> Counter[str]:
    """Send ``BURST`` requests at once, without waiting; count the answers by outcome."""
    for n in range(BURST):
        await connection.send(json.dumps({"request": True, "id": n, "method": method, "data": {}}))
    answers: Counter[str] = Counter()
    async with asyncio.timeout(30):
        while sum(answers.values()) < BURST:
            frame = json.loads(await connection.recv())
            if frame.get("response"):
                answers["ok" if frame["ok"] else frame["errorReason"]] += 1
    return answers


def assert_limited(answers: Counter[str], served: str) -> None:
    print(dict(answers))
    # The allowance (a minute's worth) and what refilled during the burst, no more.
    assert REQUESTS_PER_MINUTE <= answers[served] < 2 * REQUESTS_PER_MINUTE
    assert answers["rate limited"] == BURST - answers[served]


async def test_unknown_methods_are_rate_limited(
    limited_server: RunningServer, consultation: Consultation, participant: Participant
):
    await participant.open(consultation.link("medecin"))
    assert participant.credential is not None
    async with await raw_socket(limited_server, participant.credential, "198.51.100.7") as socket:
        assert_limited(await burst(socket, "noSuchMethod"), "unknown method 'noSuchMethod'")
        # The allowance is spent: a real request is refused as well.
        await socket.send(json.dumps({"request": True, "id": 1, "method": "getPeers", "data": {}}))
        assert json.loads(await socket.recv())["errorReason"] == "rate limited"


async def test_a_pending_socket_is_rate_limited(
    limited_server: RunningServer, consultation: Consultation, participant: Participant
):
    first = Participant(limited_server.base_url, limited_server.ws_url)
    try:
        await first.open(consultation.link("patient"))
    finally:
        await first.close()
    await participant.open(consultation.link("patient"))  # another client: pending
    assert participant.session is not None and participant.session["validate_fromadmin"] == 0
    assert participant.credential is not None
    async with await raw_socket(limited_server, participant.credential, "198.51.100.8") as socket:
        assert_limited(await burst(socket, "getPeers"), "waiting for the doctor's validation")

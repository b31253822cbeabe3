"""Probes and Prometheus metrics of a real server, after real calls."""

import re
from collections.abc import Callable

import httpx
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from tests.client import Consultation, Participant
from tests.media_client import MediaClient
from tests.server import SFU_WORKERS, RunningServer
from tests.ws.test_media import joined_pair, media_clients  # noqa: F401  (fixture)


def samples(text: str, name: str) -> dict[str, float]:
    """The values of metric ``name``, by label set."""
    found = {}
    for line in text.splitlines():
        match = re.fullmatch(rf"{name}(\{{[^}}]*\}})? (\S+)", line)
        if match:
            found[match.group(1) or ""] = float(match.group(2))
    return found


async def test_healthz_and_readyz(http: httpx.AsyncClient):
    alive = await http.get("/healthz")
    assert alive.status_code == 200
    assert alive.json() == {"status": "ok"}
    ready = await http.get("/readyz")
    assert ready.status_code == 200, ready.text
    assert ready.json() == {
        "status": "ok",
        "checks": {"database": "ok", "migrations": "ok", "workers": "ok"},
        "failed": [],
    }


async def test_metrics_after_a_consultation_with_media(
    http: httpx.AsyncClient,
    consultation: Consultation,
    participant: Callable[[], Participant],
    media_clients: Callable[..., MediaClient],  # noqa: F811
):
    await joined_pair(consultation, participant, media_clients)
    response = await http.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    text = response.text
    for token in [consultation.token, *(s["token"] for s in consultation.sessions.values())]:
        assert token not in text
    opened = samples(text, "hocovisio_http_request_duration_seconds_count")
    route = '{method="GET",route="/session/<onetoone_token>/<session_token>",status="200"}'
    assert opened[route] >= 2
    assert samples(text, "hocovisio_open_sockets")[""] >= 2
    assert samples(text, "hocovisio_consultations_active")[""] >= 1
    assert samples(text, "hocovisio_consultations_connected")[""] >= 1
    assert samples(text, "hocovisio_sfu_workers_alive")[""] == SFU_WORKERS
    assert samples(text, "hocovisio_sfu_worker_restarts_total")[""] >= 0
    assert samples(text, "hocovisio_cluster_instances")[""] >= 1
    assert samples(text, "hocovisio_cluster_notices_received_total")[""] >= 1  # peerJoined...
    assert samples(text, "hocovisio_media_requests_relayed_total")[""] == 0  # one instance
    assert samples(text, "hocovisio_sfu_routers")[""] >= 1
    assert samples(text, "hocovisio_sfu_transports")[""] >= 4
    assert samples(text, "hocovisio_sfu_producers")[""] >= 4
    assert samples(text, "hocovisio_sfu_consumers")[""] >= 4
    cpu = samples(text, "hocovisio_sfu_worker_cpu_seconds_total")
    assert len(cpu) == 2 * SFU_WORKERS
    assert sum(cpu.values()) > 0
    rss = samples(text, "hocovisio_sfu_worker_max_rss_bytes")
    assert len(rss) == SFU_WORKERS
    assert min(rss.values()) > 1_000_000


@pytest.mark.parametrize("origin", ["https://evil.example", "http://127.0.0.1:1"])
async def test_socket_from_another_origin_is_refused(
    server: RunningServer, participant: Callable[[], Participant], consultation, origin: str
):
    patient = participant()
    await patient.open(consultation.link("patient"))
    with pytest.raises(InvalidStatus) as refused:
        await connect(server.ws_url, additional_headers=patient.auth(), origin=origin)
    assert refused.value.response.status_code == 403


async def test_socket_from_the_same_origin_or_without_origin_is_accepted(
    server: RunningServer, participant: Callable[[], Participant], consultation
):
    patient = participant()
    await patient.open(consultation.link("patient"))
    same = server.base_url
    for origin in (same, None):
        async with connect(server.ws_url, additional_headers=patient.auth(), origin=origin):
            pass

"""Routers, WebRtcServer and transport creation."""

from __future__ import annotations

import pytest

from sfu_control import (
    InvalidStateError,
    Router,
    UnsupportedError,
    WebRtcTransport,
    Worker,
)

from .conftest import MEDIA_CODECS
from .test_media import OPUS_PARAMETERS


async def test_router_rtp_capabilities(router: Router, worker: Worker) -> None:
    codecs = router.rtp_capabilities["codecs"]
    assert [c["mimeType"] for c in codecs] == ["audio/opus", "video/VP8", "video/rtx"]
    opus, vp8, rtx = codecs
    assert opus["kind"] == "audio" and opus["clockRate"] == 48000 and opus["channels"] == 2
    assert opus["preferredPayloadType"] == 100
    assert vp8["preferredPayloadType"] == 101
    assert rtx["parameters"] == {"apt": 101}
    assert {"type": "nack", "parameter": "pli"} in vp8["rtcpFeedback"]
    uris = {e["uri"] for e in router.rtp_capabilities["headerExtensions"]}
    assert "urn:ietf:params:rtp-hdrext:sdes:mid" in uris
    assert (await worker.dump())["routerIds"] == [router.id]
    assert (await router.dump())["id"] == router.id


async def test_router_close(worker: Worker) -> None:
    router = await worker.create_router(MEDIA_CODECS)
    closed: list[bool] = []
    router.observer.on("close", lambda: closed.append(True))
    router.close()
    assert router.closed and closed == [True]
    assert worker.routers == {}
    assert (await worker.dump())["routerIds"] == []
    with pytest.raises(InvalidStateError):
        await router.create_direct_transport()


async def test_unsupported_codec(worker: Worker) -> None:
    with pytest.raises(UnsupportedError):
        await worker.create_router(
            [{"kind": "video", "mimeType": "video/H263", "clockRate": 90000}]
        )


def check_webrtc_params(transport: WebRtcTransport) -> None:
    ice = transport.ice_parameters
    assert ice["usernameFragment"] and ice["password"] and ice["iceLite"] is True
    assert transport.ice_role == "controlled"
    assert transport.ice_state == "new" and transport.dtls_state == "new"
    assert transport.ice_candidates
    for candidate in transport.ice_candidates:
        assert candidate["ip"] == "127.0.0.1" and candidate["port"] > 0
        assert candidate["type"] == "host" and candidate["protocol"] in ("udp", "tcp")
    dtls = transport.dtls_parameters
    assert dtls["role"] == "auto"
    assert {f["algorithm"] for f in dtls["fingerprints"]} >= {"sha-256"}


async def test_webrtc_transport_with_listen_infos(router: Router) -> None:
    transport = await router.create_webrtc_transport(
        listen_infos=[
            {"protocol": "udp", "ip": "127.0.0.1"},
            {"protocol": "tcp", "ip": "127.0.0.1"},
        ],
        enable_tcp=True,
    )
    check_webrtc_params(transport)
    assert {c["protocol"] for c in transport.ice_candidates} == {"udp", "tcp"}
    old_ice = transport.ice_parameters
    new_ice = await transport.restart_ice()
    assert new_ice["usernameFragment"] != old_ice["usernameFragment"]
    assert transport.ice_parameters == new_ice
    await transport.set_max_incoming_bitrate(1_500_000)
    await transport.set_max_outgoing_bitrate(2_000_000)
    stats = (await transport.get_stats())[0]
    assert stats["type"] == "webrtc-transport" and stats["transportId"] == transport.id
    assert stats["iceState"] == "new" and stats["maxIncomingBitrate"] == 1_500_000
    # connect() only stores the remote fingerprint: no DTLS packet is exchanged.
    await transport.connect(
        {"role": "client", "fingerprints": [{"algorithm": "sha-256", "value": "AB:" * 31 + "CD"}]}
    )
    assert transport.dtls_parameters["role"] == "server"
    assert (await transport.dump())["id"] == transport.id
    transport.close()
    assert transport.closed and transport.ice_state == "closed"
    assert router.transports == {}


async def test_webrtc_transport_with_webrtc_server(worker: Worker, router: Router) -> None:
    server = await worker.create_webrtc_server([{"protocol": "udp", "ip": "127.0.0.1", "port": 0}])
    port = (await server.dump())["udpSockets"][0]["port"]
    transport = await router.create_webrtc_transport(webrtc_server=server)
    check_webrtc_params(transport)
    assert [c["port"] for c in transport.ice_candidates] == [port]
    assert server.webrtc_transports == {transport.id: transport}
    assert (await server.dump())["webRtcTransportIds"] == [transport.id]
    # Closing the server closes its transports (on both sides).
    server.close()
    assert transport.closed and router.transports == {}
    assert worker.webrtc_servers == {}
    assert (await router.dump())["transportIds"] == []


async def test_webrtc_transport_needs_exactly_one_listen_source(router: Router) -> None:
    with pytest.raises(TypeError):
        await router.create_webrtc_transport()


async def test_plain_pipe_direct_transports_and_observers(router: Router) -> None:
    plain = await router.create_plain_transport(listen_info={"ip": "127.0.0.1"}, comedia=True)
    assert plain.tuple["localIp"] == "127.0.0.1" and plain.tuple["localPort"] > 0
    assert plain.comedia and plain.rtcp_mux
    pipe = await router.create_pipe_transport(listen_info={"ip": "127.0.0.1"})
    assert pipe.tuple["localPort"] > 0
    direct = await router.create_direct_transport()
    assert (await direct.get_stats())[0]["type"] == "direct-transport"
    audio_level = await router.create_audio_level_observer(interval=500)
    speaker = await router.create_active_speaker_observer()
    await audio_level.pause()
    await audio_level.resume()
    dump = await router.dump()
    assert set(dump["transportIds"]) == {plain.id, pipe.id, direct.id}
    assert set(dump["rtpObserverIds"]) == {audio_level.id, speaker.id}
    speaker.close()
    assert set(router.rtp_observers) == {audio_level.id}


async def test_each_transport_kind_dumps_the_worker_state_and_its_own_fields(
    router: Router,
) -> None:
    """dump() asks the worker again: the base dump (ids, producers) plus the kind's fields."""
    webrtc = await router.create_webrtc_transport(listen_infos=[{"ip": "127.0.0.1"}])
    plain = await router.create_plain_transport(listen_info={"ip": "127.0.0.1"}, rtcp_mux=False)
    pipe = await router.create_pipe_transport(listen_info={"ip": "127.0.0.1"})
    direct = await router.create_direct_transport()
    producer = await plain.produce("audio", OPUS_PARAMETERS)
    dumps = {t: await t.dump() for t in (webrtc, plain, pipe, direct)}
    for transport, dump in dumps.items():
        assert dump["id"] == transport.id
    assert dumps[plain]["producerIds"] == [producer.id]
    assert dumps[webrtc]["iceParameters"] == webrtc.ice_parameters
    assert dumps[webrtc]["dtlsState"] == "new"
    assert dumps[plain]["tuple"] == plain.tuple and dumps[plain]["rtcpMux"] is False
    assert dumps[plain]["rtcpTuple"]["localPort"] != plain.tuple["localPort"]
    assert dumps[pipe]["tuple"] == pipe.tuple and dumps[pipe]["rtx"] is False
    assert "tuple" not in dumps[direct] and dumps[direct]["direct"] is True

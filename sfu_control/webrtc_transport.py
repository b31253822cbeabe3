"""WebRtcTransport: ICE + DTLS transport to a browser (port of ``WebRtcTransport.ts``)."""

from __future__ import annotations

from typing import Any, Literal, NotRequired, TypedDict

from .errors import ParameterError
from .events import event_names
from .transport import Transport, TransportEvent, TransportObserverEvent
from .transport_data import parse_base_transport_data, parse_base_transport_stats, parse_tuple
from .wire import fbs
from .wire.values import enum_from_str, enum_to_str, s

FingerprintAlgorithm = Literal["sha-1", "sha-224", "sha-256", "sha-384", "sha-512"]
DtlsRole = Literal["auto", "client", "server"]


class DtlsFingerprint(TypedDict):
    algorithm: FingerprintAlgorithm
    value: str


class DtlsParameters(TypedDict):
    fingerprints: list[DtlsFingerprint]
    role: NotRequired[DtlsRole]


FINGERPRINT_TO_FBS: dict[str, int] = {
    "sha-1": fbs.FingerprintAlgorithm.SHA1,
    "sha-224": fbs.FingerprintAlgorithm.SHA224,
    "sha-256": fbs.FingerprintAlgorithm.SHA256,
    "sha-384": fbs.FingerprintAlgorithm.SHA384,
    "sha-512": fbs.FingerprintAlgorithm.SHA512,
}
FINGERPRINT_FROM_FBS = {v: k for k, v in FINGERPRINT_TO_FBS.items()}


def parse_ice_parameters(p: Any) -> dict[str, Any]:
    return {
        "usernameFragment": s(p.usernameFragment),
        "password": s(p.password),
        "iceLite": p.iceLite,
    }


def parse_ice_candidate(c: Any) -> dict[str, Any]:
    candidate: dict[str, Any] = {
        "foundation": s(c.foundation),
        "priority": c.priority,
        "ip": s(c.ip),
        "protocol": enum_to_str(fbs.Protocol, c.protocol),
        "port": c.port,
        "type": "host",
    }
    if c.tcpType is not None:
        candidate["tcpType"] = "passive"
    return candidate


def parse_dtls_parameters(p: Any) -> DtlsParameters:
    result: DtlsParameters = {
        "fingerprints": [
            {"algorithm": FINGERPRINT_FROM_FBS[f.algorithm], "value": s(f.value)}
            for f in p.fingerprints or []
        ]
    }
    if p.role is not None:
        result["role"] = enum_to_str(fbs.DtlsRole, p.role)
    return result


def parse_webrtc_transport_data(d: Any) -> dict[str, Any]:
    """What a WebRtcTransport keeps of the worker's dump when it is created."""
    return {
        **parse_base_transport_data(d.base),
        "iceRole": "controlled",
        "iceParameters": parse_ice_parameters(d.iceParameters),
        "iceCandidates": [parse_ice_candidate(c) for c in d.iceCandidates or []],
        "iceState": enum_to_str(fbs.IceState, d.iceState),
        "iceSelectedTuple": parse_tuple(d.iceSelectedTuple) if d.iceSelectedTuple else None,
        "dtlsParameters": parse_dtls_parameters(d.dtlsParameters),
        "dtlsState": enum_to_str(fbs.DtlsState, d.dtlsState),
    }


def serialize_dtls_parameters(dtls_parameters: DtlsParameters) -> Any:
    """``FBS.WebRtcTransport.DtlsParameters``; malformed ones are a ``ParameterError``."""
    params = fbs.DtlsParametersT()
    params.fingerprints = []
    try:
        for fingerprint in dtls_parameters["fingerprints"]:
            f = fbs.FingerprintT()
            algorithm = fingerprint["algorithm"]
            if algorithm not in FINGERPRINT_TO_FBS:
                raise ParameterError(f"invalid FingerprintAlgorithm: {algorithm}")
            f.algorithm = FINGERPRINT_TO_FBS[algorithm]
            f.value = fingerprint["value"]
            params.fingerprints.append(f)
        params.role = enum_from_str(fbs.DtlsRole, dtls_parameters.get("role") or "auto")
    except (KeyError, TypeError, AttributeError) as error:
        if isinstance(error, ParameterError):
            raise
        raise ParameterError(f"invalid dtlsParameters: {error!r}") from None
    return params


WebRtcTransportEvent = Literal[
    TransportEvent, "icestatechange", "iceselectedtuplechange", "dtlsstatechange"
]
WebRtcTransportObserverEvent = Literal[
    TransportObserverEvent, "icestatechange", "iceselectedtuplechange", "dtlsstatechange"
]


class WebRtcTransport(Transport[WebRtcTransportEvent]):
    """Events (besides Transport's): ``icestatechange``, ``iceselectedtuplechange``,
    ``dtlsstatechange``, ``sctpstatechange`` (same on ``observer``)."""

    EVENTS = event_names(WebRtcTransportEvent)
    OBSERVER_EVENTS = event_names(WebRtcTransportObserverEvent)

    parse_data = staticmethod(parse_webrtc_transport_data)

    @property
    def ice_role(self) -> str:
        return str(self._data["iceRole"])

    @property
    def ice_parameters(self) -> dict[str, Any]:
        return dict(self._data["iceParameters"])

    @property
    def ice_candidates(self) -> list[dict[str, Any]]:
        return list(self._data["iceCandidates"])

    @property
    def ice_state(self) -> str:
        return str(self._data["iceState"])

    @property
    def ice_selected_tuple(self) -> dict[str, Any] | None:
        return self._data.get("iceSelectedTuple")

    @property
    def dtls_parameters(self) -> dict[str, Any]:
        return dict(self._data["dtlsParameters"])

    @property
    def dtls_state(self) -> str:
        return str(self._data["dtlsState"])

    @property
    def dtls_remote_cert(self) -> str | None:
        return self._data.get("dtlsRemoteCert")

    def _mark_closed(self) -> None:
        self._data["iceState"] = "closed"
        self._data["iceSelectedTuple"] = None
        self._data["dtlsState"] = "closed"

    def close(self) -> None:
        if not self.closed:
            self._mark_closed()
        super().close()

    def router_closed(self) -> None:
        if not self.closed:
            self._mark_closed()
        super().router_closed()

    def listen_server_closed(self) -> None:
        if not self.closed:
            self._mark_closed()
        super().listen_server_closed()

    async def get_stats(self) -> list[dict[str, Any]]:
        d = await self._channel.request(fbs.Method.TRANSPORT_GET_STATS, self.id)
        stats = {
            **parse_base_transport_stats(d.base),
            "type": "webrtc-transport",
            "iceRole": enum_to_str(fbs.IceRole, d.iceRole),
            "iceState": enum_to_str(fbs.IceState, d.iceState),
            "dtlsState": enum_to_str(fbs.DtlsState, d.dtlsState),
        }
        if d.iceSelectedTuple is not None:
            stats["iceSelectedTuple"] = parse_tuple(d.iceSelectedTuple)
        return [stats]

    async def connect(self, dtls_parameters: DtlsParameters) -> None:  # type: ignore[override]
        """Give the remote DTLS parameters (fingerprints, role) to the worker."""
        body = fbs.WebRtcConnectRequestT()
        body.dtlsParameters = serialize_dtls_parameters(dtls_parameters)
        d = await self._channel.request(
            fbs.Method.WEBRTCTRANSPORT_CONNECT,
            self.id,
            fbs.RequestBody.WebRtcTransport_ConnectRequest,
            body,
        )
        self._data["dtlsParameters"]["role"] = enum_to_str(fbs.DtlsRole, d.dtlsLocalRole)

    async def restart_ice(self) -> dict[str, Any]:
        """New local ICE username fragment / password, to send to the client."""
        d = await self._channel.request(fbs.Method.TRANSPORT_RESTART_ICE, self.id)
        self._data["iceParameters"] = parse_ice_parameters(d)
        return dict(self._data["iceParameters"])

    def _on_notification(self, event: int, body: Any) -> None:
        if event == fbs.Event.WEBRTCTRANSPORT_ICE_STATE_CHANGE:
            state = enum_to_str(fbs.IceState, body.iceState)
            self._data["iceState"] = state
            self.emit("icestatechange", state)
            self.observer.emit("icestatechange", state)
        elif event == fbs.Event.WEBRTCTRANSPORT_ICE_SELECTED_TUPLE_CHANGE:
            selected = parse_tuple(body.tuple)
            self._data["iceSelectedTuple"] = selected
            self.emit("iceselectedtuplechange", selected)
            self.observer.emit("iceselectedtuplechange", selected)
        elif event == fbs.Event.WEBRTCTRANSPORT_DTLS_STATE_CHANGE:
            state = enum_to_str(fbs.DtlsState, body.dtlsState)
            self._data["dtlsState"] = state
            if state == "connected":
                self._data["dtlsRemoteCert"] = s(body.remoteCert)
            self.emit("dtlsstatechange", state)
            self.observer.emit("dtlsstatechange", state)
        else:
            super()._on_notification(event, body)

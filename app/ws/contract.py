"""The participant socket's contract as an AsyncAPI 3.0 document, served at ``/asyncapi.json``
beside ``/openapi.json``: every request a client sends, its answer, every notification and
every request of the server, each frame a JSON Schema. ``tests/ws/test_contract.py`` checks the
frames of a whole consultation against it, and that it lists every method the socket serves
and every event the service sends.
"""

from typing import Any

from quart import Blueprint

bp = Blueprint("contract", __name__)

Schema = dict[str, Any]

OBJECT: Schema = {"type": "object"}
ID: Schema = {"type": "integer", "minimum": 1}
UUID_STRING: Schema = {"type": "string", "minLength": 1}
ROLE: Schema = {"enum": ["medecin", "patient", "guest"]}
EMPTY: Schema = {"type": "object", "maxProperties": 0}
STATS: Schema = {"type": ["array", "object"]}


def obj(required: dict[str, Schema], optional: dict[str, Schema] | None = None) -> Schema:
    """An object with these properties (``required`` ones must be there)."""
    return {
        "type": "object",
        "required": sorted(required),
        "properties": {**required, **(optional or {})},
    }


SESSION = obj(
    {
        "id": ID,
        "token": {"type": "string"},
        "onetoone_token": {"type": "string"},
        "role": ROLE,
        "token_onetime_used": {"enum": [0, 1]},
        "validate_fromadmin": {"enum": [0, 1]},
    },
    {
        "created_at": {"type": "string"},
        "updated_at": {"type": "string"},
        "device_hint": {"type": ["string", "null"]},
    },
)
# A device holding a link, as the waiting room shows it (``hocovisio_link_holders``).
HOLDER = obj(
    {"id": ID},
    {"device_hint": {"type": ["string", "null"]}, "admitted_at": {"type": ["string", "null"]}},
)
UPLOADED = obj(
    {
        "id": ID,
        "name": {"type": "string"},
        "content_type": {"type": "string"},
        "size": {"type": "integer"},
        "sha256": {"type": "string"},
    },
    {"session_id": {"type": ["integer", "null"]}, "created_at": {"type": "string"}},
)
MESSAGE = obj(
    {
        "id": ID,
        "kind": {"enum": ["text", "document"]},
        "body": {"type": "string"},
        "session_id": {"type": ["integer", "null"]},
        "document_id": {"type": ["integer", "null"]},
        "document": {"oneOf": [{"type": "null"}, UPLOADED]},
        "created_at": {"type": "string"},
    }
)
DEVICE = obj(
    {
        "id": ID,
        "name": {"type": "string"},
        "kind": {"type": "string"},
        "vendor_id": {"type": "string"},
        "product_id": {"type": "string"},
        "media_kind": {"enum": ["video", "audio", "data"]},
        "enabled": {"type": "boolean"},
    }
)
PLUGGED = obj({"device": DEVICE, "node": {"type": ["string", "null"]}, "peerId": ID})
USB = obj(
    {"vendor_id": {"type": "string"}, "product_id": {"type": "string"}},
    {"node": {"type": ["string", "null"]}},
)
MEDIA_STATE = obj(
    {"camera": {"enum": ["on", "off", "none"]}, "microphone": {"enum": ["on", "muted", "none"]}}
)
PEERS = obj(
    {
        "peers": {
            "type": "array",
            "items": obj({"id": ID, "role": ROLE}, {"mediaState": MEDIA_STATE}),
        }
    }
)
TRANSPORT = obj({"transportId": {"type": "string"}})
PRODUCER = obj({"producerId": {"type": "string"}})
CONSUMER = obj({"consumerId": {"type": "string"}})
ICE_SERVERS = {
    "type": "array",
    "items": obj(
        {
            "urls": {"type": "array", "items": {"type": "string"}},
            "username": {"type": "string"},
            "credential": {"type": "string"},
        }
    ),
}
# End-to-end encryption (app.services.e2ee): raw P-256 public keys and AES-KW-wrapped AES-GCM
# keys in unpadded base64url; socket ids as decimal strings (they need 62 bits).
PUBLIC_KEY: Schema = {"type": "string", "pattern": "^[A-Za-z0-9_-]{87}$"}
WRAPPED_KEY: Schema = {"type": "string", "pattern": "^([A-Za-z0-9_-]{32}|[A-Za-z0-9_-]{54})$"}
SOCKET_ID: Schema = {"type": "string", "pattern": "^[0-9]{1,19}$"}
KEY_INDEX: Schema = {"type": "integer", "minimum": 0, "maximum": 255}
SENDER_KEY = {
    "socketId": SOCKET_ID,
    "publicKey": PUBLIC_KEY,
    "index": KEY_INDEX,
    "key": WRAPPED_KEY,
}
CONSUMER_EVENT = obj({"consumerId": {"type": "string"}, "producerId": {"type": "string"}})

# method: (what it does, its data, its answer's data)
CLIENT_REQUESTS: dict[str, tuple[str, Schema, Schema]] = {
    "sendMessage": (
        "post a chat message",
        obj({"text": {"type": "string"}}),
        obj({"message": MESSAGE}),
    ),
    "getPeers": ("the other sessions online, with their media state once known", OBJECT, PEERS),
    "setMediaState": (
        "what this page sends: camera on, off or none, microphone on, muted or none; the"
        " others get mediaState",
        MEDIA_STATE,
        OBJECT,
    ),
    "deviceConnected": ("a station reports a plugged device", USB, obj({"device": DEVICE})),
    "deviceDisconnected": ("a station reports an unplugged device", USB, obj({"device": DEVICE})),
    "announceE2eeKey": (
        "end-to-end encryption: tell the others this socket's public key",
        obj({"publicKey": PUBLIC_KEY}),
        obj({"socketId": SOCKET_ID}),
    ),
    "sendE2eeKey": (
        "end-to-end encryption: hand one validated socket this socket's wrapped sender key",
        obj(SENDER_KEY),
        OBJECT,
    ),
    "getRouterRtpCapabilities": ("the consultation router's RTP capabilities", OBJECT, OBJECT),
    "createWebRtcTransport": (
        "a WebRTC transport, with the TURN relays to try",
        obj(
            {},
            {
                "producing": {"type": "boolean"},
                "consuming": {"type": "boolean"},
                "forceTcp": {"type": "boolean"},
            },
        ),
        obj(
            {
                "id": {"type": "string"},
                "iceParameters": OBJECT,
                "iceCandidates": {"type": "array"},
                "dtlsParameters": OBJECT,
                "iceServers": ICE_SERVERS,
            },
            {"sctpParameters": {"type": ["object", "null"]}},
        ),
    ),
    "connectWebRtcTransport": (
        "the client's DTLS parameters",
        obj({"transportId": {"type": "string"}, "dtlsParameters": OBJECT}),
        OBJECT,
    ),
    "restartIce": ("new ICE parameters for a transport", TRANSPORT, OBJECT),
    "getIceServers": (
        "the TURN relays with a fresh credential",
        OBJECT,
        obj({"iceServers": ICE_SERVERS}),
    ),
    "getTransportStats": ("a transport's statistics", TRANSPORT, STATS),
    "setMaxReceiveBitrate": (
        "cap what the SFU sends on a transport (0 lifts it)",
        obj({"transportId": {"type": "string"}, "bitrate": {"type": "integer", "minimum": 0}}),
        OBJECT,
    ),
    "join": ("join the media room", obj({"rtpCapabilities": OBJECT}), PEERS),
    "produce": (
        "send a track",
        obj(
            {
                "transportId": {"type": "string"},
                "kind": {"enum": ["audio", "video"]},
                "rtpParameters": OBJECT,
            },
            {"appData": OBJECT},
        ),
        obj({"id": {"type": "string"}}),
    ),
    "closeProducer": ("stop sending a track", PRODUCER, OBJECT),
    "pauseProducer": ("pause a track sent", PRODUCER, OBJECT),
    "resumeProducer": ("resume a track sent", PRODUCER, OBJECT),
    "getProducerStats": ("a producer's statistics", PRODUCER, STATS),
    "pauseConsumer": ("pause a track received", CONSUMER, OBJECT),
    "resumeConsumer": ("resume a track received", CONSUMER, OBJECT),
    "getConsumerStats": ("a consumer's statistics", CONSUMER, STATS),
    "requestConsumerKeyFrame": ("ask for a key frame of a video received", CONSUMER, OBJECT),
    "setConsumerPreferredLayers": (
        "the simulcast layers wanted",
        obj(
            {"consumerId": {"type": "string"}, "spatialLayer": {"type": "integer"}},
            {"temporalLayer": {"type": "integer"}},
        ),
        OBJECT,
    ),
}

# method: (when it comes, its data)
NOTIFICATIONS: dict[str, tuple[str, Schema]] = {
    "newSessionToValidate": (
        "to the doctor: a client waits; replaces: the devices admitting it with replace would"
        " put out of the consultation",
        obj({"session": SESSION, "replaces": {"type": "array", "items": HOLDER}}),
    ),
    "newSessionIsValidate": ("to the waiting client: admitted", obj({"session": SESSION})),
    "sessionRefused": (
        "to the waiting client the doctor refused, whose socket then closes (4003), and to the"
        " doctor",
        obj({"sessionId": ID}),
    ),
    "waitingRoomLeft": (
        "to the doctor and to the client: a client left the waiting room (POST /session/leave,"
        " or its page gone); its socket then closes (4004)",
        obj({"sessionId": ID}),
    ),
    "sessionReplaced": (
        "to the device that held the link when the doctor admits another in its place; the"
        " socket then closes (4002) and its credential stops working",
        obj({"sessionId": ID, "by": ID}),
    ),
    "infoUpdate": (
        "the form changed",
        obj({"id": ID, "data": OBJECT, "session_id": ID, "role": ROLE}),
    ),
    "newMessage": ("a chat message or a document", obj({"message": MESSAGE})),
    "peerJoined": ("a session came online", obj({"peerId": ID, "role": ROLE})),
    "peerLeft": ("a session went offline", obj({"peerId": ID})),
    "consultationEnded": (
        "the consultation ended; the socket closes (4000)",
        obj({"reason": {"enum": ["killed", "expired", "idle"]}}),
    ),
    "serverShutdown": (
        "the service is stopping; the socket closes (4000)",
        obj({"reconnect": {"type": "boolean"}}),
    ),
    "mediaReset": (
        "the media worker died: create the transports and join again",
        obj({"reason": {"type": "string"}}),
    ),
    "e2eeKey": (
        "end-to-end encryption: another socket's public key; answer it with sendE2eeKey",
        obj({"peerId": ID, "socketId": SOCKET_ID, "role": ROLE, "publicKey": PUBLIC_KEY}),
    ),
    "e2eeSenderKey": (
        "end-to-end encryption: another socket's sender key, wrapped for this socket alone",
        obj({"peerId": ID, "role": ROLE, **SENDER_KEY}),
    ),
    "deviceConnected": ("a station's device was plugged", PLUGGED),
    "deviceDisconnected": ("a station's device was unplugged", PLUGGED),
    "consumerClosed": ("a track received ended", CONSUMER_EVENT),
    "producerPaused": ("a track received was paused by its sender", CONSUMER_EVENT),
    "producerResumed": ("a track received was resumed by its sender", CONSUMER_EVENT),
    "mediaState": (
        "what another participant's page sends now (none: no device, or permission refused)",
        obj(
            {
                "peerId": ID,
                "camera": {"enum": ["on", "off", "none"]},
                "microphone": {"enum": ["on", "muted", "none"]},
            }
        ),
    ),
    "connectionQuality": (
        "a participant's connection quality changed (its own too), from the SFU's scores of"
        " what it sends and receives; at most one per participant every 2 s, and the last"
        " ones known when joining",
        obj({"peerId": ID, "quality": {"enum": ["good", "fair", "poor", "lost"]}}),
    ),
    "activeSpeaker": (
        "who speaks",
        obj({"peerId": {"type": ["integer", "null"]}, "producerId": {"type": "string"}}),
    ),
    "consumerLayersChanged": (
        "the simulcast layers sent now (null: none)",
        obj(
            {
                "consumerId": {"type": "string"},
                "producerId": {"type": "string"},
                "spatialLayer": {"type": ["integer", "null"]},
                "temporalLayer": {"type": ["integer", "null"]},
            }
        ),
    ),
}

SERVER_REQUESTS: dict[str, tuple[str, Schema, Schema]] = {
    "newConsumer": (
        "receive a track: the consumer starts once answered",
        obj(
            {
                "peerId": ID,
                "producerId": {"type": "string"},
                "id": {"type": "string"},
                "kind": {"enum": ["audio", "video"]},
                "rtpParameters": OBJECT,
                "type": {"type": "string"},
                "appData": OBJECT,
                "producerPaused": {"type": "boolean"},
            }
        ),
        OBJECT,
    ),
}


def request_frame(method: str, data: Schema) -> Schema:
    return obj(
        {
            "request": {"const": True},
            "id": {"type": "integer"},
            "method": {"const": method},
            "data": data,
        }
    )


def answer_frame(data: Schema) -> Schema:
    """``ok: true`` with ``data``, or ``ok: false`` with the reason."""
    return {
        "oneOf": [
            obj(
                {
                    "response": {"const": True},
                    "id": {"type": "integer"},
                    "ok": {"const": True},
                    "data": data,
                }
            ),
            obj(
                {
                    "response": {"const": True},
                    "id": {"type": ["integer", "null"]},
                    "ok": {"const": False},
                    "errorReason": {"type": "string"},
                }
            ),
        ]
    }


def notification_frame(method: str, data: Schema) -> Schema:
    return obj({"notification": {"const": True}, "method": {"const": method}, "data": data})


def document() -> dict[str, Any]:
    """The AsyncAPI 3.0 document of the participant socket."""
    messages: dict[str, Any] = {}
    operations: dict[str, Any] = {}

    def add(name: str, summary: str, payload: Schema, action: str) -> None:
        messages[name] = {"name": name, "summary": summary, "payload": payload}
        operations[name] = {
            "action": action,
            "channel": {"$ref": "#/channels/participant"},
            "messages": [{"$ref": f"#/channels/participant/messages/{name}"}],
        }

    for method, (summary, data, answer) in CLIENT_REQUESTS.items():
        add(f"request.{method}", summary, request_frame(method, data), "receive")
        add(f"answer.{method}", f"the answer to {method}", answer_frame(answer), "send")
    for method, (summary, data) in NOTIFICATIONS.items():
        add(f"notification.{method}", summary, notification_frame(method, data), "send")
    for method, (summary, data, answer) in SERVER_REQUESTS.items():
        add(f"serverRequest.{method}", summary, request_frame(method, data), "send")
        add(
            f"serverAnswer.{method}",
            f"the client's answer to {method}",
            answer_frame(answer),
            "receive",
        )
    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": "HOCOVISIO participant socket",
            "version": "1",
            "description": (
                "One WebSocket per participant session at /ws (subprotocol protoo), "
                "authenticated by the session's credential (cookie or bearer). JSON frames: "
                "requests {request, id, method, data}, answers {response, id, ok, data | "
                "errorReason}, notifications {notification, method, data}. The server's "
                "close codes: 4000 ended or stopping, 4001 too slow a reader, 4002 replaced by "
                "a newer socket of the session or by another device, 4003 refused by the "
                "doctor, 4004 left the waiting room, 1009 a frame over the socket's cap, 1008 "
                "frames faster than the session's byte budget."
            ),
        },
        "channels": {
            "participant": {
                "address": "/ws",
                "messages": {name: {"$ref": f"#/components/messages/{name}"} for name in messages},
            }
        },
        "operations": operations,
        "components": {"messages": messages},
    }


ASYNCAPI = document()


@bp.get("/asyncapi.json")
async def asyncapi() -> dict[str, Any]:
    return ASYNCAPI

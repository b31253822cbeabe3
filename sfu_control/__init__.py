"""Python controller of the mediasoup 3.13.16 C++ worker (a port of mediasoup's
Node library: the part that talks to the worker over its FlatBuffers channel).

RTP parameters and capabilities are plain dicts in the mediasoup-client JSON
shape (camelCase keys), so they can travel as-is to clients; their ``TypedDict``s
are exported here. Applications import from this package only: the modules
behind it, and ``wire`` (the channel, flatc's bindings and the codec), may change.
"""

from .consumer import Consumer
from .data_consumer import DataConsumer
from .data_producer import DataProducer
from .direct_transport import DirectTransport
from .errors import (
    CodecError,
    InvalidStateError,
    NotFoundError,
    ParameterError,
    UnknownEventError,
    UnsupportedError,
    WorkerError,
    WorkerTimeoutError,
    WorkerTypeError,
)
from .events import EventEmitter
from .ortc import validate_rtp_capabilities
from .pipe_transport import PipeTransport
from .plain_transport import PlainTransport
from .pool import PoolStats, WorkerPool
from .producer import Producer
from .router import Router
from .rtp_observer import ActiveSpeakerObserver, AudioLevelObserver, RtpObserver
from .rtp_parameters import (
    MediaKind,
    RtpCapabilities,
    RtpCodecCapability,
    RtpCodecParameters,
    RtpEncodingParameters,
    RtpHeaderExtensionParameters,
    RtpParameters,
)
from .sctp_parameters import NumSctpStreams, SctpParameters, SctpStreamParameters
from .srtp_parameters import SrtpParameters
from .transport import Transport
from .transport_data import TransportListenInfo, TransportTuple
from .webrtc_server import WebRtcServer
from .webrtc_transport import DtlsParameters, WebRtcTransport
from .wire.worker_log import WORKER_LOG, WorkerLog
from .worker import (
    MEDIASOUP_VERSION,
    Worker,
    WorkerDiedError,
    WorkerExit,
    WorkerSettings,
    create_worker,
)

__all__ = [
    "MEDIASOUP_VERSION",
    "WORKER_LOG",
    "ActiveSpeakerObserver",
    "AudioLevelObserver",
    "CodecError",
    "Consumer",
    "DataConsumer",
    "DataProducer",
    "DirectTransport",
    "DtlsParameters",
    "EventEmitter",
    "InvalidStateError",
    "MediaKind",
    "NotFoundError",
    "NumSctpStreams",
    "ParameterError",
    "PipeTransport",
    "PlainTransport",
    "PoolStats",
    "Producer",
    "Router",
    "RtpCapabilities",
    "RtpCodecCapability",
    "RtpCodecParameters",
    "RtpEncodingParameters",
    "RtpHeaderExtensionParameters",
    "RtpObserver",
    "RtpParameters",
    "SctpParameters",
    "SctpStreamParameters",
    "SrtpParameters",
    "Transport",
    "TransportListenInfo",
    "TransportTuple",
    "UnknownEventError",
    "UnsupportedError",
    "WebRtcServer",
    "WebRtcTransport",
    "Worker",
    "WorkerDiedError",
    "WorkerError",
    "WorkerExit",
    "WorkerLog",
    "WorkerPool",
    "WorkerSettings",
    "WorkerTimeoutError",
    "WorkerTypeError",
    "create_worker",
    "validate_rtp_capabilities",
]

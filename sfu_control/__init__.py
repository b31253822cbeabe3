"""Python controller of the mediasoup 3.13.16 C++ worker (a port of mediasoup's
Node library: the part that talks to the worker over its FlatBuffers channel).

RTP parameters and capabilities are plain dicts in the mediasoup-client JSON
shape (camelCase keys), so they can travel as-is to clients.
"""

from .consumer import Consumer
from .data_consumer import DataConsumer
from .data_producer import DataProducer
from .direct_transport import DirectTransport
from .errors import (
    CodecError,
    InvalidStateError,
    UnsupportedError,
    WorkerError,
    WorkerTimeoutError,
    WorkerTypeError,
)
from .events import EventEmitter
from .pipe_transport import PipeTransport
from .plain_transport import PlainTransport
from .pool import PoolStats, WorkerPool
from .producer import Producer
from .router import Router
from .rtp_observer import ActiveSpeakerObserver, AudioLevelObserver, RtpObserver
from .transport import Transport
from .webrtc_server import WebRtcServer
from .webrtc_transport import WebRtcTransport
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
    "ActiveSpeakerObserver",
    "AudioLevelObserver",
    "CodecError",
    "Consumer",
    "DataConsumer",
    "DataProducer",
    "DirectTransport",
    "EventEmitter",
    "InvalidStateError",
    "PipeTransport",
    "PlainTransport",
    "PoolStats",
    "Producer",
    "Router",
    "RtpObserver",
    "Transport",
    "UnsupportedError",
    "WebRtcServer",
    "WebRtcTransport",
    "Worker",
    "WorkerDiedError",
    "WorkerError",
    "WorkerExit",
    "WorkerPool",
    "WorkerSettings",
    "WorkerTimeoutError",
    "WorkerTypeError",
    "create_worker",
]

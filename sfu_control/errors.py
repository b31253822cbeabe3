"""Exceptions raised by sfu_control (mirrors the Node library's errors.ts)."""


class UnsupportedError(Exception):
    """A codec, capability or feature is not supported."""


class InvalidStateError(Exception):
    """The object (or the channel to the worker) is closed."""


class WorkerError(Exception):
    """The worker rejected a request (``Response.accepted == false``)."""


class WorkerTimeoutError(WorkerError, TimeoutError):
    """The worker did not answer a request in time."""


class WorkerTypeError(WorkerError, TypeError):
    """The worker rejected a request with a ``TypeError`` (invalid arguments)."""


class CodecError(ValueError):
    """A channel message cannot be encoded (a value outside its wire type) or decoded."""

"""Exceptions raised by sfu_control (mirrors the Node library's errors.ts).

Bad input from the caller gets ``ParameterError`` (or ``NotFoundError``, an
unknown id), ``UnsupportedError`` (a codec or capability the router lacks) or
``CodecError`` (a value outside its wire type): an application may forward their
messages to whoever sent the input. Any other exception out of sfu_control is a
bug or a worker failure, not the caller's doing.
"""


class ParameterError(TypeError):
    """A parameter of the wrong shape, type or value.

    A ``TypeError``, as the Node library throws ``TypeError`` for these.
    """


class NotFoundError(ParameterError, KeyError):
    """No object with the given id (a producer to consume, a data producer...)."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""  # not KeyError's repr()


class UnknownEventError(LookupError):
    """``on()`` / ``emit()`` of an event name the emitter does not declare: a typo."""


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

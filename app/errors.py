"""``Refused``: the one exception for a request the service will not serve, and why.

A rule anywhere (a service, a media check, a parser) raises ``Refused(status, msg)``; it is
turned into an answer in exactly two places: ``app.http.errors`` (JSON ``{msg}`` with the
status) and ``app.ws.hub`` (a protoo response ``ok: false`` with ``errorReason: msg``, where
the status is not sent). Nothing here imports a web framework, so every layer may raise it.
"""


class Refused(Exception):
    """A refusal the client may read: ``msg`` says why, ``status`` is its HTTP status;
    ``retry_after``, when set, the seconds after which the same request may be served."""

    def __init__(self, status: int, msg: str, retry_after: float | None = None) -> None:
        super().__init__(msg)
        self.status = status
        self.msg = msg
        self.retry_after = retry_after

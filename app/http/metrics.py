"""HTTP's part of the metrics: each request timed, labelled with its route pattern
(``/session/<onetoone_token>/...``, never its path, which carries tokens), and the open
WebSocket connections counted. The registry is ``app.runtime.metrics``."""

import time
from typing import Any

from quart import Quart, Response, g, request

from app.runtime.metrics import Metrics


class _SocketCounter:
    """ASGI middleware: counts the open WebSocket connections."""

    def __init__(self, app: Any, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "websocket":
            await self.app(scope, receive, send)
            return
        self.metrics.open_sockets += 1
        try:
            await self.app(scope, receive, send)
        finally:
            self.metrics.open_sockets -= 1


def install(app: Quart, metrics: Metrics) -> None:
    """Time every HTTP request into ``metrics``, and count the sockets."""
    app.asgi_app = _SocketCounter(app.asgi_app, metrics)  # type: ignore[method-assign]

    @app.before_request
    async def start_timer() -> None:
        g.started = time.perf_counter()

    # One histogram child per (route pattern, method, status), looked up once: a bounded set.
    children: dict[tuple[str, str, int], Any] = {}

    @app.after_request
    async def observe(response: Response) -> Response:
        started = g.get("started")
        if started is not None:
            route = request.url_rule.rule if request.url_rule is not None else "unmatched"
            key = (route, request.method, response.status_code)
            child = children.get(key)
            if child is None:
                child = children[key] = metrics.latency.labels(route, key[1], str(key[2]))
            child.observe(time.perf_counter() - started)
        return response

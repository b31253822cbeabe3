"""Prometheus metrics: HTTP latency by route, sockets, consultations, the SFU and its workers.

HTTP requests are labelled with their route pattern (``/session/<onetoone_token>/...``),
never their path, which carries tokens. The SFU figures (worker CPU and memory, routers,
transports, producers, consumers) are read when Prometheus scrapes, not kept up to date.
"""

import asyncio
import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from prometheus_client import CollectorRegistry, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from quart import Quart, Response, g, request
from sqlalchemy import func
from sqlmodel import select

from app.models import OneToOne
from app.state import AppState
from sfu_control.worker import Worker

log = logging.getLogger(__name__)

RESOURCE_USAGE_TIMEOUT = 2.0


@dataclass
class Snapshot:
    """What one scrape reports, gathered just before the registry is rendered."""

    gauges: dict[str, tuple[str, float]] = field(default_factory=dict)
    counters: dict[str, tuple[str, float]] = field(default_factory=dict)
    workers: list[tuple[int, dict[str, int]]] = field(default_factory=list)


class _ScrapeCollector(Collector):
    def __init__(self) -> None:
        self.snapshot = Snapshot()

    def collect(self) -> Iterator[Metric]:
        for name, (doc, value) in self.snapshot.gauges.items():
            yield GaugeMetricFamily(name, doc, value=value)
        for name, (doc, value) in self.snapshot.counters.items():
            yield CounterMetricFamily(name, doc, value=value)
        cpu = CounterMetricFamily(
            "hocovisio_sfu_worker_cpu_seconds", "CPU time of each worker", labels=["worker", "mode"]
        )
        rss = GaugeMetricFamily(
            "hocovisio_sfu_worker_max_rss_bytes", "peak resident memory", labels=["worker"]
        )
        for index, usage in self.snapshot.workers:
            # The worker reports its times in milliseconds and ru_maxrss in KiB (Linux).
            cpu.add_metric([str(index), "user"], usage.get("ru_utime", 0) / 1000)
            cpu.add_metric([str(index), "system"], usage.get("ru_stime", 0) / 1000)
            rss.add_metric([str(index)], usage.get("ru_maxrss", 0) * 1024)
        yield cpu
        yield rss


class _SocketCounter:
    """ASGI middleware: counts the open WebSocket connections."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.open = 0

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "websocket":
            await self.app(scope, receive, send)
            return
        self.open += 1
        try:
            await self.app(scope, receive, send)
        finally:
            self.open -= 1


class Metrics:
    def __init__(self, app: Quart) -> None:
        self.registry = CollectorRegistry()
        self.latency = Histogram(
            "hocovisio_http_request_duration_seconds",
            "HTTP request latency, by route pattern, method and status",
            ["route", "method", "status"],
            registry=self.registry,
        )
        self._scrape = _ScrapeCollector()
        self.registry.register(self._scrape)
        self._sockets = _SocketCounter(app.asgi_app)
        app.asgi_app = self._sockets  # type: ignore[method-assign]

    async def render(self, hocovisio: AppState) -> bytes:
        self._scrape.snapshot = await _snapshot(hocovisio, self._sockets.open)
        return generate_latest(self.registry)


async def _usage(index: int, worker: Worker) -> tuple[int, dict[str, int]] | None:
    try:
        usage = await asyncio.wait_for(worker.get_resource_usage(), RESOURCE_USAGE_TIMEOUT)
    except Exception as error:
        log.warning("no resource usage from worker %d: %s", index, error)
        return None
    return index, usage


async def _snapshot(hocovisio: AppState, open_sockets: int) -> Snapshot:
    pool = hocovisio.media.pool
    stats = pool.stats()
    workers = pool.workers
    routers = [router for worker in workers for router in worker.routers.values()]
    transports = [t for router in routers for t in router.transports.values()]
    async with hocovisio.db() as db:
        active = (
            await db.exec(select(func.count()).where(OneToOne.status == "active"))  # type: ignore[call-overload]
        ).one()
    usages = await asyncio.gather(
        *(_usage(worker.app_data.get("index", n), worker) for n, worker in enumerate(workers))
    )
    snapshot = Snapshot(workers=[usage for usage in usages if usage is not None])
    snapshot.gauges = {
        "hocovisio_open_sockets": ("open participant WebSockets", open_sockets),
        "hocovisio_consultations_active": ("consultations not ended (database)", active),
        "hocovisio_consultations_connected": (
            "consultations with an open socket here",
            len(hocovisio.broker.consultations()),
        ),
        "hocovisio_sfu_workers": ("configured worker processes", stats.size),
        "hocovisio_sfu_workers_alive": ("running worker processes", stats.live_workers),
        "hocovisio_sfu_routers": ("routers (one per consultation with media)", len(routers)),
        "hocovisio_sfu_transports": ("WebRTC transports", len(transports)),
        "hocovisio_sfu_producers": (
            "producers (tracks sent by participants)",
            sum(len(t.producers) for t in transports),
        ),
        "hocovisio_sfu_consumers": (
            "consumers (tracks sent to participants)",
            sum(len(t.consumers) for t in transports),
        ),
    }
    snapshot.counters = {
        "hocovisio_sfu_worker_restarts": ("workers respawned after dying", stats.respawns),
    }
    return snapshot


def install(app: Quart) -> Metrics:
    """Time every HTTP request; return the metrics, for the ``/metrics`` view."""
    metrics = Metrics(app)

    @app.before_request
    async def start_timer() -> None:
        g.started = time.perf_counter()

    @app.after_request
    async def observe(response: Response) -> Response:
        started = g.get("started")
        if started is not None:
            route = request.url_rule.rule if request.url_rule is not None else "unmatched"
            metrics.latency.labels(route, request.method, str(response.status_code)).observe(
                time.perf_counter() - started
            )
        return response

    app.extensions["hocovisio_metrics"] = metrics
    return metrics

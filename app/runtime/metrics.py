"""Prometheus metrics: HTTP latency by route, sockets, consultations, webhooks, the SFU and its
workers.

The registry is the running service's (``AppState.metrics``); ``app.http.metrics`` times the
requests and counts the sockets into it. The SFU figures (worker CPU and memory, routers,
transports, producers, consumers) and the consultations are read when Prometheus scrapes,
not kept up to date.
"""

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field

from prometheus_client import CollectorRegistry, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import func, text
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.media.rooms import MediaRooms
from app.persistence.models import OneToOne
from app.realtime.broker import Broker
from app.services import webhooks
from sfu_control import WORKER_LOG

LIVE_INSTANCES = "SELECT count(*) FROM instance WHERE lease_until > now()"


@dataclass(frozen=True)
class ClusterCounts:
    """This process's traffic with the other instances, so far."""

    notices: int
    relayed: int


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


class Metrics:
    """The service's registry: the latency histogram, the open sockets, and the figures read
    at each scrape."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.latency = Histogram(
            "hocovisio_http_request_duration_seconds",
            "HTTP request latency, by route pattern, method and status",
            ["route", "method", "status"],
            registry=self.registry,
        )
        self.open_sockets = 0
        # Webhook posts by outcome (delivered, failed, dead), counted by this process.
        self.webhook_posts: Counter[str] = Counter()
        self._scrape = _ScrapeCollector()
        self.registry.register(self._scrape)

    async def render(
        self,
        db: async_sessionmaker[AsyncSession],
        broker: Broker,
        media: MediaRooms,
        cluster: ClusterCounts,
    ) -> bytes:
        self._scrape.snapshot = await self._snapshot(db, broker, media, cluster)
        return generate_latest(self.registry)

    async def _snapshot(
        self,
        db: async_sessionmaker[AsyncSession],
        broker: Broker,
        media: MediaRooms,
        cluster: ClusterCounts,
    ) -> Snapshot:
        stats = media.stats()
        async with db() as session:
            active = (
                await session.exec(select(func.count()).where(OneToOne.status == "active"))  # type: ignore[call-overload]
            ).one()
            backlog = (await session.execute(text(webhooks.BACKLOG))).one()
            instances = (await session.execute(text(LIVE_INSTANCES))).scalar_one()
        snapshot = Snapshot(workers=await media.worker_usage())
        snapshot.gauges = {
            "hocovisio_open_sockets": ("open participant WebSockets", self.open_sockets),
            "hocovisio_consultations_active": ("consultations not ended (database)", active),
            "hocovisio_consultations_connected": (
                "consultations with an open socket here",
                len(broker.consultations()),
            ),
            "hocovisio_webhook_deliveries_pending": (
                "webhook deliveries not yet made, retries included (database)",
                backlog.pending,
            ),
            "hocovisio_webhook_deliveries_dead": (
                "webhook deliveries given up after their last attempt (database)",
                backlog.dead,
            ),
            "hocovisio_cluster_instances": (
                "instances serving on the database, this one included (database)",
                instances,
            ),
            "hocovisio_sfu_workers": ("configured worker processes", stats.workers),
            "hocovisio_sfu_workers_alive": ("running worker processes", stats.workers_alive),
            "hocovisio_sfu_routers": ("routers (one per consultation with media)", stats.routers),
            "hocovisio_sfu_transports": ("WebRTC transports", stats.transports),
            "hocovisio_sfu_producers": (
                "producers (tracks sent by participants)",
                stats.producers,
            ),
            "hocovisio_sfu_consumers": (
                "consumers (tracks sent to participants)",
                stats.consumers,
            ),
        }
        snapshot.counters = {
            "hocovisio_sfu_worker_restarts": ("workers respawned after dying", stats.respawns),
            "hocovisio_sfu_log_lines": (
                "log lines of the SFU workers received by this process, logged or not",
                sum(WORKER_LOG.totals.values()),
            ),
            "hocovisio_sfu_log_lines_held": (
                "SFU worker log lines counted in a summary instead of logged (a flood of one"
                " kind: hostile packets at the RTC port, as often as not)",
                WORKER_LOG.held,
            ),
            "hocovisio_cluster_notices_received": (
                "event notifications received from the database, by this process",
                cluster.notices,
            ),
            "hocovisio_media_requests_relayed": (
                "media requests forwarded to their consultation's home on another instance",
                cluster.relayed,
            ),
            "hocovisio_webhook_posts_delivered": (
                "webhook posts answered 2xx, by this process",
                self.webhook_posts["delivered"],
            ),
            "hocovisio_webhook_posts_failed": (
                "webhook posts that failed and will be retried, by this process",
                self.webhook_posts["failed"],
            ),
            "hocovisio_webhook_posts_dead": (
                "webhook posts that failed for the last time, by this process",
                self.webhook_posts["dead"],
            ),
        }
        return snapshot

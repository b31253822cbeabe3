"""The service's SFU: a pool of mediasoup workers and one room per live consultation.

A consultation's router is created on the least-loaded worker when its first participant
asks for media, and closed when the consultation is killed or has had no participant for
``sfu_room_empty_timeout`` seconds. When a worker dies the pool respawns it; the rooms it
carried are gone, so their participants are told (``mediaReset``) to join the media again.
The pool stays inside: ``stats()`` and ``worker_usage()`` say what the probes and the metrics
need to know of it.
"""

import asyncio
import logging
from dataclasses import dataclass
from typing import Any

from app.config.settings import Settings
from app.errors import Refused
from app.media.codecs import media_codecs
from app.media.made import made
from app.media.room import MediaLimits, Room
from app.persistence.statements import Statements
from app.realtime.peer import Peer
from app.services import announcements
from sfu_control import (
    Router,
    WebRtcServer,
    WebRtcTransport,
    Worker,
    WorkerPool,
    WorkerSettings,
)

log = logging.getLogger(__name__)

RESOURCE_USAGE_TIMEOUT = 2.0
# A respawn takes well under a second; a client that rejoins on mediaReset waits that out.
WORKER_WAIT_TIMEOUT = 10.0


@dataclass(frozen=True)
class MediaStats:
    """The SFU as this instance runs it, counted now."""

    workers: int  # configured
    workers_alive: int
    respawns: int  # workers respawned after dying
    routers: int  # one per consultation with media
    transports: int
    producers: int
    consumers: int


class MediaRooms:
    def __init__(self, settings: Settings, sql: Statements) -> None:
        self._settings = settings
        self._sql = sql
        self._announcing: set[asyncio.Task[None]] = set()
        self._rooms: dict[int, Room] = {}
        self._creating: dict[int, asyncio.Lock] = {}
        self._idle_timers: dict[int, asyncio.TimerHandle] = {}
        self._servers: dict[Worker, WebRtcServer] = {}
        self._limits = MediaLimits(
            transports=settings.sfu_max_transports,
            producers=settings.sfu_max_producers,
            consumers=settings.sfu_max_consumers,
        )
        self._pool = WorkerPool(
            size=settings.sfu_workers or None,
            settings=WorkerSettings(
                log_level=settings.sfu_log_level, log_tags=list(settings.sfu_log_tags)
            ),
            on_worker_ready=self._worker_ready,
        )
        self._pool.on("died", self._worker_died)

    async def start(self) -> None:
        await self._pool.start()

    async def close(self) -> None:
        for onetoone_id in list(self._rooms):
            self.close_room(onetoone_id)
        await self._pool.close()

    async def _worker_ready(self, index: int, worker: Worker) -> None:
        """Give each worker its WebRtcServer: one port per worker keeps the RTC range small."""
        port = self._settings.sfu_rtc_port + index
        listen: dict[str, Any] = {"ip": self._settings.sfu_listen_ip, "port": port}
        if self._settings.sfu_announced_address:
            listen["announcedAddress"] = self._settings.sfu_announced_address
        self._servers[worker] = await worker.create_webrtc_server(
            [{**listen, "protocol": "udp"}, {**listen, "protocol": "tcp"}]
        )

    def _worker_died(self, worker: Worker, *_: Any) -> None:
        self._servers.pop(worker, None)
        for onetoone_id, room in list(self._rooms.items()):
            if room.router.worker is worker:
                self._forget(onetoone_id)
                self._announce_reset(onetoone_id, "worker died")

    def _announce_reset(self, onetoone_id: int, reason: str) -> None:
        task = asyncio.get_running_loop().create_task(self._reset_logged(onetoone_id, reason))
        self._announcing.add(task)
        task.add_done_callback(self._announcing.discard)

    async def _reset_logged(self, onetoone_id: int, reason: str) -> None:
        try:
            await announcements.media_reset(self._sql, onetoone_id, reason)
        except Exception as error:
            log.warning("mediaReset of consultation %s not published: %s", onetoone_id, error)

    async def room(self, onetoone_id: int) -> Room:
        room = self._rooms.get(onetoone_id)
        if room is not None and not room.closed:
            self._cancel_idle_timer(onetoone_id)
            return room
        async with self._creating.setdefault(onetoone_id, asyncio.Lock()):
            room = self._rooms.get(onetoone_id)
            if room is None or room.closed:
                room = await self._create_room(onetoone_id)
                self._rooms[onetoone_id] = room
        self._creating.pop(onetoone_id, None)
        self._cancel_idle_timer(onetoone_id)
        return room

    async def _create_room(self, onetoone_id: int) -> Room:
        try:
            worker = await self._pool.pick_when_ready(WORKER_WAIT_TIMEOUT)
        except TimeoutError:
            raise Refused(503, "no media worker is running: try again shortly") from None
        router = await made(
            worker.create_router(
                media_codecs(self._settings.sfu_codecs), {"onetoone_id": onetoone_id}
            ),
            Router.close,
        )
        try:
            observer = await router.create_active_speaker_observer()
        except BaseException:
            router.close()  # a request cancelled (its socket gone) or failed: no router left
            raise
        return Room(onetoone_id, router, observer, self._limits)

    async def create_webrtc_transport(
        self, room: Room, *, producing: bool, consuming: bool, force_tcp: bool
    ) -> WebRtcTransport:
        settings = self._settings
        transport = await made(
            room.router.create_webrtc_transport(
                webrtc_server=self._servers[room.router.worker],
                enable_udp=not force_tcp,
                enable_tcp=True,
                prefer_udp=not force_tcp,
                initial_available_outgoing_bitrate=settings.sfu_initial_outgoing_bitrate,
                app_data={"producing": producing, "consuming": consuming},
            ),
            WebRtcTransport.close,
        )
        try:
            await transport.set_max_incoming_bitrate(settings.sfu_max_incoming_bitrate)
        except BaseException:
            transport.close()
            raise
        return transport

    def leave(self, peer: Peer) -> None:
        """A socket closed: close its transports; an empty room closes after the timeout."""
        room = self._rooms.get(peer.onetoone_id)
        if room is None:
            return
        room.leave(peer)
        if not room.peers:
            # One countdown per room, from the last departure: a socket without media leaves
            # an empty room too, and a countdown left behind would close it once in use again.
            self._cancel_idle_timer(peer.onetoone_id)
            self._idle_timers[peer.onetoone_id] = asyncio.get_running_loop().call_later(
                self._settings.sfu_room_empty_timeout, self._close_if_empty, peer.onetoone_id
            )

    def _close_if_empty(self, onetoone_id: int) -> None:
        room = self._rooms.get(onetoone_id)
        if room is not None and not room.peers:
            self.close_room(onetoone_id)

    def close_room(self, onetoone_id: int) -> None:
        room = self._forget(onetoone_id)
        if room is not None:
            room.close()

    def _forget(self, onetoone_id: int) -> Room | None:
        self._cancel_idle_timer(onetoone_id)
        return self._rooms.pop(onetoone_id, None)

    def _cancel_idle_timer(self, onetoone_id: int) -> None:
        timer = self._idle_timers.pop(onetoone_id, None)
        if timer is not None:
            timer.cancel()

    def stats(self) -> MediaStats:
        pool = self._pool.stats()
        routers = [router for worker in self._pool.workers for router in worker.routers.values()]
        transports = [t for router in routers for t in router.transports.values()]
        return MediaStats(
            workers=pool.size,
            workers_alive=pool.live_workers,
            respawns=pool.respawns,
            routers=len(routers),
            transports=len(transports),
            producers=sum(len(t.producers) for t in transports),
            consumers=sum(len(t.consumers) for t in transports),
        )

    async def worker_usage(self) -> list[tuple[int, dict[str, int]]]:
        """Each running worker's index and resource usage (``getrusage``); a worker that does
        not answer in time is left out."""
        workers = self._pool.workers
        usages = await asyncio.gather(
            *(_usage(worker.app_data.get("index", n), worker) for n, worker in enumerate(workers))
        )
        return [usage for usage in usages if usage is not None]


async def _usage(index: int, worker: Worker) -> tuple[int, dict[str, int]] | None:
    try:
        usage = await asyncio.wait_for(worker.get_resource_usage(), RESOURCE_USAGE_TIMEOUT)
    except Exception as error:
        log.warning("no resource usage from worker %d: %s", index, error)
        return None
    return index, usage

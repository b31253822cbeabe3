"""The mediasoup worker subprocess (port of ``Worker.ts``)."""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import logging
import os
import signal
import subprocess
import uuid
from dataclasses import dataclass, field
from typing import Any, Literal

from . import ortc
from .errors import InvalidStateError
from .events import EventEmitter, event_names
from .router import Router
from .transport_data import TransportListenInfo, listen_info_to_fbs
from .webrtc_server import WebRtcServer
from .wire import fbs
from .wire.channel import Channel
from .wire.values import s

logger = logging.getLogger("sfu_control.worker")

MEDIASOUP_VERSION = "3.13.16"
# The worker exits with this code when its command-line settings are invalid.
WRONG_SETTINGS_EXIT_CODE = 42


@dataclass
class WorkerSettings:
    """Command-line settings of a worker (see the Node library's WorkerSettings)."""

    log_level: str = "warn"  # "debug" | "warn" | "error" | "none"
    log_tags: list[str] = field(default_factory=list)
    rtc_min_port: int = 10000
    rtc_max_port: int = 59999
    dtls_certificate_file: str | None = None
    dtls_private_key_file: str | None = None
    libwebrtc_field_trials: str | None = None
    # Defaults to the MEDIASOUP_WORKER_BIN environment variable.
    worker_bin: str | None = None

    def to_args(self) -> list[str]:
        args = [f"--logLevel={self.log_level}"]
        args += [f"--logTag={tag}" for tag in self.log_tags if tag]
        args += [f"--rtcMinPort={self.rtc_min_port}", f"--rtcMaxPort={self.rtc_max_port}"]
        if self.dtls_certificate_file:
            args.append(f"--dtlsCertificateFile={self.dtls_certificate_file}")
        if self.dtls_private_key_file:
            args.append(f"--dtlsPrivateKeyFile={self.dtls_private_key_file}")
        if self.libwebrtc_field_trials:
            args.append(f"--libwebrtcFieldTrials={self.libwebrtc_field_trials}")
        return args


@dataclass(frozen=True)
class WorkerExit:
    """How a worker process ended (exit ``code`` or killing ``signal``)."""

    pid: int
    code: int | None
    signal: int | None

    def __str__(self) -> str:
        return f"[pid:{self.pid}, code:{self.code}, signal:{self.signal}]"


class WorkerDiedError(Exception):
    def __init__(self, exit: WorkerExit) -> None:
        super().__init__(f"worker process died unexpectedly {exit}")
        self.exit = exit


def resolve_worker_bin(settings: WorkerSettings) -> str:
    worker_bin = settings.worker_bin or os.environ.get("MEDIASOUP_WORKER_BIN")
    if not worker_bin:
        raise FileNotFoundError(
            "mediasoup-worker binary unknown: set MEDIASOUP_WORKER_BIN or WorkerSettings.worker_bin"
        )
    if not os.access(worker_bin, os.X_OK):
        raise FileNotFoundError(f"mediasoup-worker binary not executable: {worker_bin}")
    return worker_bin


def _high_fd(fd: int) -> int:
    """Duplicate ``fd`` to a number >= 10 (close-on-exec) and close the original.

    So that dup2()-ing the pipe ends onto 3 and 4 in the child can never
    clobber one of them.
    """
    high = fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 10)
    os.close(fd)
    return high


def _with_channel_fds(read_fd: int, write_fd: int, command: list[str]) -> list[str]:
    """``command``, run with ``read_fd`` and ``write_fd`` as its fds 3 and 4 (the channel's).

    Placing them takes code in the child between fork and exec. A Python ``preexec_fn`` there
    can deadlock in a process with threads (a lock another thread held at the fork stays
    held), and then ``Popen`` blocks the event loop waiting for the exec: it hung a test run
    and would hang the service's respawn. So bash places them (dash only knows fds 0 to 9),
    then execs the worker, which keeps bash's pid.
    """
    place = f"exec 3<&{read_fd} 4>&{write_fd} {read_fd}<&- {write_fd}>&-"
    return ["/bin/bash", "-c", place + '; exec "$@"', "mediasoup-worker", *command]


WorkerEvent = Literal["died", "subprocessclose"]
WorkerObserverEvent = Literal["close", "newrouter", "newwebrtcserver"]


class Worker(EventEmitter[WorkerEvent]):
    """A running ``mediasoup-worker`` process.

    Events: ``died`` (WorkerDiedError), ``subprocessclose``. ``observer``
    events: ``close``, ``newrouter``, ``newwebrtcserver``.
    """

    EVENTS = event_names(WorkerEvent)
    OBSERVER_EVENTS = event_names(WorkerObserverEvent)

    def __init__(self, settings: WorkerSettings, app_data: dict[str, Any] | None = None) -> None:
        super().__init__()
        self.settings = settings
        self.app_data: dict[str, Any] = app_data or {}
        self.observer = EventEmitter(self.OBSERVER_EVENTS)
        self._process: asyncio.subprocess.Process | None = None
        self._channel: Channel | None = None
        self._closed = False
        self._died = False
        self._exit: WorkerExit | None = None
        self._routers: dict[str, Router] = {}
        self._webrtc_servers: dict[str, WebRtcServer] = {}
        self._process_tasks: list[asyncio.Task[Any]] = []

    @classmethod
    async def create(
        cls,
        settings: WorkerSettings | None = None,
        app_data: dict[str, Any] | None = None,
        startup_timeout: float = 10.0,
    ) -> Worker:
        """Spawn a worker and wait for its ``WORKER_RUNNING`` notification."""
        worker = cls(settings or WorkerSettings(), app_data)
        try:
            await worker._spawn(startup_timeout)
        except BaseException:
            # Cancelled while it starts (its pool closing, say): nobody else holds it to close.
            worker.close()
            raise
        return worker

    # ------------------------------------------------------------ properties

    @property
    def pid(self) -> int:
        assert self._process is not None
        return self._process.pid

    @property
    def closed(self) -> bool:
        return self._closed

    @property
    def died(self) -> bool:
        return self._died

    @property
    def exit(self) -> WorkerExit | None:
        """Exit status once the subprocess ended."""
        return self._exit

    @property
    def routers(self) -> dict[str, Router]:
        return dict(self._routers)

    @property
    def webrtc_servers(self) -> dict[str, WebRtcServer]:
        return dict(self._webrtc_servers)

    @property
    def channel(self) -> Channel:
        assert self._channel is not None
        return self._channel

    # ----------------------------------------------------------------- spawn

    async def _spawn(self, startup_timeout: float) -> None:
        worker_bin = resolve_worker_bin(self.settings)
        # fd 3: the worker reads (we write); fd 4: the worker writes (we read).
        worker_read, our_write = os.pipe()
        our_read, worker_write = os.pipe()
        child_read, child_write = _high_fd(worker_read), _high_fd(worker_write)
        env = {"MEDIASOUP_VERSION": MEDIASOUP_VERSION, **os.environ}
        args = self.settings.to_args()
        logger.debug("spawning worker process: %s %s", worker_bin, " ".join(args))
        try:
            self._process = await asyncio.create_subprocess_exec(
                *_with_channel_fds(child_read, child_write, [worker_bin, *args]),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                env=env,
                pass_fds=(child_read, child_write),
            )
        except BaseException:
            os.close(our_read)
            os.close(our_write)
            raise
        finally:
            os.close(child_read)
            os.close(child_write)
        self._channel = Channel(our_read, our_write, self._process.pid)
        running: asyncio.Future[Any] = asyncio.get_running_loop().create_future()

        def on_worker_notification(event: int, _body: Any) -> None:
            if event == fbs.Event.WORKER_RUNNING and not running.done():
                running.set_result(None)

        # Listen before opening: WORKER_RUNNING may be read while open() still awaits.
        self._channel.on(str(self._process.pid), on_worker_notification)
        await self._channel.open()
        waiter: asyncio.Future[Any] = asyncio.ensure_future(self._process.wait())
        self._process_tasks += [
            asyncio.ensure_future(self._pipe_to_log(self._process.stdout, logging.DEBUG)),
            asyncio.ensure_future(self._pipe_to_log(self._process.stderr, logging.ERROR)),
        ]
        done, _ = await asyncio.wait(
            {running, waiter}, timeout=startup_timeout, return_when=asyncio.FIRST_COMPLETED
        )
        if running not in done:
            running.cancel()
            if waiter in done:
                code = waiter.result()
                self._cleanup()
                if code == WRONG_SETTINGS_EXIT_CODE:
                    raise TypeError(f"worker process failed due to wrong settings {self.settings}")
                raise RuntimeError(f"worker process failed unexpectedly [code:{code}]")
            waiter.cancel()
            self.close()
            raise TimeoutError("worker process did not start in time")
        self._channel.remove_all_listeners(str(self._process.pid))
        logger.debug("worker process running [pid:%s]", self._process.pid)
        self._process_tasks.append(asyncio.ensure_future(self._monitor(waiter)))

    async def _pipe_to_log(self, stream: asyncio.StreamReader | None, level: int) -> None:
        if stream is None:
            return
        while line := await stream.readline():
            text = line.decode("utf-8", errors="replace").rstrip()
            if text:
                logger.log(level, "[pid:%s] (%s) %s", self.pid, logging.getLevelName(level), text)

    async def _monitor(self, waiter: asyncio.Future[int]) -> None:
        code = await waiter
        self._exit = WorkerExit(
            pid=self.pid,
            code=code if code >= 0 else None,
            signal=-code if code < 0 else None,
        )
        if not self._closed:
            logger.error("worker process died unexpectedly %s", self._exit)
            self._worker_died(WorkerDiedError(self._exit))
        self.emit("subprocessclose")

    # ------------------------------------------------------------------ close

    def _cleanup(self) -> None:
        self._closed = True
        if self._channel is not None:
            self._channel.close()
        for router in list(self._routers.values()):
            router.worker_closed()
        self._routers.clear()
        for server in list(self._webrtc_servers.values()):
            server.worker_closed()
        self._webrtc_servers.clear()

    def close(self) -> None:
        """Kill the worker (SIGTERM) and close every router / WebRtcServer."""
        if self._closed:
            return
        logger.debug("close() [pid:%s]", self._process.pid if self._process else None)
        if self._process is not None and self._process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                self._process.send_signal(signal.SIGTERM)
        self._cleanup()
        self.observer.emit("close")

    async def wait_closed(self, timeout: float = 5.0) -> None:
        """Wait until the subprocess has exited (after ``close()`` or a crash)."""
        if self._process is not None and self._process.returncode is None:
            try:
                await asyncio.wait_for(self._process.wait(), timeout)
            except TimeoutError:
                self._process.kill()
                await self._process.wait()
        await asyncio.gather(*self._process_tasks, return_exceptions=True)

    def _worker_died(self, error: WorkerDiedError) -> None:
        if self._closed:
            return
        self._died = True
        self._cleanup()
        self.emit("died", error)
        self.observer.emit("close")

    # -------------------------------------------------------------- requests

    def _check_open(self) -> Channel:
        if self._closed or self._channel is None:
            raise InvalidStateError("Worker closed")
        return self._channel

    async def dump(self) -> dict[str, Any]:
        d = await self._check_open().request(fbs.Method.WORKER_DUMP)
        handlers = d.channelMessageHandlers
        result: dict[str, Any] = {
            "pid": d.pid,
            "webRtcServerIds": [s(x) for x in d.webRtcServerIds or []],
            "routerIds": [s(x) for x in d.routerIds or []],
            "channelMessageHandlers": {
                "channelRequestHandlers": [s(x) for x in handlers.channelRequestHandlers or []],
                "channelNotificationHandlers": [
                    s(x) for x in handlers.channelNotificationHandlers or []
                ],
            },
        }
        if d.liburing is not None:
            result["liburing"] = {
                "sqeProcessCount": d.liburing.sqeProcessCount,
                "sqeMissCount": d.liburing.sqeMissCount,
                "userDataMissCount": d.liburing.userDataMissCount,
            }
        return result

    async def get_resource_usage(self) -> dict[str, int]:
        """getrusage() of the worker, keys like Node's (``ru_utime``, ``ru_maxrss``...)."""
        ru = await self._check_open().request(fbs.Method.WORKER_GET_RESOURCE_USAGE)
        return {
            "ru_" + name[2:].lower(): value
            for name, value in vars(ru).items()
            if name.startswith("ru")
        }

    async def update_settings(
        self, log_level: str | None = None, log_tags: list[str] | None = None
    ) -> None:
        body = fbs.UpdateSettingsRequestT()
        body.logLevel = log_level
        body.logTags = log_tags
        await self._check_open().request(
            fbs.Method.WORKER_UPDATE_SETTINGS,
            "",
            fbs.RequestBody.Worker_UpdateSettingsRequest,
            body,
        )
        if log_level is not None:
            self.settings.log_level = log_level
        if log_tags is not None:
            self.settings.log_tags = list(log_tags)

    async def create_webrtc_server(
        self, listen_infos: list[TransportListenInfo], app_data: dict[str, Any] | None = None
    ) -> WebRtcServer:
        """A WebRtcServer: one UDP/TCP port shared by many WebRtcTransports."""
        channel = self._check_open()
        server_id = str(uuid.uuid4())
        body = fbs.CreateWebRtcServerRequestT()
        body.webRtcServerId = server_id
        body.listenInfos = [listen_info_to_fbs(info) for info in listen_infos]
        await channel.request(
            fbs.Method.WORKER_CREATE_WEBRTCSERVER,
            "",
            fbs.RequestBody.Worker_CreateWebRtcServerRequest,
            body,
        )
        server = WebRtcServer(server_id, channel, app_data)
        self._webrtc_servers[server_id] = server
        server.on("@close", lambda: self._webrtc_servers.pop(server_id, None))
        self.observer.emit("newwebrtcserver", server)
        return server

    async def create_router(
        self,
        media_codecs: list[dict[str, Any]] | None = None,
        app_data: dict[str, Any] | None = None,
    ) -> Router:
        """A Router whose RTP capabilities derive from ``media_codecs``."""
        channel = self._check_open()
        rtp_capabilities = ortc.generate_router_rtp_capabilities(ortc.clone(media_codecs))
        router_id = str(uuid.uuid4())
        body = fbs.CreateRouterRequestT()
        body.routerId = router_id
        await channel.request(
            fbs.Method.WORKER_CREATE_ROUTER, "", fbs.RequestBody.Worker_CreateRouterRequest, body
        )
        router = Router(router_id, rtp_capabilities, channel, app_data, worker=self)
        self._routers[router_id] = router
        router.on("@close", lambda: self._routers.pop(router_id, None))
        self.observer.emit("newrouter", router)
        return router


async def create_worker(
    settings: WorkerSettings | None = None, app_data: dict[str, Any] | None = None
) -> Worker:
    """Spawn a worker (``mediasoup.createWorker``)."""
    return await Worker.create(settings, app_data)

"""The monitor inside the service: one pass every ``monitor_interval`` seconds.

The rules are in ``app.services.monitor``; this only schedules them and closes the sockets
and media rooms of the consultations it ends, or that were ended elsewhere. Each pass also
removes the temporary files of uploads a crash cut off, and the webhook events done with.
"""

import asyncio
import contextlib
import logging

from app.realtime import notices
from app.runtime.state import AppState
from app.services import monitor, rate_limits, webhooks
from app.services.onetoones import Live

log = logging.getLogger(__name__)

# An upload's temporary file untouched this long belongs to a request that died with its process.
ABANDONED_UPLOAD_AGE = 3600.0
# Delivered webhook events are kept a day, for a look; with no URL configured, the events the
# changes queue are dropped after an hour.
DELIVERED_WEBHOOK_AGE = 86400.0
UNSENT_WEBHOOK_AGE = 3600.0
# A notice too large for NOTIFY is read by the instances as soon as it is sent.
KEPT_NOTICE_AGE = 600.0


class MonitorTask:
    def __init__(self, app_state: AppState) -> None:
        self._state = app_state
        self._stopping = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        if self._state.settings.monitor_interval > 0:
            self._stopping.clear()
            self._task = asyncio.create_task(self._loop(), name="hocovisio-monitor")

    async def stop(self) -> None:
        """Let a pass in progress finish (its transactions are short), then stop."""
        if self._task is None:
            return
        self._stopping.set()
        try:
            await asyncio.wait_for(self._task, timeout=10)
        except TimeoutError:
            log.warning("monitor pass still running at shutdown: cancelled")
        self._task = None

    async def _loop(self) -> None:
        interval = self._state.settings.monitor_interval
        while not self._stopping.is_set():
            try:
                await self.run_once()
            except Exception:
                log.exception("monitor pass failed; retrying in %ss", interval)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), timeout=interval)

    async def run_once(self) -> None:
        state = self._state
        live = Live(state.broker, state.media)
        async with state.db() as db:
            ended = await monitor.refresh_live(db, state.broker.consultations())
            for onetoone_id, reason in ended.items():
                live.close(onetoone_id, reason)
            policy = monitor.Policy.from_settings(state.settings)
            report = await monitor.run(db, policy, state.storage)
        unsent = None if state.settings.webhook_urls else UNSENT_WEBHOOK_AGE
        await webhooks.purge(state.sql, DELIVERED_WEBHOOK_AGE, unsent)
        await rate_limits.purge_shared(state.sql, state.rate_limits.full_after())
        await notices.purge_kept(state.sql, KEPT_NOTICE_AGE)
        abandoned = await asyncio.to_thread(state.storage.remove_abandoned, ABANDONED_UPLOAD_AGE)
        if abandoned:
            log.info("monitor: removed %s abandoned upload file(s)", abandoned)
        if report or ended:
            log.info(
                "monitor: killed %s, deleted %s, audit rows purged %s, ended elsewhere %s",
                report.killed,
                report.deleted,
                report.audit_purged,
                sorted(ended),
            )

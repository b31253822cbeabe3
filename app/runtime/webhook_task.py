"""The webhook deliverer inside the service: it polls the outbox and posts what is due.
With no URL configured it only marks the queued events as fanned out to none.

The rules (fan-out, claims, signatures, back-off, dead deliveries) are in
``app.services.webhooks``; this schedules them. Every instance runs one: claims keep them off
each other's deliveries.
"""

import asyncio
import contextlib
import logging
import time
from urllib.parse import urlsplit

import httpx

from app.runtime.state import AppState
from app.services import webhooks

log = logging.getLogger(__name__)

POLL_INTERVAL = 0.5  # seconds between looks at the outbox while it is empty
IDLE_INTERVAL = 5.0  # the same with no URL configured (only fanning out to none)
BATCH = 20  # deliveries posted at once
PURGE_INTERVAL = 300.0
DELIVERED_RETENTION = 86400.0  # delivered events are kept a day, for a look


class WebhookTask:
    def __init__(self, app_state: AppState) -> None:
        self._state = app_state
        self._stopping = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Run even with no URL configured: the events queued meanwhile are then fanned out to
        none and purged a day later, instead of piling up."""
        self._stopping.clear()
        self._task = asyncio.create_task(self._loop(), name="hocovisio-webhooks")

    async def stop(self) -> None:
        """Let the posts in flight end (within the timeout), then stop; what is unsent stays
        queued for the next instance to look."""
        if self._task is None:
            return
        self._stopping.set()
        try:
            await asyncio.wait_for(self._task, timeout=self._state.settings.webhook_timeout + 1)
        except TimeoutError:
            log.warning("webhook posts still running at shutdown: cancelled")
        self._task = None

    async def _loop(self) -> None:
        settings = self._state.settings
        timeout = httpx.Timeout(settings.webhook_timeout)
        purged = 0.0
        async with httpx.AsyncClient(timeout=timeout, follow_redirects=False) as client:
            while not self._stopping.is_set():
                busy = False
                try:
                    busy = await self.run_once(client)
                    if time.monotonic() - purged > PURGE_INTERVAL:
                        await webhooks.purge(self._state.sql, DELIVERED_RETENTION)
                        purged = time.monotonic()
                except Exception:
                    log.exception("webhook delivery pass failed; retrying")
                if not busy:
                    idle = POLL_INTERVAL if settings.webhook_urls else IDLE_INTERVAL
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._stopping.wait(), timeout=idle)

    async def run_once(self, client: httpx.AsyncClient) -> bool:
        """Fan out the new events, post the due deliveries; whether there was work."""
        state, settings = self._state, self._state.settings
        events = await webhooks.fan_out(state.sql, list(settings.webhook_urls))
        if settings.webhook_secret is None:
            return bool(events)
        secret = settings.webhook_secret.get_secret_value()
        lease = settings.webhook_timeout * 2 + 5
        due = await webhooks.claim(state.sql, BATCH, lease)
        results = await asyncio.gather(*(webhooks.post(client, d, secret) for d in due))
        for delivery, (status, error) in zip(due, results, strict=True):
            outcome = await webhooks.record(
                state.sql,
                delivery,
                status,
                error,
                settings.webhook_max_attempts,
                settings.webhook_retry_delay,
            )
            state.metrics.webhook_posts[outcome] += 1
            if outcome != "delivered":
                log.warning(
                    "webhook %s delivery %s to %s: %s (attempt %s, %s)",
                    delivery.event,
                    delivery.id,
                    urlsplit(delivery.url).netloc,  # a query may carry the receiver's key
                    error,
                    delivery.attempts,
                    "given up" if outcome == "dead" else "will retry",
                )
        return bool(events or due)

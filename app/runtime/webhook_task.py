"""The webhook deliverer inside the service, when webhook URLs are configured: it polls the
outbox and posts what is due.

The rules (fan-out, claims, signatures, back-off, dead deliveries) are in
``app.services.webhooks``; this schedules them. Several instances may each run one: claims
keep them off each other's deliveries.
"""

import asyncio
import contextlib
import logging
from urllib.parse import urlsplit

import httpx

from app.runtime.state import AppState
from app.services import webhooks

log = logging.getLogger(__name__)

POLL_INTERVAL = 0.5  # seconds between looks at the outbox while it is empty
BATCH = 20  # deliveries posted at once


class WebhookTask:
    def __init__(self, app_state: AppState) -> None:
        self._state = app_state
        self._stopping = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        if self._state.settings.webhook_urls:
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
        async with httpx.AsyncClient(timeout=timeout, follow_redirects=False) as client:
            while not self._stopping.is_set():
                busy = False
                try:
                    busy = await self.run_once(client)
                except Exception:
                    log.exception("webhook delivery pass failed; retrying")
                if not busy:
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._stopping.wait(), timeout=POLL_INTERVAL)

    async def run_once(self, client: httpx.AsyncClient) -> bool:
        """Fan out the new events, post the due deliveries; whether there was work."""
        state, settings = self._state, self._state.settings
        assert settings.webhook_secret is not None
        secret = settings.webhook_secret.get_secret_value()
        events = await webhooks.fan_out(state.sql, list(settings.webhook_urls))
        lease = settings.webhook_timeout * 2 + 5
        due = await webhooks.claim(state.sql, BATCH, lease)
        results = await asyncio.gather(
            *(webhooks.post(client, d, secret, settings.webhook_timeout) for d in due)
        )
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
                    _receiver(delivery.url),
                    error,
                    delivery.attempts,
                    "given up" if outcome == "dead" else "will retry",
                )
        return bool(events or due)


def _receiver(url: str) -> str:
    """The receiver's host and port: its URL's userinfo and query may carry its key."""
    parts = urlsplit(url)
    return f"{parts.hostname}:{parts.port}" if parts.port else str(parts.hostname)

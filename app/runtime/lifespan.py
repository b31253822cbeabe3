"""The serving process's lifespan, in order: what starts before the first request, and what
stops, in reverse, after the last connection has closed (``app.runtime.shutdown`` says when).

1. the SFU workers, so that the first consultation has media;
2. the monitor, which may close media rooms and uses the database;
3. the webhook deliverer, which uses the database only.

Then, stopping: the deliverer (posts in flight finish), the monitor (a pass in progress
finishes), the SFU (its rooms closed), and the database engine last, since all before it may
still be using it.
"""

from collections.abc import AsyncGenerator, Callable

from app.runtime.monitor_task import MonitorTask
from app.runtime.state import AppState
from app.runtime.webhook_task import WebhookTask


def lifespan(hocovisio: AppState) -> Callable[[], AsyncGenerator[None, None]]:
    """Quart's ``while_serving`` generator for ``hocovisio``."""

    async def serving() -> AsyncGenerator[None, None]:
        monitor, deliverer = MonitorTask(hocovisio), WebhookTask(hocovisio)
        try:
            await hocovisio.media.start()
            try:
                await monitor.start()
                try:
                    await deliverer.start()
                    yield
                finally:
                    await deliverer.stop()
            finally:
                await monitor.stop()
                await hocovisio.media.close()
        finally:
            await hocovisio.engine.dispose()

    return serving

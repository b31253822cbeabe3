"""The serving process's lifespan, in order: what starts before the first request, and what
stops, in reverse, after the last connection has closed (``app.runtime.shutdown`` says when).

1. the SFU workers, so that the first consultation has media;
2. the monitor, which may close media rooms and uses the database.

Then, stopping: the monitor (a pass in progress finishes), the SFU (its rooms closed), and
the database engine last, since both before it may still be using it.
"""

from collections.abc import AsyncGenerator, Callable

from app.runtime.monitor_task import MonitorTask
from app.runtime.state import AppState


def lifespan(hocovisio: AppState) -> Callable[[], AsyncGenerator[None, None]]:
    """Quart's ``while_serving`` generator for ``hocovisio``."""

    async def serving() -> AsyncGenerator[None, None]:
        monitor = MonitorTask(hocovisio)
        try:
            await hocovisio.media.start()
            try:
                await monitor.start()
                yield
            finally:
                await monitor.stop()
                await hocovisio.media.close()
        finally:
            await hocovisio.engine.dispose()

    return serving

"""The serving process's lifespan, in order: what starts before the first request, and what
stops, in reverse, after the last connection has closed (``app.runtime.shutdown`` says when).

1. the SFU workers, so that the first consultation has media;
2. this instance's registration and lease (``app.runtime.cluster_task``): a socket's row
   refers to it, and its own channel is named after it;
3. the backbone, listening to the database's events before any socket can wait for one;
4. the monitor, which may close media rooms and uses the database;
5. the webhook deliverer, which uses the database only.

Then, stopping: the deliverer (posts in flight finish), the monitor (a pass in progress
finishes), the backbone, the lease (the instance leaves: the sockets still counted here are
closed for the others, the media it carried reset), the SFU (its rooms closed), and the
database engine last, since all before it may still be using it.
"""

from collections.abc import AsyncGenerator, Callable
from contextlib import AsyncExitStack

from app.runtime.cluster_task import ClusterTask
from app.runtime.monitor_task import MonitorTask
from app.runtime.state import AppState
from app.runtime.webhook_task import WebhookTask


def lifespan(hocovisio: AppState) -> Callable[[], AsyncGenerator[None, None]]:
    """Quart's ``while_serving`` generator for ``hocovisio``."""

    async def serving() -> AsyncGenerator[None, None]:
        cluster = ClusterTask(hocovisio)
        monitor, deliverer = MonitorTask(hocovisio), WebhookTask(hocovisio)
        async with AsyncExitStack() as stack:
            stack.push_async_callback(hocovisio.engine.dispose)
            await hocovisio.media.start()
            stack.push_async_callback(hocovisio.media.close)
            await cluster.start()
            stack.push_async_callback(cluster.stop)
            await hocovisio.backbone.start()
            stack.push_async_callback(hocovisio.backbone.close)
            for task in (monitor, deliverer):
                await task.start()
                stack.push_async_callback(task.stop)
            yield

    return serving

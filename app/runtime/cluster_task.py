"""This instance among the others: its lease, renewed every third of it, the removal of the
instances whose lease expired (``app.services.instances``), and, at the same pace, of the
waiting sessions whose page has gone (``app.services.waiting_room.sweep``).

An instance that finds it was removed (it stalled past its lease, or lost the database that
long) closes its sockets, whose rows are gone, and registers again: its clients reconnect and
are counted afresh.
"""

import asyncio
import contextlib
import logging

from app.runtime.state import AppState
from app.services import instances, waiting_room

log = logging.getLogger(__name__)


class ClusterTask:
    def __init__(self, app_state: AppState) -> None:
        self._state = app_state
        self._task: asyncio.Task[None] | None = None
        self._beats = 0

    async def start(self) -> None:
        """Register before the first socket is accepted: its row refers to this instance."""
        await instances.register(self._state.sql, self._state.instance)
        log.info("serving as instance %d", self._state.instance.id)
        self._task = asyncio.create_task(self._loop(), name="hocovisio-cluster")

    async def stop(self) -> None:
        """Stop renewing, and leave: the sockets still counted here are closed for the others."""
        if self._task is None:
            return
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        self._task = None
        try:
            await instances.leave(self._state.sql, self._state.instance)
        except Exception as error:
            log.warning("could not leave the cluster cleanly: %s", type(error).__name__)

    async def _loop(self) -> None:
        state = self._state
        while True:
            await asyncio.sleep(state.instance.lease / 3)
            try:
                await self.beat()
            except Exception as error:
                log.warning("instance heartbeat failed: %s", type(error).__name__)

    async def beat(self) -> None:
        state = self._state
        self._beats += 1
        renewed = await instances.renew(state.sql, state.instance, self._beats)
        if renewed:
            state.backbone.beat_sent(self._beats)
        else:
            closed = state.broker.close_all()
            await instances.register(state.sql, state.instance)
            await state.backbone.restart()  # its own channel is named after its new id
            log.warning(
                "this instance's lease had expired: registered again as %d, closed %d sockets",
                state.instance.id,
                closed,
            )
        reaped = await instances.reap(state.sql)
        if reaped:
            log.info("removed %d instance(s) whose lease expired", reaped)
        swept = await waiting_room.sweep(state.sql, state.settings.waiting_room_grace)
        if swept:
            log.info("%d waiting session(s) left the waiting room: no page for them", swept)

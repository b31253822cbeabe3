"""The workers' log lines, relayed to Python's logging without letting a flood through.

A worker logs some lines once per packet it ignores ("ignoring received non STUN data from
unknown tuple", "ignoring wrong STUN packet received"), and anyone can send such packets to the
RTC port before any authentication: 120 s of them added a million lines to the service's log.
Each kind of line (its text with the numbers taken out: addresses, ports, ids) is logged at
most ``burst`` times per ``window`` seconds; past that, the lines of that kind are counted, and
one summary line per kind goes out when the window ends. Every line is counted by level in
``totals``, and those held back in ``held``, for the metrics.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import time
from collections import Counter
from dataclasses import dataclass

WINDOW = 10.0
BURST = 5
# More kinds than the worker has log statements are an attacker's doing: one kind for them all.
MAX_KINDS = 512
OTHERS = "(other kinds of lines)"
NUMBERS = re.compile(r"\d+")
KIND_CHARS = 160


@dataclass
class _Kind:
    level: int
    sample: str  # the first line of the kind in this window
    logged: int = 0
    held: int = 0


class WorkerLog:
    """The relay of every worker's log lines of this process (``WORKER_LOG``)."""

    def __init__(self, logger: logging.Logger, window: float = WINDOW, burst: int = BURST) -> None:
        self._logger = logger
        self._window = window
        self._burst = burst
        self.totals: Counter[str] = Counter()  # every line, by level name
        self.held = 0  # lines not logged, summarised instead
        self._kinds: dict[str, _Kind] = {}
        self._window_ends = 0.0
        self._flush: asyncio.TimerHandle | None = None

    def relay(self, pid: int | None, level: int, text: str) -> None:
        self.totals[logging.getLevelName(level).lower()] += 1
        if not self._logger.isEnabledFor(level):
            return
        now = time.monotonic()
        if now >= self._window_ends:
            self.summarise()
            self._window_ends = now + self._window
        key = NUMBERS.sub("#", text[:KIND_CHARS])
        kind = self._kinds.get(key)
        if kind is None:
            if len(self._kinds) >= MAX_KINDS:
                key = OTHERS
            kind = self._kinds.setdefault(key, _Kind(level, text[:KIND_CHARS]))
        if kind.logged < self._burst:
            kind.logged += 1
            self._logger.log(level, "[pid:%s] %s", pid, text)
            return
        kind.held += 1
        self.held += 1
        if self._flush is None:
            with contextlib.suppress(RuntimeError):  # no running loop: the next line flushes
                loop = asyncio.get_running_loop()
                self._flush = loop.call_later(self._window_ends - now, self.summarise)

    def summarise(self) -> None:
        """Log, for each kind held back in the window ending now, how many lines were not
        logged; start a new window."""
        if self._flush is not None:
            self._flush.cancel()
            self._flush = None
        for kind in self._kinds.values():
            if kind.held:
                self._logger.log(
                    kind.level,
                    "%d more worker lines like this one in %g s, not logged: %s",
                    kind.held,
                    self._window,
                    kind.sample,
                )
        self._kinds.clear()
        self._window_ends = 0.0


WORKER_LOG = WorkerLog(logging.getLogger("sfu_control.worker"))

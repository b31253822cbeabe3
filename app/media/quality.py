"""Connection quality: what mediasoup's scores say of a participant's media, as one level that
every client can show (``connectionQuality {peerId, quality}``).

mediasoup scores each RTP stream from 0 to 10 from the packets lost on it (about
``10 x delivered^4``: 5 % lost gives 8, 10 % gives 7, 20 % gives 4, 50 % gives 1). A
participant's score is the worst of what it sends (each producer: its best stream, since a
simulcast sender drops its top layers on purpose when short of bandwidth) and what it receives
(each consumer's score: the stream the SFU sends it, from its receiver reports). A simulcast
video received below the layer it asked for, when the sender does send that layer, means its
downlink is short of bandwidth (the SFU dropped layers to fit): at most ``fair``, and
``poor`` when no layer fits at all. Paused tracks do not count. A transport whose ICE
connection is lost makes it ``lost`` at once.

Each participant's level is announced to everyone in the room when it changes, at most once
per ``interval`` seconds; the last change always arrives.
"""

import asyncio
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

Quality = Literal["good", "fair", "poor", "lost"]
INTERVAL = 2.0


def level(score: int) -> Quality:
    """The level of a mediasoup score (0-10)."""
    if score >= 8:
        return "good"
    if score >= 5:
        return "fair"
    return "poor" if score >= 1 else "lost"


# The scores a consumer held back by bandwidth counts for: one layer or more below what it
# asked for, and nothing at all.
SHORT_OF_BANDWIDTH = 6
NOTHING_FITS = 3


def worst_score(
    producers: Iterable[Any], consumers: Iterable[Any], producer_of: Callable[[str], Any]
) -> int | None:
    """The participant's score from its producers and consumers (``producer_of`` finds a
    consumer's producer by id); None without live media."""
    scores = []
    for producer in producers:
        streams = [stream["score"] for stream in producer.score]
        if streams and not producer.paused and not producer.closed:
            scores.append(max(streams))
    for consumer in consumers:
        if not (consumer.paused or consumer.producer_paused or consumer.closed):
            scores.append(min(consumer.score["score"], _layers_score(consumer, producer_of)))
    return min(scores) if scores else None


def _layers_score(consumer: Any, producer_of: Callable[[str], Any]) -> int:
    """10 unless the SFU sends a simulcast consumer less than it asked for and could have."""
    producer = producer_of(consumer.producer_id)
    if consumer.type != "simulcast" or producer is None or consumer.preferred_layers is None:
        return 10
    sent = [s.get("encodingIdx", 0) for s in producer.score if s["score"] > 0]
    if not sent:
        return 10
    wanted = min(consumer.preferred_layers["spatialLayer"], max(sent))
    current = consumer.current_layers
    if current is None:
        return NOTHING_FITS
    return SHORT_OF_BANDWIDTH if current["spatialLayer"] < wanted else 10


@dataclass(eq=False)
class _Announced:
    quality: Quality | None = None
    at: float = float("-inf")
    later: asyncio.TimerHandle | None = field(default=None, repr=False)


class QualityWatch:
    """Announces each participant's level when it changes, rate-limited per participant.

    ``measure(key)`` says a participant's level now (None: nothing to say yet);
    ``announce(key, quality)`` tells the room. ``key`` is whatever the room keys its
    participants by."""

    def __init__(
        self,
        measure: Callable[[Any], Quality | None],
        announce: Callable[[Any, Quality], None],
        interval: float = INTERVAL,
    ) -> None:
        self._measure = measure
        self._announce = announce
        self._interval = interval
        self._announced: dict[Any, _Announced] = {}

    def changed(self, key: Any) -> None:
        """A score or a connection of ``key`` changed: announce its level now, or once the
        interval since its last announcement is over."""
        state = self._announced.setdefault(key, _Announced())
        if state.later is not None:
            return
        wait = state.at + self._interval - time.monotonic()
        if wait > 0:
            state.later = asyncio.get_running_loop().call_later(wait, self._due, key)
        else:
            self._due(key)

    def current(self) -> list[tuple[Any, Quality]]:
        """The levels last announced, for a participant who arrives."""
        return [(key, s.quality) for key, s in self._announced.items() if s.quality is not None]

    def forget(self, key: Any) -> None:
        state = self._announced.pop(key, None)
        if state is not None and state.later is not None:
            state.later.cancel()

    def close(self) -> None:
        for key in list(self._announced):
            self.forget(key)

    def _due(self, key: Any) -> None:
        state = self._announced.get(key)
        if state is None:
            return
        state.later = None
        quality = self._measure(key)
        if quality is None or quality == state.quality:
            return
        state.quality, state.at = quality, time.monotonic()
        self._announce(key, quality)

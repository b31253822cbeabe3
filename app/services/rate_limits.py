"""Token buckets against abuse: link openings, validations, uploads, chat, socket openings and
socket requests.

Each limited action is counted per credential (or link) and per client address; a caller over
a limit gets ``RateLimited``: 429 with ``Retry-After`` (HTTP) or a ``rate limited`` error
response (socket). The limits that guard secrets (``SHARED``: link openings, validations) are
counted in the database (``hocovisio_take``, migration 0005), across every instance, so that
guessing tokens through several instances is no faster than through one; their keys are
stored hashed, never as the link or credential they name. The others (uploads, chat, socket
requests) guard an instance's own resources and are counted in its memory. The buckets know
nothing of HTTP or sockets: ``app.http.ratelimit`` and ``app.ws`` count their own actions.
Buckets refill continuously at ``rate`` per minute and hold at most ``rate * rate_limit_burst``
tokens.
"""

import hashlib
import time
from dataclasses import dataclass, field

from app.config.settings import Settings
from app.errors import Refused
from app.persistence.statements import Statements

MAX_BUCKETS = 100_000
# The bytes of socket frames a session may have parsed: a burst (a page joining sends its RTP
# capabilities, some 10-20 KiB, and a few producers), then a steady rate far above what a page
# or a station sends, and far below what would keep the event loop busy for the others
# (parsing costs about 0.1 ms a KiB at worst).
FRAME_BYTES_BURST = 512 * 1024
FRAME_BYTES_PER_SECOND = 64 * 1024
SHARED = frozenset({"session_open", "validate"})
TAKE = "SELECT hocovisio_take(%(action)s, %(keys)s, %(per_second)s, %(capacity)s) AS wait"
# A bucket untouched this long is full again, for any limit: forgetting it changes nothing.
PURGE = (
    "WITH gone AS (DELETE FROM rate_bucket"
    " WHERE updated_at < now() - make_interval(secs => %(age)s) RETURNING 1)"
    " SELECT count(*) FROM gone"
)


class RateLimited(Refused):
    """Over a limit (429). HTTP answers it with ``Retry-After``; the socket with ``rate
    limited``."""

    retry_after: float

    def __init__(self, retry_after: float) -> None:
        super().__init__(429, "rate limited", retry_after)


@dataclass
class _Bucket:
    tokens: float
    updated: float


@dataclass
class TokenBuckets:
    """Buckets of one action, by key (a credential, a link, an address)."""

    per_minute: float
    burst_minutes: float
    _buckets: dict[str, _Bucket] = field(default_factory=dict)

    @property
    def capacity(self) -> float:
        return max(1.0, self.per_minute * self.burst_minutes)

    def take(self, key: str, now: float, amount: float = 1.0) -> float:
        """Spend ``amount`` tokens of ``key``; return 0, or the seconds until they are there
        (nothing spent)."""
        bucket = self._buckets.get(key)
        if bucket is None:
            if len(self._buckets) >= MAX_BUCKETS:
                self._forget_full(now)
            bucket = self._buckets[key] = _Bucket(self.capacity, now)
        rate = self.per_minute / 60
        bucket.tokens = min(self.capacity, bucket.tokens + (now - bucket.updated) * rate)
        bucket.updated = now
        if bucket.tokens >= amount:
            bucket.tokens -= amount
            return 0.0
        return (amount - bucket.tokens) / rate

    def _forget_full(self, now: float) -> None:
        """Drop the buckets that have refilled: forgetting them changes nothing."""
        rate = self.per_minute / 60
        for key, bucket in list(self._buckets.items()):
            if bucket.tokens + (now - bucket.updated) * rate >= self.capacity:
                del self._buckets[key]


class RateLimits:
    def __init__(self, settings: Settings) -> None:
        self.enabled = settings.rate_limit_enabled
        burst = settings.rate_limit_burst
        self._actions = {
            "session_open": TokenBuckets(settings.rate_limit_session_open, burst),
            "validate": TokenBuckets(settings.rate_limit_validate, burst),
            "upload": TokenBuckets(settings.rate_limit_upload, burst),
            "socket": TokenBuckets(settings.rate_limit_socket_requests, burst),
            "socket_open": TokenBuckets(settings.rate_limit_socket_opens, burst),
            "message": TokenBuckets(settings.rate_limit_messages, burst),
        }
        # Not a rate limit that may be turned off: what keeps one client's frames from keeping
        # the event loop busy for everyone (``app.ws.frame_limits``), per session, whatever its
        # sockets and reconnections.
        self._frame_bytes = TokenBuckets(
            FRAME_BYTES_PER_SECOND * 60, FRAME_BYTES_BURST / (FRAME_BYTES_PER_SECOND * 60)
        )

    async def check_shared(self, sql: Statements, action: str, *keys: str) -> None:
        """``check`` for an action of ``SHARED``, counted across the instances."""
        if not self.enabled:
            return
        assert action in SHARED
        buckets = self._actions[action]
        hashed = [
            hashlib.sha256(f"{index}:{key}".encode()).hexdigest() for index, key in enumerate(keys)
        ]
        params = {
            "action": action,
            "keys": hashed,
            "per_second": buckets.per_minute / 60,
            "capacity": buckets.capacity,
        }
        row = await sql.one(TAKE, params)
        if row is not None and row.wait > 0:
            raise RateLimited(row.wait)

    def full_after(self) -> float:
        """Seconds after which any bucket untouched is full again."""
        return max(60.0 * b.capacity / b.per_minute for b in self._actions.values())

    def check(self, action: str, *keys: str) -> None:
        """Count one ``action`` for every key; raise when any of them is over its limit."""
        if not self.enabled:
            return
        assert action not in SHARED
        buckets = self._actions[action]
        now = time.monotonic()
        wait = max(buckets.take(f"{index}:{key}", now) for index, key in enumerate(keys))
        if wait > 0:
            raise RateLimited(wait)

    def spend_frame_bytes(self, session_id: int, size: int) -> bool:
        """Whether the session may have ``size`` more bytes of socket frames parsed now."""
        return self._frame_bytes.take(f"session:{session_id}", time.monotonic(), size) == 0

    def check_chat(self, session_id: int) -> None:
        """A chat message, over HTTP and the socket together."""
        self.check("message", f"session:{session_id}")


async def purge_shared(sql: Statements, age: float) -> None:
    """Forget the shared buckets untouched for ``age`` seconds (``RateLimits.full_after``)."""
    await sql.one(PURGE, {"age": age})

"""Token buckets against abuse: link openings, validations, uploads, chat and socket requests.

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

    def take(self, key: str, now: float) -> float:
        """Spend a token of ``key``; return 0, or the seconds until one is there."""
        bucket = self._buckets.get(key)
        if bucket is None:
            if len(self._buckets) >= MAX_BUCKETS:
                self._forget_full(now)
            bucket = self._buckets[key] = _Bucket(self.capacity, now)
        rate = self.per_minute / 60
        bucket.tokens = min(self.capacity, bucket.tokens + (now - bucket.updated) * rate)
        bucket.updated = now
        if bucket.tokens >= 1:
            bucket.tokens -= 1
            return 0.0
        return (1 - bucket.tokens) / rate

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
            "message": TokenBuckets(settings.rate_limit_messages, burst),
        }

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

    def check_chat(self, session_id: int) -> None:
        """A chat message, over HTTP and the socket together."""
        self.check("message", f"session:{session_id}")


async def purge_shared(sql: Statements, age: float) -> None:
    """Forget the shared buckets untouched for ``age`` seconds (``RateLimits.full_after``)."""
    await sql.one(PURGE, {"age": age})

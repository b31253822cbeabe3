"""A PostgreSQL wire-protocol proxy that counts what a client sends: round trips and statements.

Put between the service and its database (``DATABASE_URL`` pointing at the proxy), it sees
every message the service's driver sends, whatever the layer that sent it: the pool's
pre-ping, the implicit ``BEGIN``, ``COMMIT``, the statements, the rollback of a connection
returned to the pool. Nothing in the service knows it is being counted.

- a **round trip** is a flight of client messages after the server has answered: the client
  then waits for the server again (a pipeline of several statements is one round trip);
- a **statement** is a simple ``Query`` or an extended-protocol ``Sync``.

Each round trip is labelled with the SQL of its first message (``Query``'s or ``Parse``'s
text, ``[prepared]`` for a statement prepared earlier, ``[prepare]`` for a flight that only
prepared one), so a count can be explained.
The connection must not use TLS: give the client ``sslmode=disable`` (an ``SSLRequest`` is
refused here with ``N``, which libpq's default ``prefer`` accepts too).
"""

import asyncio
import struct
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

PREPARE_ONLY = " [prepare]"
SSL_REQUEST = 80877103
GSSENC_REQUEST = 80877104


@dataclass
class Counts:
    round_trips: int = 0
    statements: int = 0
    connections: int = 0
    labels: list[str] = field(default_factory=list)

    @property
    def pre_pings(self) -> int:
        """Round trips that only checked a pooled connection was alive (SQLAlchemy's ``;``)."""
        return sum(1 for label in self.labels if label == ";")

    @property
    def prepares(self) -> int:
        """Round trips that only prepared a statement, once per connection (then reused)."""
        return sum(1 for label in self.labels if label.endswith(PREPARE_ONLY))

    @property
    def steady(self) -> int:
        """Round trips of the work itself: without pre-pings and one-time prepares."""
        return self.round_trips - self.pre_pings - self.prepares

    def __sub__(self, before: "Counts") -> "Counts":
        return Counts(
            self.round_trips - before.round_trips,
            self.statements - before.statements,
            self.connections - before.connections,
            self.labels[len(before.labels) :],
        )


class _Link:
    """One client connection: whether the server spoke since the client's last flight."""

    def __init__(self) -> None:
        self.ready = False  # the server sent its first ReadyForQuery: start-up is over
        self.server_spoke = True
        self.prepared: dict[bytes, str] = {}  # statement name -> its SQL
        self.flight: int | None = None  # the index of the current flight's label


class WireCounter:
    """The proxy, serving on a loop of its own in a daemon thread."""

    def __init__(self, upstream_host: str, upstream_port: int) -> None:
        """``upstream_host`` a name or address, or the directory of a Unix socket."""
        self._upstream = (upstream_host, upstream_port)
        self._counts = Counts()
        self._lock = threading.Lock()
        self._loop = asyncio.new_event_loop()
        self._started = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True, name="pg-wire-counter")
        self.port = 0

    # -- reading the counts --

    def snapshot(self) -> Counts:
        with self._lock:
            counts = self._counts
            return Counts(
                counts.round_trips, counts.statements, counts.connections, list(counts.labels)
            )

    def settle(self, quiet: float = 0.15, timeout: float = 5.0) -> Counts:
        """The counts once no message has been sent for ``quiet`` seconds (the service's
        work after its answer, a socket's leaving, has then been done)."""
        deadline = time.monotonic() + timeout
        last = self.snapshot()
        while time.monotonic() < deadline:
            time.sleep(quiet)
            now = self.snapshot()
            if now.statements == last.statements and now.round_trips == last.round_trips:
                return now
            last = now
        return last

    async def asettle(self, quiet: float = 0.15) -> Counts:
        return await asyncio.to_thread(self.settle, quiet)

    # -- serving --

    def start(self) -> None:
        self._thread.start()
        self._started.wait(5)

    def stop(self) -> None:
        self._loop.call_soon_threadsafe(self._stopping.set)
        self._thread.join(5)

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._loop.run_until_complete(self._main())
        self._loop.close()

    async def _main(self) -> None:
        self._stopping = asyncio.Event()
        server = await asyncio.start_server(self._serve, "127.0.0.1", 0, reuse_address=True)
        self.port = server.sockets[0].getsockname()[1]
        self._started.set()
        await self._stopping.wait()
        server.close()
        links = [task for task in asyncio.all_tasks() if task is not asyncio.current_task()]
        for task in links:
            task.cancel()
        await asyncio.gather(*links, return_exceptions=True)

    async def _serve(self, client_in: asyncio.StreamReader, client_out: asyncio.StreamWriter):
        link = _Link()
        try:
            if not await self._start_up(client_in, client_out):
                return
            host, port = self._upstream
            if host.startswith("/"):
                path = f"{host}/.s.PGSQL.{port}"
                server_in, server_out = await asyncio.open_unix_connection(path)
            else:
                server_in, server_out = await asyncio.open_connection(host, port)
        except (ConnectionError, asyncio.IncompleteReadError):
            client_out.close()
            return
        server_out.write(self._startup_packet)
        with self._lock:
            self._counts.connections += 1
        await asyncio.gather(
            self._client_to_server(link, client_in, server_out),
            self._server_to_client(link, server_in, client_out),
            return_exceptions=True,
        )  # one side closing closes the other's writer, which ends the other side
        for writer in (client_out, server_out):
            writer.close()

    async def _start_up(
        self, client_in: asyncio.StreamReader, client_out: asyncio.StreamWriter
    ) -> bool:
        """Refuse TLS and GSS encryption, keep the start-up packet for the server."""
        while True:
            (length,) = struct.unpack("!i", await client_in.readexactly(4))
            body = await client_in.readexactly(length - 4)
            (code,) = struct.unpack("!i", body[:4])
            if code in (SSL_REQUEST, GSSENC_REQUEST):
                client_out.write(b"N")
                await client_out.drain()
                continue
            self._startup_packet = struct.pack("!i", length) + body
            return True

    async def _client_to_server(
        self, link: _Link, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        try:
            while True:
                header = await reader.readexactly(5)
                kind, length = header[:1], struct.unpack("!i", header[1:])[0]
                body = await reader.readexactly(length - 4)
                if link.ready:
                    self._count(link, kind, body)
                writer.write(header + body)
                await writer.drain()
        finally:
            writer.close()

    async def _server_to_client(
        self, link: _Link, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        try:
            while True:
                header = await reader.readexactly(5)
                kind, length = header[:1], struct.unpack("!i", header[1:])[0]
                body = await reader.readexactly(length - 4)
                if kind == b"Z":
                    link.ready = True
                link.server_spoke = True
                writer.write(header + body)
                await writer.drain()
        finally:
            writer.close()

    def _count(self, link: _Link, kind: bytes, body: bytes) -> None:
        with self._lock:
            if link.server_spoke and kind != b"X":
                link.server_spoke = False
                self._counts.round_trips += 1
                link.flight = len(self._counts.labels)
                self._counts.labels.append(_label(link, kind, body))
            elif kind == b"P":
                _label(link, kind, body)  # keeps the prepared statement's name
            elif kind == b"E" and link.flight is not None:
                label = self._counts.labels[link.flight]
                if label.endswith(PREPARE_ONLY):
                    # Prepared and executed in one flight: the work's round trip after all.
                    self._counts.labels[link.flight] = label[: -len(PREPARE_ONLY)]
            if kind in (b"Q", b"S"):
                self._counts.statements += 1


def _label(link: _Link, kind: bytes, body: bytes) -> str:
    """What a round trip is about, from its first message."""
    if kind == b"Q":
        return " ".join(body.rstrip(b"\0").decode(errors="replace").split())
    if kind == b"P":  # Parse: statement name, then the query
        name, _, rest = body.partition(b"\0")
        query = " ".join(rest.partition(b"\0")[0].decode(errors="replace").split())
        if name:
            link.prepared[name] = query
            return query + PREPARE_ONLY
        return query
    if kind == b"B":  # Bind: portal name, then the statement's name
        name = body.split(b"\0", 2)[1]
        return f"{link.prepared.get(name, '?')} [prepared]"
    return f"message {kind.decode(errors='replace')}"


@contextmanager
def counting(database_url: str) -> Iterator[tuple[WireCounter, str]]:
    """A proxy in front of ``database_url`` (over TCP or a Unix socket), and the URL that
    reaches the database through it."""
    parts = urlsplit(database_url)
    query = dict(parse_qsl(parts.query))
    host = query.pop("host", parts.hostname or "127.0.0.1")
    port = int(query.pop("port", parts.port or 5432))
    counter = WireCounter(host, port)
    counter.start()
    user = parts.netloc.rpartition("@")[0]
    netloc = f"{user}@127.0.0.1:{counter.port}" if user else f"127.0.0.1:{counter.port}"
    query["sslmode"] = "disable"
    try:
        yield counter, urlunsplit((parts.scheme, netloc, parts.path, urlencode(query), ""))
    finally:
        counter.stop()

"""A clinic backend's webhook endpoint on loopback: a real HTTP server in a thread that keeps
what it was sent, answering the status the test chooses."""

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes

    @property
    def event(self) -> dict[str, Any]:
        return json.loads(self.body)


@dataclass
class Receiver:
    url: str
    status: int = 200
    received: list[Received] = field(default_factory=list)
    refused: int = 0  # posts answered with a status other than 2xx
    trickle: float = 0  # seconds over which an answer's body is sent, a byte at a time

    def events(self, type_: str | None = None) -> list[dict[str, Any]]:
        """The accepted posts' events (of one type), in arrival order."""
        return [r.event for r in self.received if type_ is None or r.event["type"] == type_]


@contextmanager
def receiver() -> Iterator[Receiver]:
    state = Receiver(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # the http.server API names it so
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            status = state.status
            if 200 <= status < 300:
                state.received.append(Received(dict(self.headers.items()), body))
            else:
                state.refused += 1
            self.send_response(status)
            body = b"ok" * 3 if state.trickle else b""
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            for byte in range(len(body)):
                self.wfile.flush()
                time.sleep(state.trickle / len(body))
                self.wfile.write(body[byte : byte + 1])

        def log_message(self, *_: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hooks/hocovisio"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join()

"""A process that holds many idle participant sockets, for bench/_sockets.py.

Reads one JSON line on stdin, the credentials (one socket each), opens them over
``--concurrency`` loops, retrying a refused or failed opening a few times (the server answers
503 when its database pool is busy), and prints JSON lines: ``{"opened": n, "failed": m}``
every ``PROGRESS`` sockets, then ``{"ready": n, "failed": m, "errors": {...}}``. Then it holds
them, reading nothing, until stdin closes or says ``close``, and exits without closing them
one by one: the kernel closes the connections, as when a clinic's browsers go away.

The sockets are those of a browser: protoo subprotocol, permessage-deflate offered (the
``websockets`` default, as browsers do), and no keepalive pings (browsers send none).
"""

import argparse
import asyncio
import json
import os
import sys
from collections import Counter

from websockets.asyncio.client import ClientConnection

from protoo.websocket import connect

from ._common import raise_open_files

ATTEMPTS = 5
PROGRESS = 100
TIMEOUT = 60.0


def say(line: dict[str, object]) -> None:
    print(json.dumps(line), flush=True)


async def hold(ws_url: str, credentials: list[str], concurrency: int) -> None:
    sockets: list[ClientConnection] = []
    errors: Counter[str] = Counter()
    queue = iter(credentials)

    async def loop() -> None:
        for credential in queue:
            for attempt in range(ATTEMPTS):
                try:
                    socket = await connect(ws_url, credential, timeout=TIMEOUT, ping_interval=None)
                except Exception as error:  # retried, then counted
                    if attempt == ATTEMPTS - 1:
                        errors[f"{type(error).__name__}: {error}"[:120]] += 1
                        break
                    await asyncio.sleep(0.2 * (attempt + 1))
                    continue
                sockets.append(socket)
                if len(sockets) % PROGRESS == 0:
                    say({"opened": len(sockets), "failed": sum(errors.values())})
                break

    await asyncio.gather(*(loop() for _ in range(concurrency)))
    say({"ready": len(sockets), "failed": sum(errors.values()), "errors": dict(errors)})
    while (line := await asyncio.to_thread(sys.stdin.readline)) and line.strip() != "close":
        pass
    # Exit at once: the kernel closes every connection (no closing handshakes one by one).
    os._exit(0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--ws-url", required=True)
    parser.add_argument("--concurrency", type=int, default=8)
    arguments = parser.parse_args()
    raise_open_files()
    credentials = json.loads(sys.stdin.readline())
    asyncio.run(hold(arguments.ws_url, credentials, arguments.concurrency))


if __name__ == "__main__":
    main()

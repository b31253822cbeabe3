"""Request bodies and the connection they travel on."""

import socket
import time

from tests.server import RunningServer


def read_response(connection: socket.socket) -> tuple[int, bytes]:
    """One HTTP/1.1 response (status and body); status 0 when the server closed instead."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = connection.recv(65536)
        if not chunk:
            return 0, data
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    length = next(
        int(line.split(b":", 1)[1])
        for line in head.split(b"\r\n")
        if line.lower().startswith(b"content-length:")
    )
    while len(rest) < length:
        rest += connection.recv(65536)
    return int(head.split(b" ", 2)[1]), rest[:length]


def test_a_request_refused_before_its_body_arrived_leaves_the_connection_usable(
    server: RunningServer,
):
    port = int(server.base_url.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port), timeout=10) as connection:
        body = b'{"data": {"a": 1}}'
        connection.sendall(
            b"POST /onetoone HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\n"
            b"Content-Length: %d\r\n\r\n" % len(body)
        )
        time.sleep(0.3)  # the server refuses (no operator key) before the body is there
        connection.sendall(body)
        assert read_response(connection)[0] == 401
        connection.sendall(b"GET /healthz HTTP/1.1\r\nHost: test\r\n\r\n")
        assert read_response(connection)[0] == 200

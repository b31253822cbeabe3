"""Debian's nginx on loopback, round-robin over several instances, as a clinic runs it:
the same location blocks as ``deploy/nginx.conf`` (the WebSocket upgrade, streamed uploads),
no TLS, no sticky sessions. The sockets have an upstream of their own (the same servers), so
that their round robin is not shuffled by the pages' other requests: of two pages, one
socket lands on each instance."""

import shutil
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from tests.server import RunningServer, free_port, stop

NGINX = "/usr/sbin/nginx"

CONFIG = """
user root;
worker_processes 1;
daemon off;
error_log {folder}/error.log warn;
pid {folder}/nginx.pid;
events {{ worker_connections 4096; }}
http {{
    access_log off;
    keepalive_requests 1000000;  # a benchmark's client keeps its connection
    client_body_temp_path {folder}/body;
    proxy_temp_path {folder}/proxy;
    fastcgi_temp_path {folder}/fastcgi;
    uwsgi_temp_path {folder}/uwsgi;
    scgi_temp_path {folder}/scgi;
    upstream hocovisio {{
{servers}
    }}
    upstream hocovisio_sockets {{
{servers}
    }}
    map $http_upgrade $connection_upgrade {{
        default upgrade;
        ""      close;
    }}
    server {{
        listen 127.0.0.1:{port};
        client_max_body_size 110m;
        proxy_request_buffering off;
        proxy_set_header Host $http_host;  # with its port: the socket checks Origin against it
        proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
        location /ws {{
            proxy_pass http://hocovisio_sockets;
            proxy_http_version 1.1;
            proxy_set_header Upgrade $http_upgrade;
            proxy_set_header Connection $connection_upgrade;
            # Set again: a block that sets headers inherits none of the server's.
            proxy_set_header Host $http_host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_read_timeout 1h;
        }}
        location / {{
            proxy_pass http://hocovisio;
            proxy_http_version 1.1;
        }}
    }}
}}
"""


@dataclass
class LoadBalancer:
    base_url: str
    operator_key: str


@contextmanager
def nginx(folder: Path, instances: list[RunningServer]) -> Iterator[LoadBalancer]:
    if shutil.which(NGINX) is None:
        raise RuntimeError("Debian's nginx is missing: run `make setup-test`")
    folder.mkdir(parents=True, exist_ok=True)
    port = free_port()
    servers = "\n".join(f"        server {i.base_url.removeprefix('http://')};" for i in instances)
    config = folder / "nginx.conf"
    config.write_text(CONFIG.format(folder=folder, servers=servers, port=port))
    process = subprocess.Popen(
        [NGINX, "-c", str(config), "-p", str(folder)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    balancer = LoadBalancer(f"http://127.0.0.1:{port}", instances[0].operator_key)
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                if httpx.get(balancer.base_url + "/settings", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("nginx did not start: " + (folder / "error.log").read_text())
            time.sleep(0.1)
        yield balancer
    finally:
        stop(process)

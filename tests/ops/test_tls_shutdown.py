"""HTTPS with a self-signed certificate, and a graceful SIGTERM of a real server process."""

import datetime
import ssl
import time
from ipaddress import IPv4Address
from pathlib import Path

import httpx
import psutil
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from protoo.websocket import connect
from tests.client import Participant, Socket, create_consultation
from tests.server import RunningServer, hocovisio

SHUTDOWN_BOUND = 10.0


def self_signed(folder: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(IPv4Address("127.0.0.1"))]), critical=False
        )
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


async def test_https_and_wss_with_hsts_and_secure_cookie(database_url: str, tmp_path: Path):
    cert, key = self_signed(tmp_path)
    env = {"HOCOVISIO_TLS_CERTFILE": str(cert), "HOCOVISIO_TLS_KEYFILE": str(key)}
    with hocovisio(database_url, tmp_path / "data", extra_env=env) as server:
        assert server.base_url.startswith("https://")
        trust = ssl.create_default_context(cafile=str(cert))
        async with httpx.AsyncClient(base_url=server.base_url, verify=trust) as http:
            assert (await http.get("/healthz")).json() == {"status": "ok"}
            consultation = await create_consultation(http, server.operator_key)
            opened = await http.get(consultation.link("patient"))
        assert opened.status_code == 200
        assert opened.headers["Strict-Transport-Security"].startswith("max-age=")
        assert "secure" in opened.headers["Set-Cookie"].lower()
        credential = opened.json()["session"]["credential"]
        socket = Socket(await connect(server.ws_url, credential, ssl=trust))
        assert (await socket.request("getPeers"))["ok"]
        await socket.close()


def worker_processes(server: RunningServer) -> list[psutil.Process]:
    children = psutil.Process(server.process.pid).children(recursive=True)
    return [child for child in children if "mediasoup-worker" in child.name()]


async def test_sigterm_tells_the_sockets_and_exits_cleanly(database_url: str, tmp_path: Path):
    with hocovisio(database_url, tmp_path) as server:
        async with httpx.AsyncClient(base_url=server.base_url) as http:
            consultation = await create_consultation(http, server.operator_key)
        patient = Participant(server.base_url, server.ws_url)
        await patient.open(consultation.link("patient"))
        socket = await patient.socket()
        assert (await socket.request("getPeers"))["ok"]
        workers = worker_processes(server)
        assert workers

        started = time.monotonic()
        server.process.terminate()
        assert await socket.event("serverShutdown") == {"reconnect": True}
        assert server.process.wait(SHUTDOWN_BOUND) == 0
        elapsed = time.monotonic() - started
        assert not [w for w in workers if w.is_running() and w.status() != psutil.STATUS_ZOMBIE]
        await patient.close()
    print(f"SIGTERM to exit: {elapsed:.2f}s")

    with hocovisio(database_url, tmp_path) as restarted:
        again = Participant(restarted.base_url, restarted.ws_url)
        again.credential = patient.credential
        infos = await again.http.get("/session/infos", headers=again.auth())
        assert infos.status_code == 200
        socket = await again.socket()
        assert (await socket.request("getPeers"))["ok"]
        await again.close()

"""The device catalogue: operator REST endpoints, the CLI, and the seeded examples."""

import os
import subprocess
import sys

import httpx
import psycopg

from tests.server import RunningServer

OTOSCOPE = {
    "name": "Test otoscope",
    "kind": "otoscope",
    "vendor_id": "BEE2",
    "product_id": "0x0001",
    "media_kind": "video",
}


def operator(server: RunningServer) -> dict[str, str]:
    return {"Authorization": f"Bearer {server.operator_key}"}


async def test_seeded_examples_are_served_by_settings(http: httpx.AsyncClient):
    devices = (await http.get("/settings")).json()["devices"]
    kinds = {device["kind"] for device in devices}
    assert {"otoscope", "dermatoscope", "stethoscope", "pulse_oximeter", "thermometer"} <= kinds
    assert len(devices) >= 12


async def test_operator_manages_the_catalogue(server: RunningServer, http: httpx.AsyncClient):
    assert (await http.get("/devices")).status_code == 401
    assert (await http.post("/devices", json=OTOSCOPE)).status_code == 401

    created = await http.post("/devices", json=OTOSCOPE, headers=operator(server))
    assert created.status_code == 201, created.text
    device = created.json()["device"]
    assert (device["vendor_id"], device["product_id"], device["enabled"]) == ("bee2", "0001", True)
    try:
        duplicate = await http.post("/devices", json=OTOSCOPE, headers=operator(server))
        assert duplicate.status_code == 409
        assert "already in the catalogue" in duplicate.json()["msg"]

        listed = (await http.get("/devices", headers=operator(server))).json()["devices"]
        assert device in listed

        path = f"/devices/{device['id']}"
        disabled = await http.patch(path, json={"enabled": False}, headers=operator(server))
        assert disabled.json()["device"]["enabled"] is False
        served = (await http.get("/settings")).json()["devices"]
        assert device["id"] not in [d["id"] for d in served]
        assert (
            await http.patch(path, json={"enabled": "no"}, headers=operator(server))
        ).json() == {"msg": "enabled must be true or false"}
        assert (await http.delete(path, headers=operator(server))).status_code == 200
        assert (await http.delete(path, headers=operator(server))).status_code == 404
    finally:
        await http.delete(f"/devices/{device['id']}", headers=operator(server))


async def test_invalid_devices_are_refused_with_a_reason(
    server: RunningServer, http: httpx.AsyncClient
):
    cases = {
        "vendor_id": ("12345", "vendor_id must be 4 hexadecimal digits"),
        "product_id": ("zzzz", "product_id must be 4 hexadecimal digits"),
        "media_kind": ("smell", "media_kind must be one of video, audio, data"),
        "kind": ("Oto Scope", "kind must be lowercase"),
        "name": ("", "name must be a non-empty text"),
    }
    for field, (value, reason) in cases.items():
        response = await http.post(
            "/devices", json={**OTOSCOPE, field: value}, headers=operator(server)
        )
        assert response.status_code == 400, field
        assert response.json()["msg"].startswith(reason), response.json()
    response = await http.post("/devices", content=b"[1]", headers=operator(server))
    assert response.json() == {"msg": "the body must be a JSON object"}


def hocovisio(server: RunningServer, *argv: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": server.database_url}
    return subprocess.run(
        [sys.executable, "-m", "app.cli", "devices", *argv], env=env, capture_output=True, text=True
    )


def test_cli_adds_lists_and_removes(server: RunningServer, db: psycopg.Connection):
    add = [
        "add", "--name", "CLI stethoscope", "--kind", "stethoscope",
        "--vendor-id", "bee2", "--product-id", "0002", "--media-kind", "audio",
    ]  # fmt: skip
    result = hocovisio(server, *add)
    assert result.returncode == 0, result.stderr
    assert "bee2:0002" in result.stdout
    try:
        again = hocovisio(server, *add)
        assert again.returncode != 0
        assert "bee2:0002 is already in the catalogue" in again.stderr

        bad = hocovisio(
            server, *add[:5], "--vendor-id", "xyz", "--product-id", "1", "--media-kind", "audio"
        )
        assert bad.returncode != 0
        assert "vendor_id must be 4 hexadecimal digits" in bad.stderr

        listing = hocovisio(server, "list")
        assert "bee2:0002  audio  stethoscope" in listing.stdout
        device_id = db.execute("SELECT id FROM device WHERE vendor_id = 'bee2'").fetchone()[0]
        removed = hocovisio(server, "remove", str(device_id))
        assert removed.returncode == 0, removed.stderr
        missing = hocovisio(server, "remove", str(device_id))
        assert f"no device #{device_id} in the catalogue" in missing.stderr
    finally:
        db.execute("DELETE FROM device WHERE vendor_id = 'bee2'")

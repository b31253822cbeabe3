import os
import subprocess
import sys

import httpx

from tests.server import hocovisio


def test_run_without_operator_key_generates_and_keeps_one(database_url: str, tmp_path):
    env = {"HOCOVISIO_OPERATOR_KEY": ""}
    with hocovisio(database_url, tmp_path, extra_env=env) as server:
        key_file = tmp_path / "operator_key"
        key = key_file.read_text().strip()
        assert len(key) >= 32
        assert oct(key_file.stat().st_mode & 0o777) == "0o600"
        assert f"Operator key (kept in {key_file}): {key}" in server.log()
        created = httpx.post(
            server.base_url + "/onetoone", headers={"Authorization": f"Bearer {key}"}
        )
        assert created.status_code == 200
    # Kept, and printed only when made: every start's output lands in the journal.
    with hocovisio(database_url, tmp_path, extra_env=env) as again:
        assert key_file.read_text().strip() == key
        assert f"Operator key: kept in {key_file}" in again.log()
        assert key not in again.log()


def test_invalid_setting_stops_start_up_with_its_name():
    env = {**os.environ, "HOCOVISIO_PORT": "not-a-port", "DATABASE_URL": "postgresql://x@/y"}
    result = subprocess.run(
        [sys.executable, "-m", "app.cli", "migrate"], env=env, capture_output=True, text=True
    )
    assert result.returncode != 0
    assert "invalid settings" in result.stderr
    assert "port" in result.stderr


def test_migrate_is_idempotent(database_url: str):
    env = {**os.environ, "DATABASE_URL": database_url}
    for _ in range(2):
        result = subprocess.run(
            [sys.executable, "-m", "app.cli", "migrate"], env=env, capture_output=True, text=True
        )
        assert result.returncode == 0, result.stderr
        assert "database schema is up to date" in result.stdout

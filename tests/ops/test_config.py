"""Settings: the TOML file, the environment over it, errors naming the setting, masking."""

import os
import subprocess
import sys
from pathlib import Path

from app.config.config_file import reference

ROOT = Path(__file__).resolve().parents[2]


def hocovisio(args: list[str], **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("HOCOVISIO_")}
    clean.pop("DATABASE_URL", None)
    return subprocess.run(
        [sys.executable, "-m", "app.cli", *args],
        env={**clean, **env},
        capture_output=True,
        text=True,
        cwd=ROOT,
    )


def write(tmp_path: Path, text: str) -> str:
    path = tmp_path / "hocovisio.toml"
    path.write_text(text)
    return str(path)


def shown(result: subprocess.CompletedProcess[str]) -> dict[str, str]:
    assert result.returncode == 0, result.stderr
    lines = [line for line in result.stdout.splitlines() if not line.startswith("#")]
    return dict(line.split(" = ", 1) for line in lines)


def test_file_values_and_environment_over_them(tmp_path: Path):
    config = write(tmp_path, 'port = 9123\nlog_format = "json"\ntrusted_proxies = ["10.0.0.0/8"]\n')
    values = shown(hocovisio(["config", "show"], HOCOVISIO_CONFIG=config))
    assert values["port"] == "9123"
    assert values["log_format"] == '"json"'
    assert values["trusted_proxies"] == '["10.0.0.0/8"]'
    values = shown(hocovisio(["config", "show"], HOCOVISIO_CONFIG=config, HOCOVISIO_PORT="9124"))
    assert values["port"] == "9124"


def test_wrong_value_in_the_file_names_the_setting(tmp_path: Path):
    config = write(tmp_path, 'port = "not-a-port"\n')
    result = hocovisio(["config", "show"], HOCOVISIO_CONFIG=config)
    assert result.returncode != 0
    assert "invalid settings" in result.stderr
    assert "port" in result.stderr
    assert config in result.stderr


def test_wrong_environment_value_names_the_setting():
    result = hocovisio(["config", "show"], HOCOVISIO_RATE_LIMIT_UPLOAD="-1")
    assert result.returncode != 0
    assert "invalid settings" in result.stderr
    assert "rate_limit_upload" in result.stderr


def test_broken_or_missing_file_is_named(tmp_path: Path):
    config = write(tmp_path, "port = = 1\n")
    result = hocovisio(["config", "show"], HOCOVISIO_CONFIG=config)
    assert result.returncode != 0
    assert f"invalid settings:\n{config}:" in result.stderr
    missing = str(tmp_path / "absent.toml")
    result = hocovisio(["config", "show"], HOCOVISIO_CONFIG=missing)
    assert result.returncode != 0
    assert missing in result.stderr


def test_tls_files_go_together(tmp_path: Path):
    result = hocovisio(["config", "show"], HOCOVISIO_TLS_CERTFILE=str(tmp_path / "cert.pem"))
    assert result.returncode != 0
    assert "tls_certfile and tls_keyfile" in result.stderr


def test_show_masks_secrets():
    result = hocovisio(
        ["config", "show"],
        HOCOVISIO_OPERATOR_KEY="operator-secret-1234",
        HOCOVISIO_METRICS_TOKEN="metrics-secret-5678",
        DATABASE_URL="postgresql://clinic:db-secret-9012@db.example:5432/hocovisio",
        HOCOVISIO_WEBHOOK_URLS='["https://hv:hook-secret-3456@hooks.example/e?key=hook-key-7890"]',
        HOCOVISIO_WEBHOOK_SECRET="whsec-secret-2468",
    )
    values = shown(result)
    secrets = ("operator-secret-1234", "metrics-secret-5678", "db-secret-9012", "hook-secret-3456")
    for secret in (*secrets, "hook-key-7890", "whsec-secret-2468"):
        assert secret not in result.stdout
    assert values["operator_key"] == '"********"'
    assert values["metrics_token"] == '"********"'
    assert values["database_url"] == '"postgresql://clinic:********@db.example:5432/hocovisio"'
    assert values["webhook_urls"] == '["https://hv:********@hooks.example/e?********"]'


def test_an_invalid_setting_is_named_without_its_value():
    """A secret given where it does not fit (a TURN secret without TURN servers, a token
    too short) is named in the error, never quoted."""
    result = hocovisio(["config", "show"], HOCOVISIO_TURN_SECRET="turn-secret-1357")
    assert result.returncode != 0
    assert "invalid settings" in result.stderr
    assert "turn-secret-1357" not in result.stderr


def test_documented_reference_is_the_model_s():
    """docs/operations.md carries the table generated from the settings model."""
    assert reference() in (ROOT / "docs" / "operations.md").read_text()
    assert "| `operator_key` |" in reference()

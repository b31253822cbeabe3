"""Loading the settings for the command line, showing them, and documenting them.

``hocovisio config show`` prints the effective settings (file, then environment) with the
secrets masked; ``hocovisio config reference`` prints the Markdown table of every setting,
generated from the model's field descriptions (docs/operations.md holds a copy).
"""

import argparse
import json
import os
import tomllib
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from pydantic import BaseModel, SecretStr, ValidationError
from pydantic_core import PydanticUndefined

from app.config.settings import CONFIG_ENV, Settings, config_file

MASK = "********"


class SettingsError(Exception):
    """The settings cannot be read: the message names the file or the setting."""


def load_settings() -> Settings:
    path = config_file()
    if os.environ.get(CONFIG_ENV) and not path.is_file():
        raise SettingsError(f"{CONFIG_ENV}: no such file {path}")
    try:
        return Settings()
    except tomllib.TOMLDecodeError as error:
        raise SettingsError(f"{path}: {error}") from None
    except ValidationError as error:
        source = f" (environment, then {path})" if path.is_file() else ""
        raise SettingsError(f"{error}{source}") from None


def masked_url(url: str, query: bool = False) -> str:
    """The URL with its password replaced by the mask, and its query too with ``query`` (a
    webhook receiver's key often travels there)."""
    parts = urlsplit(url)
    if parts.password is not None:
        user = parts.username or ""
        host = parts.netloc.rpartition("@")[2]
        parts = parts._replace(netloc=f"{user}:{MASK}@{host}")
    if query and parts.query:
        parts = parts._replace(query=MASK)
    return urlunsplit(parts)


def _plain(value: Any) -> Any:
    if isinstance(value, SecretStr):
        return MASK
    if isinstance(value, timedelta):
        return value.total_seconds()
    if isinstance(value, list):
        return [_plain(item) for item in value]
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return str(value)


def effective(settings: Settings) -> dict[str, Any]:
    """Every setting with its value, secrets masked, durations in seconds."""
    values = {name: _plain(getattr(settings, name)) for name in Settings.model_fields}
    if settings.database_url:
        values["database_url"] = masked_url(settings.database_url)
    values["webhook_urls"] = [masked_url(str(url), query=True) for url in settings.webhook_urls]
    return values


def show(settings: Settings) -> str:
    """TOML-like lines, ready to paste into the configuration file (unset ones commented)."""
    lines = [f"# configuration file: {config_file()}"]
    for name, value in effective(settings).items():
        prefix = "# " if value is None else ""
        lines.append(f"{prefix}{name} = {json.dumps(value)}")
    return "\n".join(lines)


def _default(name: str, field: Any) -> str:
    if name == "data_dir":
        return "`/var/lib/hocovisio` (root), else `~/.local/share/hocovisio`"
    value = field.default_factory() if field.default is PydanticUndefined else field.default
    if value is None:
        return "unset"
    return f"`{json.dumps(_plain(value))}`"


def _env_name(name: str) -> str:
    return "`DATABASE_URL`" if name == "database_url" else f"`HOCOVISIO_{name.upper()}`"


def reference(model: type[BaseModel] = Settings) -> str:
    """The Markdown table of every setting: TOML key, variable, default, meaning."""
    rows = ["| Setting | Variable | Default | Meaning |", "| --- | --- | --- | --- |"]
    for name, field in model.model_fields.items():
        meaning = (field.description or "").replace("|", "\\|")
        rows.append(f"| `{name}` | {_env_name(name)} | {_default(name, field)} | {meaning} |")
    return "\n".join(rows)


def add_commands(commands: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    parser = commands.add_parser("config", help="show the effective settings, or their reference")
    actions = parser.add_subparsers(dest="config_action", required=True)
    actions.add_parser("show", help="the effective settings, secrets masked")
    actions.add_parser("reference", help="the Markdown table of every setting")
    parser.set_defaults(handler=_handle)


def _handle(settings: Settings, args: argparse.Namespace) -> None:
    print(show(settings) if args.config_action == "show" else reference())

"""Log lines: text or JSON, each with its request id, never with a token or a credential.

Links carry their tokens in the path (``/session/<onetoone>/<session>``, the page's
``/join/<onetoone>/<session>``, ``/onetoone/<token>``) and credentials travel as ``Bearer``
values, so every line is redacted before it is written, whoever wrote it (our code,
hypercorn's access log, a library's error).
"""

import json
import logging
import os
import re
import sys
import traceback
from collections.abc import Callable
from contextvars import ContextVar
from datetime import UTC, datetime

from app.config.settings import Settings

request_id: ContextVar[str] = ContextVar("request_id", default="-")

# The routes under /session/ that are not a link.
_SESSION_ROUTES = frozenset({"infos", "leave"})


def _link(match: re.Match[str]) -> str:
    """A link's path with each token hidden, a cut-off one too (``/session/OT``)."""
    prefix, rest = match.group(1), match.group(2)
    if prefix == "/session/" and rest in _SESSION_ROUTES:
        return match.group(0)
    return prefix + "/".join("***" if part else "" for part in rest.split("/"))


# (what a line must contain for the pattern to match, the pattern, its replacement): the
# cheap ``in`` test spares most lines (every access line) most of the regular expressions.
_REDACTIONS: list[tuple[str, re.Pattern[str], str | Callable[[re.Match[str]], str]]] = [
    ("/session/", re.compile(r"(/session/)([^\s?\"']+)"), _link),
    ("/join/", re.compile(r"(/join/)([^\s?\"']+)"), _link),
    ("/onetoone/", re.compile(r"(/onetoone/)[^/\s?\"']+"), r"\1***"),
    ("?", re.compile(r"(/[^\s?\"']*)\?[^\s\"']*"), r"\1?***"),
    ("bearer", re.compile(r"(?i)(bearer\s+)[^\s\"',]+"), r"\1***"),
    ("hocovisio_session=", re.compile(r"(hocovisio_session=)[^\s;\"',]+"), r"\1***"),
    ("://", re.compile(r"(://[^:/\s@]+:)[^@\s/]+@"), r"\1***@"),
]

_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")


def redact(text: str) -> str:
    folded = text.lower()
    for needle, pattern, replacement in _REDACTIONS:
        if needle in folded:
            text = pattern.sub(replacement, text)
    return text


def new_request_id(proposed: str | None = None) -> str:
    """``proposed`` (from a trusted proxy) when it looks like an id, else a fresh one."""
    if proposed and _REQUEST_ID.fullmatch(proposed):
        return proposed
    return os.urandom(8).hex()


def _is_database_error(error: BaseException) -> bool:
    """Errors whose text may quote a statement's values: PostgreSQL echoes what it refused."""
    return type(error).__module__.startswith(("psycopg", "sqlalchemy"))


def format_exception(error: BaseException) -> str:
    """A traceback whose database errors are named by class and SQLSTATE only.

    SQLAlchemy's text quotes the statement, and PostgreSQL's quotes the refused value (a token,
    a line of the medical form), so neither is ever written.
    """
    chain: list[BaseException] = []
    current: BaseException | None = error
    while current is not None and current not in chain:
        chain.append(current)
        current = current.__cause__ or (
            None if current.__suppress_context__ else current.__context__
        )
    parts = []
    for link in reversed(chain):
        if _is_database_error(link):
            original = getattr(link, "orig", link)
            text = f"[withheld] SQLSTATE {getattr(original, 'sqlstate', None) or '-'}"
        else:
            text = redact(str(link))
        parts.append("Traceback (most recent call last):\n")
        parts.extend(traceback.format_tb(link.__traceback__))
        parts.append(f"{type(link).__module__}.{type(link).__qualname__}: {text}\n")
    return "".join(parts).rstrip("\n")


class _Redacting(logging.Filter):
    """Formats the message once, redacted, with the request id of the current context."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = redact(record.getMessage())
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = redact(format_exception(record.exc_info[1]))
        record.exc_info = None
        record.request_id = request_id.get()
        return True


class _JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "request_id": getattr(record, "request_id", "-"),
            "msg": record.getMessage(),
        }
        if record.exc_text:
            line["exception"] = record.exc_text
        return json.dumps(line, ensure_ascii=False)


TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"


def configure_logging(settings: Settings) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(_Redacting())
    json_lines = settings.log_format == "json"
    handler.setFormatter(_JsonFormatter() if json_lines else logging.Formatter(TEXT_FORMAT))
    root = logging.getLogger()
    root.handlers = [handler]
    root.setLevel(settings.log_level.upper())
    for noisy in ("asyncio", "aioice", "aiortc"):
        logging.getLogger(noisy).setLevel(max(logging.INFO, root.level))
    # httpx logs every request with its whole URL, which may carry a webhook receiver's key:
    # the deliverer logs its failures itself, with the host only.
    for quoting_urls in ("httpx", "httpcore"):
        logging.getLogger(quoting_urls).setLevel(max(logging.WARNING, root.level))

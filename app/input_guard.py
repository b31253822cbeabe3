"""What a JSON document or a text must be before any handler or the database sees it.

Python's ``json`` accepts what PostgreSQL and clients do not: ``NaN``, ``Infinity`` and
``1e999`` (an infinite float), ``"\\u0000"`` (PostgreSQL refuses NUL in text and JSONB),
``"\\ud800"`` (a lone surrogate, which no UTF-8 encoder takes), integers of any size, and
nesting as deep as the body allows (the decoder recurses once per level). Every JSON body
(``app.http.request_guard``) goes through ``loads``, and every socket frame through ``parse``
and ``check`` (the hub gives this module to ``protoo.parse`` as its ``Guard``).
"""

import json
import math
import re
from typing import Any

from app.errors import Refused

# Deeper than any request of ours (the medical form's values included) will ever need.
MAX_DEPTH = 32
# Beyond what PostgreSQL's bigint and the SFU's int64 fields hold, no integer means anything.
INT_MAX = 2**63 - 1
# PostgreSQL's integer (int4): the database's ids.
ID_MAX = 2**31 - 1

_FORBIDDEN = re.compile("[\x00\ud800-\udfff]")
# A JSON string (skipped whole) or an opening or closing bracket.
_STRUCTURE = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"|[\[{]|[\]}]', re.DOTALL)


class InputRefused(Refused, ValueError):
    """Input the service will not process (400); the message says why, for the client.

    A ``ValueError`` too: that is what ``protoo.parse`` expects of its guard."""

    def __init__(self, msg: str) -> None:
        super().__init__(400, msg)


def check_text(text: str, where: str) -> None:
    """Refuse a NUL character or a lone surrogate in ``text`` (found at ``where``)."""
    found = _FORBIDDEN.search(text)
    if found is None:
        return
    if found.group() == "\x00":
        raise InputRefused(f"{where}: NUL characters are not allowed")
    raise InputRefused(f"{where}: unpaired surrogates (\\ud800-\\udfff) are not allowed")


def decode(data: bytes | str) -> str:
    if isinstance(data, str):
        return data
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise InputRefused("the JSON is not valid UTF-8") from None


def loads(data: bytes | str, where: str = "body") -> Any:
    """Parse JSON and check every key and value; ``InputRefused`` says what is wrong (the
    value's place named from ``where``)."""
    value = parse(data)
    check(value, where)
    return value


def parse(data: bytes | str) -> Any:
    """Only the parsing part of ``loads``: UTF-8, depth and syntax; ``check`` must follow."""
    text = decode(data)
    _check_depth(text)
    try:
        return json.loads(text)
    except ValueError as error:  # includes integers of more than 4300 digits
        raise InputRefused(f"invalid JSON: {error}") from None


def check(value: Any, where: str) -> None:
    """Refuse what ``json.loads`` lets through; ``value`` is at most ``MAX_DEPTH`` deep."""
    if isinstance(value, str):
        check_text(value, where)
    elif isinstance(value, bool):
        return
    elif isinstance(value, int):
        if not -INT_MAX <= value <= INT_MAX:
            raise InputRefused(f"{where}: integer out of range (at most {INT_MAX} either way)")
    elif isinstance(value, float):
        if not math.isfinite(value):
            raise InputRefused(f"{where}: numbers must be finite (no NaN, Infinity, 1e999)")
    elif isinstance(value, dict):
        for key, item in value.items():
            check_text(key, f"{where}: a key")
            check(item, f"{where}.{_shown(key)}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            check(item, f"{where}[{index}]")


def _check_depth(text: str) -> None:
    """Refuse nesting beyond ``MAX_DEPTH`` before the recursive decoder meets it."""
    depth = 0
    for token in _STRUCTURE.finditer(text):
        symbol = token.group()
        if symbol in ("[", "{"):
            depth += 1
            if depth > MAX_DEPTH:
                raise InputRefused(f"JSON nested deeper than {MAX_DEPTH} levels")
        elif symbol in ("]", "}"):
            depth -= 1


def _shown(key: str, limit: int = 40) -> str:
    """A key as an error message names it: the client's own text, kept short."""
    return key if len(key) <= limit else key[: limit - 1] + "…"

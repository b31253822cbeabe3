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
DEEPER = f"JSON nested deeper than {MAX_DEPTH} levels"
_CONTAINERS = (dict, list)
# What, in a JSON text, may decode to a value ``check`` refuses: a NUL or a surrogate (raw or
# escaped), NaN or Infinity, an integer of 19 digits or more, an exponent of 3 digits. Found
# nowhere, no value of the document is refused but for its depth (a match is only a doubt).
# Plain substring tests and one-class patterns: an alternation would try every branch at
# every character.
_RAW_FORBIDDEN = _FORBIDDEN
_ESCAPED_FORBIDDEN = re.compile(r"\\u(?:0000|[dD][89a-fA-F])")
_LONG_DIGITS = re.compile(r"\d{19}")
_LONG_EXPONENT = re.compile(r"[eE][+-]?\d{3}")


def _suspect(text: str) -> bool:
    """Whether ``text`` may hold a value ``check`` refuses (see above)."""
    return (
        "NaN" in text
        or "Infinity" in text
        or ("\\u" in text and _ESCAPED_FORBIDDEN.search(text) is not None)
        or _RAW_FORBIDDEN.search(text) is not None
        or _LONG_DIGITS.search(text) is not None
        or _LONG_EXPONENT.search(text) is not None
    )


class InputRefused(Refused, ValueError):
    """Input the service will not process (400); the message says why, for the client.

    A ``ValueError`` too: that is what ``protoo.parse`` expects of its guard."""

    def __init__(self, msg: str) -> None:
        super().__init__(400, msg)


def check_text(text: str, where: str) -> None:
    """Refuse a NUL character or a lone surrogate in ``text`` (found at ``where``)."""
    fault = _text_fault(text, [])
    if fault is not None:
        raise InputRefused(f"{where}: {fault[1]}")


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
    text = decode(data)
    value = parse(text)
    check(value, where, text)
    return value


def parse(data: bytes | str) -> Any:
    """Only the parsing part of ``loads``: UTF-8 and syntax; ``check`` must follow (it
    enforces ``MAX_DEPTH``). The C decoder gives up by itself on nesting far beyond it."""
    text = decode(data)
    try:
        return json.loads(text)
    except RecursionError:
        raise InputRefused(DEEPER) from None
    except ValueError as error:  # includes integers of more than 4300 digits
        raise InputRefused(f"invalid JSON: {error}") from None


def check(value: Any, where: str, text: str | None = None) -> None:
    """Refuse what ``json.loads`` lets through, and nesting beyond ``MAX_DEPTH``.

    Given the ``text`` the value was parsed from, a document in which no string, number or
    key can be refused (``_suspect`` finds nothing in the text) is only measured for depth,
    level by level; otherwise one walk over the value finds the refusal and names its place.
    Either way a document of a hundred thousand small items costs a pass in C or one walk,
    not a string per item."""
    if text is not None and not _suspect(text):
        if not _shallow(value):
            raise InputRefused(DEEPER)
        return
    fault = _fault(value, 0)
    if fault is not None:
        path, reason = fault
        raise InputRefused(
            reason if path is None else f"{where}{''.join(reversed(path))}: {reason}"
        )


# A refusal found by ``_fault``: the path to it from the value checked (its parts innermost
# first, joined when reported; None when the refusal names no place), and why.
_Fault = tuple[list[str] | None, str]


def _shallow(value: Any) -> bool:
    """Whether ``value`` is nested at most ``MAX_DEPTH`` deep: its containers, level by level
    (the empty ones are not looked into, but on the level past the limit)."""
    level = [value] if type(value) in _CONTAINERS else []
    for depth in range(1, MAX_DEPTH + 1):
        if not level:
            return True
        last = depth == MAX_DEPTH
        level = [
            item
            for container in level
            for item in (container.values() if type(container) is dict else container)
            if type(item) in _CONTAINERS and (item or last)
        ]
    return not level


def _fault(value: Any, depth: int) -> _Fault | None:
    if isinstance(value, str):
        return _text_fault(value, [])
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        if not -INT_MAX <= value <= INT_MAX:
            return [], f"integer out of range (at most {INT_MAX} either way)"
        return None
    if isinstance(value, float):
        if not math.isfinite(value):
            return [], "numbers must be finite (no NaN, Infinity, 1e999)"
        return None
    if isinstance(value, dict | list) and depth >= MAX_DEPTH:
        return None, DEEPER
    if isinstance(value, dict):
        for key, item in value.items():
            fault = _text_fault(key, [": a key"])
            if fault is None:
                fault = _fault(item, depth + 1)
                if fault is not None and fault[0] is not None:
                    fault[0].append(f".{_shown(key)}")
            if fault is not None:
                return fault
    elif isinstance(value, list):
        for index, item in enumerate(value):
            fault = _fault(item, depth + 1)
            if fault is not None:
                if fault[0] is not None:
                    fault[0].append(f"[{index}]")
                return fault
    return None


def _text_fault(text: str, path: list[str]) -> _Fault | None:
    found = _FORBIDDEN.search(text)
    if found is None:
        return None
    if found.group() == "\x00":
        return path, "NUL characters are not allowed"
    return path, "unpaired surrogates (\\ud800-\\udfff) are not allowed"


def _shown(key: str, limit: int = 40) -> str:
    """A key as an error message names it: the client's own text, kept short."""
    return key if len(key) <= limit else key[: limit - 1] + "…"

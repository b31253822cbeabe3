"""FlatBuffers layout primitives: what the emitted codec (``_fbs/codec.py``) calls.

The codec emitted by ``codegen`` at set-up is straight-line Python per table; the
parts shared by every table live here: a table's byte layout per set of present
fields (``Layouts``), appending a table (``finish``), strings and vectors
(``w_*``), and their readers (``r_*``, ``padded_vtable``).

The encoder lays the buffer out front to back (each table's vtable just before
it, children after their parent), which the format allows: the references from a
table to its strings, vectors and sub-tables are unsigned offsets pointing
forward, and a table's reference to its vtable is signed. Every scalar is aligned
to its size relative to the start of the size-prefixed frame, as the flatbuffers
builder does.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from typing import Any

from ..errors import CodecError

U16 = struct.Struct("<H")
I32 = struct.Struct("<i")
_U32 = struct.Struct("<I")
u32 = _U32.unpack_from
_pack = struct.pack
_pack_into = _U32.pack_into

Encoder = Callable[[bytearray, Any, Any], int]
Decoder = Callable[[bytes, int], Any]


class Layouts(dict[int, tuple[bytes, struct.Struct, tuple[int, ...]]]):
    """A table's byte layouts, computed once per set of present fields and alignment.

    Keyed by ``present << 3 | len(buf) % 8`` (``present`` has bit ``1 << slot`` set
    for each field written): the same fields at the same alignment always give the
    same vtable, padding, soffset, inline struct and child offsets, so ``_finish``
    writes a table with one lookup, one prefix and one ``pack``.
    """

    MAX = 1024  # layouts kept per table; a rarer one is computed each time

    def __init__(self, name: str, slots: int, inline: list[tuple[int, str, bool]]) -> None:
        super().__init__()
        self.name = name
        self.slots = slots
        self.inline = inline  # (slot, struct format, is a child offset), widest first

    def __missing__(self, key: int) -> tuple[bytes, struct.Struct, tuple[int, ...]]:
        present, misalignment = key >> 3, key & 7
        vtable = [0] * self.slots
        formats, children, size = "<", [], 4
        for slot, fmt, child in self.inline:
            if present >> slot & 1:
                vtable[slot] = size
                if child:
                    children.append(size)
                size += struct.calcsize(fmt)
                formats += fmt
        start = misalignment + (misalignment & 1)  # vtables are 2-byte aligned
        table = start + 4 + 2 * self.slots
        # With 8-byte fields (they come first), 8-align what follows the 4-byte soffset.
        pad = (4 - table) % 8 if formats[1:2] in ("q", "Q", "d") else -table & 3
        prefix = b"".join(
            (
                bytes(start - misalignment),
                struct.pack(f"<{self.slots + 2}H", 4 + 2 * self.slots, size, *vtable),
                bytes(pad),
                I32.pack(table + pad - start),
            )
        )
        layout = (prefix, struct.Struct(formats), tuple(children))
        if len(self) < self.MAX:
            self[key] = layout
        return layout


def finish(
    buf: bytearray, layouts: Layouts, present: int, scalars: list[Any], children: list[tuple]
) -> int:
    """Append a table (its vtable, inline fields, then children); return its position.

    ``scalars`` are the present inline fields widest first (0 for a child's offset),
    ``children`` the ``(writer, value, argument)`` of its strings, vectors and tables.
    """
    prefix, fields, offsets = layouts[present << 3 | len(buf) & 7]
    buf += prefix
    table = len(buf) - 4
    try:
        buf += fields.pack(*scalars)
    except struct.error as error:
        raise CodecError(f"{layouts.name}: {error}") from None
    for offset, (writer, value, argument) in zip(offsets, children, strict=True):
        child = writer(buf, value, argument)
        offset += table
        _pack_into(buf, offset, child - offset)
    return table


def w_string(buf: bytearray, value: str | bytes, _: Any = None) -> int:
    data = value.encode() if isinstance(value, str) else value
    pad = -len(buf) & 3
    if pad:
        buf += bytes(pad)
    pos = len(buf)
    buf += _U32.pack(len(data))
    buf += data
    buf += b"\0"
    return pos


def _vector_start(buf: bytearray, count: int, element_size: int = 4) -> int:
    pad = -(len(buf) + 4) % (8 if element_size == 8 else 4)
    if pad:
        buf += bytes(pad)
    pos = len(buf)
    buf += _U32.pack(count)
    return pos


def w_scalars(buf: bytearray, value: Any, fmt: str) -> int:
    pos = _vector_start(buf, len(value), struct.calcsize(fmt))
    buf += _pack(f"<{len(value)}{fmt}", *value)
    return pos


def w_bytes(buf: bytearray, value: Any, _: Any = None) -> int:
    pos = _vector_start(buf, len(value))
    buf += bytes(value)
    return pos


def w_strings(buf: bytearray, value: Any, _: Any = None) -> int:
    return w_tables(buf, value, w_string)


def w_tables(buf: bytearray, value: Any, encoder: Encoder) -> int:
    pos = _vector_start(buf, len(value))
    buf += bytes(4 * len(value))
    slot = pos + 4
    for item in value:
        child = encoder(buf, item, None)
        _pack_into(buf, slot, child - slot)
        slot += 4
    return pos


_VTABLE_READERS: dict[int, struct.Struct] = {}


def padded_vtable(buf: bytes, vtable: int, slots: int) -> tuple[int, ...]:
    """A vtable shorter or longer than the schema's ``slots``, read as if it had them.

    The generated decoders read a vtable with every slot in one go; writers trim
    trailing absent fields (the worker's C++ builder does), and a newer schema
    may have more: those vtables come here, padded with zeros or cut.
    """
    count = min((U16.unpack_from(buf, vtable)[0] - 4) >> 1, slots) + 2
    reader = _VTABLE_READERS.get(count)
    if reader is None:
        reader = _VTABLE_READERS[count] = struct.Struct(f"<{count}H")
    return reader.unpack_from(buf, vtable) + (0,) * (slots + 2 - count)


def r_string(buf: bytes, pos: int) -> bytes:
    pos += u32(buf, pos)[0]
    return buf[pos + 4 : pos + 4 + u32(buf, pos)[0]]


def r_scalars(buf: bytes, pos: int, fmt: str) -> list[Any]:
    pos += u32(buf, pos)[0]
    return list(struct.unpack_from(f"<{u32(buf, pos)[0]}{fmt}", buf, pos + 4))


def r_bytes(buf: bytes, pos: int, _: Any = None) -> list[int]:
    pos += u32(buf, pos)[0]
    return list(buf[pos + 4 : pos + 4 + u32(buf, pos)[0]])


def r_strings(buf: bytes, pos: int, _: Any = None) -> list[bytes]:
    pos += u32(buf, pos)[0]
    return [r_string(buf, slot) for slot in range(pos + 4, pos + 4 + 4 * u32(buf, pos)[0], 4)]


def r_tables(buf: bytes, pos: int, decoder: Decoder) -> list[Any]:
    pos += u32(buf, pos)[0]
    slots = range(pos + 4, pos + 4 + 4 * u32(buf, pos)[0], 4)
    return [decoder(buf, slot + u32(buf, slot)[0]) for slot in slots]

"""FlatBuffers encoding and decoding of channel messages, compiled from mediasoup's schemas.

The generated bindings' object API (``MessageT.Pack`` / ``InitFromObj``) goes
through the ``flatbuffers`` runtime one scalar at a time: a dozen Python calls per
field. That was most of the controller's CPU time per request (see
``bench/RESULTS.md``). This codec reads the same ``*T`` objects and produces the same
``*T`` objects, but from per-table plans built once from the ``.fbs`` files: a
table's scalars are written with one ``struct.pack`` and read with one lookup each.

The encoder lays the buffer out front to back (each table's vtable just before
it, children after their parent), which the format allows: the references from a
table to its strings, vectors and sub-tables are unsigned offsets pointing
forward, and a table's reference to its vtable is signed. Every scalar is aligned
to its size relative to the start of the size-prefixed frame, as the flatbuffers
builder does.
"""

from __future__ import annotations

import importlib
import struct
from operator import itemgetter
from pathlib import Path
from typing import Any

from .fbs_schema import SCALARS, Schema, SchemaError, Table, load_schema

SCHEMA_DIR = Path(__file__).parent / "_fbs" / "schema"

SCALAR, STRING, TABLE, UNION, VECTOR_SCALAR, VECTOR_BYTES, VECTOR_STRING, VECTOR_TABLE = range(8)

_U8 = struct.Struct("<B")
_U16 = struct.Struct("<H")
_I32 = struct.Struct("<i")
_U32 = struct.Struct("<I")
_U32_PAIR = struct.Struct("<II")
_u32 = _U32.unpack_from
_pack = struct.pack
_pack_into = _U32.pack_into
_by_size = itemgetter(0)


class CodecError(ValueError):
    """A message cannot be encoded (bad value for its schema) or decoded (malformed)."""


class _TablePlan:
    """How to write and read one table's fields."""

    __slots__ = ("cls", "decode_fields", "defaults", "encode_fields", "name", "vtable")

    def __init__(self, name: str) -> None:
        self.name = name
        self.cls: type = object
        self.defaults: dict[str, Any] = {}
        # (attr, kind, slot, inline format, inline size, default, sub, union type attr),
        # widest first: appending present fields in this order aligns every one of them.
        self.encode_fields: list[tuple] = []
        # (attr, kind, slot, reader, sub), sorted by slot
        self.decode_fields: list[tuple] = []
        self.vtable = struct.Struct("<HH")


def _camel(name: str) -> str:
    """flatc's object-API attribute name of a schema field (``mime_type`` -> ``mimeType``)."""
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def _object_class(table_name: str) -> type:
    module = importlib.import_module(f"{__package__}._fbs.{table_name}")
    return getattr(module, table_name.rsplit(".", 1)[1] + "T")


def _compile_table(
    plan: _TablePlan, table: Table, schema: Schema, plans: dict[str, _TablePlan]
) -> None:
    plan.cls = _object_class(table.name)
    plan.defaults = vars(plan.cls())
    encode, decode = plan.encode_fields, plan.decode_fields
    for field in table.fields:
        attr = _camel(field.name)
        attrs = [attr]
        base, vector = field.type.base, field.type.vector
        scalar = schema.scalar_of(base)
        if scalar is not None and not vector:
            fmt = SCALARS[scalar]
            encode.append(
                (attr, SCALAR, field.slot, fmt, struct.calcsize(fmt), field.default, None, None)
            )
            decode.append((attr, SCALAR, field.slot, struct.Struct("<" + fmt), None))
        elif scalar is not None:
            fmt = SCALARS[scalar]
            kind = VECTOR_BYTES if fmt == "B" else VECTOR_SCALAR
            encode.append((attr, kind, field.slot, "I", 4, None, fmt, None))
            decode.append((attr, kind, field.slot, None, fmt))
        elif base == "string":
            kind = VECTOR_STRING if vector else STRING
            encode.append((attr, kind, field.slot, "I", 4, None, None, None))
            decode.append((attr, kind, field.slot, None, None))
        elif base in schema.tables:
            kind = VECTOR_TABLE if vector else TABLE
            encode.append((attr, kind, field.slot, "I", 4, None, plans[base], None))
            decode.append((attr, kind, field.slot, None, plans[base]))
        else:
            members = {i + 1: plans[m] for i, m in enumerate(schema.unions[base].members)}
            type_attr = attr + "Type"
            attrs.append(type_attr)
            encode.append((type_attr, SCALAR, field.slot - 1, "B", 1, 0, None, None))
            encode.append((attr, UNION, field.slot, "I", 4, None, members, type_attr))
            decode.append((type_attr, SCALAR, field.slot - 1, _U8, None))
            decode.append((attr, UNION, field.slot, type_attr, members))
        for name in attrs:
            if name not in plan.defaults:
                raise SchemaError(f"{plan.cls.__name__} has no attribute {name!r}")
    encode.sort(key=itemgetter(4), reverse=True)
    decode.sort(key=itemgetter(2))
    slots = max((f.slot for f in table.fields), default=-1) + 1
    plan.vtable = struct.Struct(f"<{slots + 2}H")


def _compile(schema: Schema) -> dict[str, _TablePlan]:
    plans = {name: _TablePlan(name) for name in schema.tables}
    for name, table in schema.tables.items():
        _compile_table(plans[name], table, schema, plans)
    return plans


# ----------------------------------------------------------------- encoding


def _write_string(buf: bytearray, value: str | bytes) -> int:
    data = value.encode() if isinstance(value, str) else value
    pad = -len(buf) & 3
    if pad:
        buf += bytes(pad)
    pos = len(buf)
    buf += _U32.pack(len(data))
    buf += data
    buf += b"\0"
    return pos


def _write_vector(buf: bytearray, kind: int, value: Any, sub: Any) -> int:
    count = len(value)
    pad = -(len(buf) + 4) % (8 if kind == VECTOR_SCALAR and sub in "qQd" else 4)
    if pad:
        buf += bytes(pad)
    pos = len(buf)
    if kind == VECTOR_SCALAR:
        buf += _pack(f"<I{count}{sub}", count, *value)
    elif kind == VECTOR_BYTES:
        buf += _U32.pack(count)
        buf += bytes(value)
    else:
        buf += _U32.pack(count)
        buf += bytes(4 * count)
        slot = pos + 4
        for item in value:
            child = (
                _write_string(buf, item) if kind == VECTOR_STRING else _encode_table(buf, item, sub)
            )
            _pack_into(buf, slot, child - slot)
            slot += 4
    return pos


def _encode_table(buf: bytearray, obj: Any, plan: _TablePlan) -> int:
    """Append ``obj``: its vtable, the table, then its children. Returns the table's position."""
    values = obj.__dict__
    vtable = [0] * (plan.vtable.size // 2 - 2)
    formats = "<i"
    scalars: list[Any] = [0]
    children: list[tuple] = []
    offset = 4
    for attr, kind, slot, fmt, size, default, sub, type_attr in plan.encode_fields:
        value = values.get(attr)
        if value is None:
            continue
        if kind == SCALAR:
            if value == default:
                continue
            scalars.append(value)
        else:
            if kind == UNION:
                union_type = values.get(type_attr)
                sub = sub.get(union_type)
                if sub is None:
                    raise CodecError(
                        f"{plan.name}.{attr}: union type {union_type!r} is not a member"
                    )
                kind = TABLE
            scalars.append(0)
            children.append((offset, kind, value, sub))
        vtable[slot] = offset
        offset += size
        formats += fmt
    start = len(buf) + (len(buf) & 1)
    table = start + plan.vtable.size
    if offset > 4 and formats[2] in "qQd":  # 8-byte scalars first, 8-aligned after the soffset
        table += (4 - table) % 8
    else:
        table += -table % 4
    scalars[0] = table - start
    buf += bytes(start - len(buf))
    buf += plan.vtable.pack(plan.vtable.size, offset, *vtable)
    buf += bytes(table - start - plan.vtable.size)
    try:
        buf += _pack(formats, *scalars)
    except struct.error as error:
        raise CodecError(f"{plan.name}: {error}") from None
    for offset, kind, value, sub in children:
        if kind == STRING:
            child = _write_string(buf, value)
        elif kind == TABLE:
            child = _encode_table(buf, value, sub)
        else:
            child = _write_vector(buf, kind, value, sub)
        field = table + offset
        _pack_into(buf, field, child - field)
    return table


def encode(obj: Any, table_name: str = "FBS.Message.Message") -> bytes:
    """``obj`` (an object-API ``*T``) as a size-prefixed FlatBuffer of ``table_name``."""
    buf = bytearray(8)
    try:
        root = _encode_table(buf, obj, _plans()[table_name])
    except (TypeError, AttributeError) as error:
        raise CodecError(f"cannot encode {table_name}: {error}") from None
    _U32_PAIR.pack_into(buf, 0, len(buf) - 4, root - 4)
    return bytes(buf)


# ----------------------------------------------------------------- decoding


def _read_string(buf: bytes, pos: int) -> bytes:
    pos += _u32(buf, pos)[0]
    return buf[pos + 4 : pos + 4 + _u32(buf, pos)[0]]


_VTABLE_READERS: dict[int, struct.Struct] = {}


def _vtable_reader(slots: int) -> struct.Struct:
    reader = _VTABLE_READERS.get(slots)
    if reader is None:
        reader = _VTABLE_READERS[slots] = struct.Struct(f"<{slots}H")
    return reader


def _decode_table(buf: bytes, pos: int, plan: _TablePlan) -> Any:
    vtable = pos - _I32.unpack_from(buf, pos)[0]
    slots = (_U16.unpack_from(buf, vtable)[0] - 4) >> 1
    offsets = _vtable_reader(slots).unpack_from(buf, vtable + 4)
    values = plan.defaults.copy()
    for attr, kind, slot, reader, sub in plan.decode_fields:
        if slot >= slots:
            break
        offset = offsets[slot]
        if not offset:
            continue
        field = pos + offset
        if kind == SCALAR:
            values[attr] = reader.unpack_from(buf, field)[0]
        elif kind == STRING:
            values[attr] = _read_string(buf, field)
        elif kind == TABLE:
            values[attr] = _decode_table(buf, field + _u32(buf, field)[0], sub)
        elif kind == UNION:
            member = sub.get(values[reader])
            if member is not None:
                values[attr] = _decode_table(buf, field + _u32(buf, field)[0], member)
        else:
            values[attr] = _decode_vector(buf, field + _u32(buf, field)[0], kind, sub)
    obj = object.__new__(plan.cls)
    obj.__dict__ = values
    return obj


def _decode_vector(buf: bytes, pos: int, kind: int, sub: Any) -> Any:
    count = _u32(buf, pos)[0]
    start = pos + 4
    if kind == VECTOR_BYTES:
        return list(buf[start : start + count])
    if kind == VECTOR_SCALAR:
        return list(struct.unpack_from(f"<{count}{sub}", buf, start))
    slots = range(start, start + 4 * count, 4)
    if kind == VECTOR_STRING:
        return [_read_string(buf, slot) for slot in slots]
    return [_decode_table(buf, slot + _u32(buf, slot)[0], sub) for slot in slots]


def decode(payload: bytes, table_name: str = "FBS.Message.Message") -> Any:
    """A FlatBuffer of ``table_name`` (without its size prefix) as an object-API ``*T``."""
    try:
        return _decode_table(payload, _u32(payload, 0)[0], _plans()[table_name])
    except (struct.error, IndexError, KeyError) as error:
        raise CodecError(f"malformed {table_name}: {error}") from None


_PLANS: dict[str, _TablePlan] = {}


def _plans() -> dict[str, _TablePlan]:
    """Every table's plan, compiled on first use (it imports every generated module)."""
    if not _PLANS:
        _PLANS.update(_compile(load_schema(SCHEMA_DIR)))
    return _PLANS

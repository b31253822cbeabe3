"""A reader for the FlatBuffers schema language, as far as mediasoup's schemas use it.

``codegen`` emits the codec from these schemas at set-up. The reader covers
namespaces, enums, unions and tables with scalar, enum, string, table, union and
vector fields; anything else (structs, field attributes but ``required``) is refused
with ``SchemaError``, so a schema change in a new mediasoup release fails loudly
at set-up instead of producing wrong bytes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

# Scalar type name -> struct format character (little-endian is added by users).
SCALARS: dict[str, str] = {
    "bool": "?",
    "byte": "b",
    "int8": "b",
    "ubyte": "B",
    "uint8": "B",
    "short": "h",
    "int16": "h",
    "ushort": "H",
    "uint16": "H",
    "int": "i",
    "int32": "i",
    "uint": "I",
    "uint32": "I",
    "long": "q",
    "int64": "q",
    "ulong": "Q",
    "uint64": "Q",
    "float": "f",
    "float32": "f",
    "double": "d",
    "float64": "d",
}

_TOKEN = re.compile(
    r'\s*(?:(//[^\n]*)|("[^"]*")|([A-Za-z_][A-Za-z0-9_.]*)|(-?[0-9][0-9.eE+-]*)|(\S))'
)


class SchemaError(ValueError):
    """The schema uses something this reader does not handle, or is malformed."""


@dataclass
class Enum:
    name: str
    scalar: str
    values: dict[str, int]


@dataclass
class Union:
    name: str
    members: list[str]  # fully-qualified table names; the union type of members[i] is i + 1


@dataclass
class FieldType:
    """``base`` is a scalar name, ``"string"``, or a fully-qualified enum/union/table name."""

    base: str
    vector: bool = False


@dataclass
class Field:
    name: str
    type: FieldType
    slot: int  # the field's id; a union field's type lives at ``slot - 1``
    default: float | int | bool | None
    required: bool = False


@dataclass
class Table:
    name: str
    fields: list[Field] = field(default_factory=list)


@dataclass
class Schema:
    enums: dict[str, Enum] = field(default_factory=dict)
    unions: dict[str, Union] = field(default_factory=dict)
    tables: dict[str, Table] = field(default_factory=dict)

    def scalar_of(self, type_name: str) -> str | None:
        """The scalar type behind a scalar or enum name, ``None`` otherwise."""
        if type_name in SCALARS:
            return type_name
        enum = self.enums.get(type_name)
        return enum.scalar if enum else None


@dataclass
class _RawField:
    name: str
    base: str
    vector: bool
    default: str | None
    required: bool


@dataclass
class _Pending:
    unions: list[tuple[str, list[str], str]] = field(default_factory=list)
    fields: list[tuple[Table, _RawField, str]] = field(default_factory=list)


def _tokens(text: str) -> list[str]:
    tokens = []
    for match in _TOKEN.finditer(text):
        comment, string, name, number, punct = match.groups()
        if comment is not None:
            continue
        token = string or name or number or punct
        if token:
            tokens.append(token)
    return tokens


class _Parser:
    """Declarations of one file; type names are resolved once every file is read."""

    def __init__(self, tokens: list[str], schema: Schema, pending: _Pending) -> None:
        self.tokens = tokens
        self.pos = 0
        self.namespace = ""
        self.schema = schema
        self.pending = pending

    def next(self) -> str:
        if self.pos >= len(self.tokens):
            raise SchemaError("unexpected end of schema")
        token = self.tokens[self.pos]
        self.pos += 1
        return token

    def peek(self) -> str | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def expect(self, token: str) -> None:
        got = self.next()
        if got != token:
            raise SchemaError(f"expected {token!r}, got {got!r}")

    def qualify(self, name: str) -> str:
        return f"{self.namespace}.{name}" if self.namespace else name

    def parse(self) -> None:
        while (token := self.peek()) is not None:
            self.next()
            if token in ("include", "root_type", "file_identifier", "file_extension", "attribute"):
                while self.next() != ";":
                    pass
            elif token == "namespace":
                self.namespace = self.next()
                self.expect(";")
            elif token == "enum":
                self.parse_enum()
            elif token == "union":
                self.parse_union()
            elif token == "table":
                self.parse_table()
            else:
                raise SchemaError(f"unsupported schema declaration {token!r}")

    def skip_metadata(self) -> list[str]:
        attributes: list[str] = []
        if self.peek() == "(":
            self.next()
            while (token := self.next()) != ")":
                if token != ",":
                    attributes.append(token)
        return attributes

    def parse_enum(self) -> None:
        name = self.qualify(self.next())
        self.expect(":")
        scalar = self.next()
        if scalar not in SCALARS:
            raise SchemaError(f"enum {name}: unknown underlying type {scalar!r}")
        self.skip_metadata()
        self.expect("{")
        values: dict[str, int] = {}
        value = 0
        while (token := self.next()) != "}":
            if token == ",":
                continue
            if self.peek() == "=":
                self.next()
                value = int(self.next(), 0)
            values[token] = value
            value += 1
        self.schema.enums[name] = Enum(name, scalar, values)

    def parse_union(self) -> None:
        name = self.qualify(self.next())
        self.skip_metadata()
        self.expect("{")
        members: list[str] = []
        while (token := self.next()) != "}":
            if token == ",":
                continue
            if self.peek() == ":":  # "Alias: Qualified.Type"
                self.next()
                token = self.next()
            members.append(token)
        self.schema.unions[name] = Union(name, [])
        self.pending.unions.append((name, members, self.namespace))

    def parse_table(self) -> None:
        table = Table(self.qualify(self.next()))
        self.skip_metadata()
        self.expect("{")
        while (token := self.next()) != "}":
            self.expect(":")
            vector = self.peek() == "["
            if vector:
                self.next()
            base = self.next()
            if vector:
                self.expect("]")
            default: str | None = None
            if self.peek() == "=":
                self.next()
                default = self.next()
            attributes = self.skip_metadata()
            self.expect(";")
            if any(a != "required" for a in attributes):
                raise SchemaError(f"{table.name}.{token}: unsupported attributes {attributes}")
            raw = _RawField(token, base, vector, default, "required" in attributes)
            self.pending.fields.append((table, raw, self.namespace))
        self.schema.tables[table.name] = table


def _resolve(schema: Schema, name: str, namespace: str) -> str:
    """A type name as written in ``namespace`` -> its fully-qualified name."""
    if name in SCALARS or name == "string":
        return name
    parts = namespace.split(".") if namespace else []
    for depth in range(len(parts), -1, -1):
        candidate = ".".join([*parts[:depth], name])
        if candidate in schema.enums or candidate in schema.unions or candidate in schema.tables:
            return candidate
    raise SchemaError(f"unknown type {name!r} in namespace {namespace!r}")


def _default(schema: Schema, base: str, raw: str | None) -> float | int | bool | None:
    scalar = schema.scalar_of(base)
    if scalar is None:
        return None
    if raw == "null":
        return None
    if raw is None:
        return False if scalar == "bool" else 0
    if raw in ("true", "false"):
        return raw == "true"
    if base in schema.enums:
        values = schema.enums[base].values
        return values[raw] if raw in values else int(raw, 0)
    if SCALARS[scalar] in "fd":
        return float(raw)
    return bool(int(raw)) if scalar == "bool" else int(raw, 0)


def load_schema(directory: Path) -> Schema:
    """Parse every ``*.fbs`` file of ``directory`` into one resolved ``Schema``."""
    schema = Schema()
    pending = _Pending()
    for path in sorted(directory.glob("*.fbs")):
        _Parser(_tokens(path.read_text()), schema, pending).parse()
    if not schema.tables:
        raise SchemaError(f"no FlatBuffers schema in {directory}")
    for name, members, namespace in pending.unions:
        schema.unions[name].members = [_resolve(schema, m, namespace) for m in members]
    for table, raw, namespace in pending.fields:
        base = _resolve(schema, raw.base, namespace)
        slot = table.fields[-1].slot + 1 if table.fields else 0
        if base in schema.unions:
            if raw.vector:
                raise SchemaError(f"{table.name}.{raw.name}: vectors of unions are not supported")
            slot += 1  # the hidden "<name>_type" field takes the id before
        default = _default(schema, base, raw.default)
        table.fields.append(
            Field(raw.name, FieldType(base, raw.vector), slot, default, raw.required)
        )
    return schema

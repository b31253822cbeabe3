"""What an uploaded file is, judged from its bytes, and a harmless name for it.

The client's content type and file name are never trusted: the type comes from the file's
leading "magic" bytes (text must be valid UTF-8 without NUL throughout), and the name is only
metadata, cleaned of paths and control characters, never used to build a storage path.
"""

import codecs
import re
import unicodedata

# Bytes needed to recognise every binary type below (DICOM: "DICM" after a 128-byte preamble).
SNIFF_BYTES = 132
TEXT = "text/plain"
MAX_NAME_CHARS = 200
_MAX_EXTENSION_CHARS = 16

_MAGIC: tuple[tuple[str, int, bytes], ...] = (
    ("application/pdf", 0, b"%PDF-"),
    ("image/png", 0, b"\x89PNG\r\n\x1a\n"),
    ("image/jpeg", 0, b"\xff\xd8\xff"),
    ("application/dicom", 128, b"DICM"),
)


def sniff(head: bytes) -> str:
    """The type of a file starting with ``head`` (at least ``SNIFF_BYTES`` unless shorter).

    Anything unrecognised is a text candidate, to be confirmed by ``TextCheck``.
    """
    for content_type, offset, magic in _MAGIC:
        if head[offset : offset + len(magic)] == magic:
            return content_type
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    return TEXT


class TextCheck:
    """Confirms, chunk by chunk, that a file is UTF-8 text without NUL characters."""

    def __init__(self) -> None:
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="strict")

    def feed(self, data: bytes, final: bool = False) -> bool:
        if b"\x00" in data:
            return False
        try:
            self._decoder.decode(data, final)
        except UnicodeDecodeError:
            return False
        return True


def safe_name(raw: str | None) -> str:
    """A display name: no folders, no control or invisible format characters, bounded length."""
    name = unicodedata.normalize("NFC", raw or "")
    name = re.split(r"[/\\]", name)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C")
    name = name.strip().lstrip(".").strip()
    if len(name) > MAX_NAME_CHARS:
        stem, dot, extension = name.rpartition(".")
        if dot and stem and len(extension) <= _MAX_EXTENSION_CHARS:
            name = stem[: MAX_NAME_CHARS - len(extension) - 1].rstrip() + "." + extension
        else:
            name = name[:MAX_NAME_CHARS].rstrip()
    return name or "document"

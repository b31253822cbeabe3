"""Reading one file out of a ``multipart/form-data`` body as it arrives, never whole in memory."""

from collections.abc import AsyncIterable, AsyncIterator, Iterator

from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.sansio.multipart import (
    Data,
    Epilogue,
    Field,
    File,
    MultipartDecoder,
    NeedData,
)

# The decoder is fed slices of this size, so that its own buffer stays small.
_SLICE = 64 * 1024
# A part's headers, or the data between two parser steps, may not exceed this.
_MAX_BUFFER = 256 * 1024
_MAX_PARTS = 32


class MultipartError(Exception):
    """The body is not a well-formed form with the expected file."""


async def file_part(
    body: AsyncIterable[bytes], boundary: bytes, field: str
) -> AsyncIterator[str | bytes]:
    """Yield the file name of the file part ``field``, then that file's data.

    Other parts are read and dropped. The generator returns only once the whole body has been
    read and ended with its closing boundary; a truncated or malformed body, a second file under
    ``field``, or no such file at all raises ``MultipartError``.
    """
    decoder = MultipartDecoder(boundary, max_form_memory_size=_MAX_BUFFER, max_parts=_MAX_PARTS)
    found = in_file = ended = False
    async for piece in _slices(body):
        try:
            decoder.receive_data(piece)
            events = list(_events(decoder))
        except (ValueError, RequestEntityTooLarge) as error:
            raise MultipartError("malformed multipart body") from error
        for event in events:
            if isinstance(event, File) and event.name == field:
                if found:
                    raise MultipartError(f"only one file in the field {field!r}")
                found = in_file = True
                yield event.filename or ""
            elif isinstance(event, File | Field):
                in_file = False
            elif isinstance(event, Data) and in_file:
                if event.data:
                    yield event.data
                in_file = event.more_data
            elif isinstance(event, Epilogue):
                ended = True
    if not ended:
        raise MultipartError("malformed multipart body")
    if not found:
        raise MultipartError(f"a file in the multipart field {field!r} is required")


async def _slices(body: AsyncIterable[bytes]) -> AsyncIterator[bytes | None]:
    """The body in small slices, then None for its end (what the decoder expects)."""
    async for chunk in body:
        for start in range(0, len(chunk), _SLICE):
            yield chunk[start : start + _SLICE]
    yield None


def _events(decoder: MultipartDecoder) -> Iterator[Data | Epilogue | Field | File]:
    while True:
        event = decoder.next_event()
        if isinstance(event, NeedData):
            return
        if isinstance(event, Data | Epilogue | Field | File):
            yield event
        if isinstance(event, Epilogue):
            return

"""How large a frame each socket may send, and how many bytes of frames a second, checked before
anything parses them.

JSON parsing runs on the event loop that serves every client: a frame must be small enough that
reading it cannot stall the others. A socket in the waiting room may send only small frames (it
is refused every request anyway); an admitted one, frames the size of the largest request a
page or a station sends (``join``'s RTP capabilities, a chat message at
``message_max_chars``, every character escaped). Beyond its cap, the socket is closed with
1009 before the frame is parsed. Hypercorn itself buffers no message beyond ``transport_max``:
it closes the socket with 1009 on its own, without reading further. A socket whose session
sends frames faster than its byte budget (``RateLimits.spend_frame_bytes``: a
burst, then a steady rate, whatever its sockets and reconnections) is closed with 1008 before
the frame is parsed: frames just under the cap, sent as fast as the connection takes them,
would keep the loop busy too.
"""

from app.config.settings import Settings

CLOSE_TOO_BIG = 1009
CLOSE_POLICY = 1008
WAITING_MAX = 4 * 1024
ADMITTED_FLOOR = 64 * 1024
TRANSPORT_FLOOR = 1024 * 1024
# A chat message's characters, each escaped as JSON may escape it ("\ud83d\ude00": 12 bytes
# for one character), and the frame around it.
ESCAPED_CHAR_BYTES = 12
FRAME_OVERHEAD = 4 * 1024
# Frames up to this size are parsed on the event loop (a few hundred microseconds at most);
# larger ones in a thread, where the parsing shares the interpreter with the loop by turns
# instead of holding it for the whole frame.
PARSE_ON_LOOP_MAX = 8 * 1024


def admitted_max(settings: Settings) -> int:
    """The largest frame an admitted socket may send."""
    return max(ADMITTED_FLOOR, ESCAPED_CHAR_BYTES * settings.message_max_chars + FRAME_OVERHEAD)


def transport_max(settings: Settings) -> int:
    """Hypercorn's ``websocket_max_message_size``: no socket's frame may be larger."""
    return max(TRANSPORT_FLOOR, admitted_max(settings))

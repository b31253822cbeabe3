"""Which video a receiving transport serves first when bandwidth is short."""

from app.media.room import consumer_priority


def test_device_video_first_then_screen_then_camera():
    device = consumer_priority({"device": {"id": 1, "name": "Otoscope"}, "peerId": 3})
    screen = consumer_priority({"source": "screen", "peerId": 3})
    camera = consumer_priority({"source": "webcam", "peerId": 3})
    assert device > screen > camera == 1

"""Media files the fake devices play: a plain colour (a Y4M video, which Chromium's fake
camera reads with ``--use-file-for-fake-video-capture``) and a pure tone (a WAV, which
Chromium's fake microphone and the station agent's players read)."""

import math
import wave
from pathlib import Path

import numpy as np

WIDTH, HEIGHT, FPS = 640, 360, 30
SAMPLE_RATE = 48_000


def write_colour(path: Path, rgb: tuple[int, int, int], seconds: int = 1) -> Path:
    """A Y4M video of one colour (4:2:0, BT.601 full range, which is Y4M's default)."""
    r, g, b = rgb
    y = round(0.299 * r + 0.587 * g + 0.114 * b)
    u = round(-0.169 * r - 0.331 * g + 0.5 * b + 128)
    v = round(0.5 * r - 0.419 * g - 0.081 * b + 128)
    frame = (
        b"FRAME\n"
        + bytes([y]) * (WIDTH * HEIGHT)
        + bytes([u]) * (WIDTH * HEIGHT // 4)
        + bytes([v]) * (WIDTH * HEIGHT // 4)
    )
    header = f"YUV4MPEG2 W{WIDTH} H{HEIGHT} F{FPS}:1 Ip A1:1 C420jpeg\n".encode()
    path.write_bytes(header + frame * (FPS * seconds))
    return path


def write_tone(path: Path, frequency: float, seconds: int = 2) -> Path:
    """A 16-bit mono WAV of a pure tone (Chromium loops it)."""
    t = np.arange(SAMPLE_RATE * seconds) / SAMPLE_RATE
    samples = (0.5 * 32767 * np.sin(2 * math.pi * frequency * t)).astype("<i2")
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(SAMPLE_RATE)
        out.writeframes(samples.tobytes())
    return path

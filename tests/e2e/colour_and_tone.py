"""A plain colour and a pure tone: files that Chromium's fake camera and microphone play
instead of their own pattern and beep (``--use-file-for-fake-video-capture``,
``--use-file-for-fake-audio-capture``), and what the other side's page shows and plays of
them, read off its remote tile."""

import math
import wave
from pathlib import Path

import numpy as np
from playwright.async_api import Page

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


# The mean colour of the middle of the remote tile's picture, as the page draws it.
SHOWN_COLOUR = """() => {
  const video = document.querySelector('.tile.remote video');
  if (!video || !video.videoWidth) return null;
  const canvas = new OffscreenCanvas(video.videoWidth, video.videoHeight);
  const context = canvas.getContext('2d');
  context.drawImage(video, 0, 0);
  const { data } = context.getImageData(
    canvas.width / 4, canvas.height / 4, canvas.width / 2, canvas.height / 2);
  const sum = [0, 0, 0];
  for (let i = 0; i < data.length; i += 4) for (let c = 0; c < 3; c++) sum[c] += data[i + c];
  return sum.map((s) => Math.round(s / (data.length / 4)));
}"""

# The loudest frequency of the remote tile's sound, through Web Audio.
HEARD_FREQUENCY = """async () => {
  const audio = document.querySelector('.tile.remote audio');
  if (!audio || !audio.srcObject) return null;
  const context = new AudioContext();
  await context.resume();
  const analyser = context.createAnalyser();
  analyser.fftSize = 8192;
  context.createMediaStreamSource(audio.srcObject).connect(analyser);
  await new Promise((done) => setTimeout(done, 600));
  const bins = new Float32Array(analyser.frequencyBinCount);
  analyser.getFloatFrequencyData(bins);
  let loudest = 1;
  for (let i = 2; i < bins.length; i++) if (bins[i] > bins[loudest]) loudest = i;
  await context.close();
  return (loudest * context.sampleRate) / analyser.fftSize;
}"""


async def shown_colour(page: Page) -> tuple[int, int, int] | None:
    colour = await page.evaluate(SHOWN_COLOUR)
    return tuple(colour) if colour else None


async def heard_frequency(page: Page) -> float | None:
    return await page.evaluate(HEARD_FREQUENCY)

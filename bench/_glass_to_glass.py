"""Glass-to-glass latency between two pages of one machine: a camera that shows the time, and
a reader of the time on the other side's picture.

The sending page's camera is a canvas (its ``getUserMedia`` is wrapped before the page's own
scripts run; the microphone stays the fake one) on which, 30 times a second, the current time
in milliseconds is drawn as 24 black or white squares. The receiving page reads the squares
of every frame of its remote video when it is about to be shown
(``requestVideoFrameCallback``'s ``expectedDisplayTime``) and keeps the difference. Both pages
read the same clock (``performance.timeOrigin + performance.now()``), so the difference is
the whole path: capture, encoding, the transforms, the network and the SFU, the jitter
buffer, decoding and rendering.
"""

from playwright.async_api import Page

# The camera: 1280x720 like Chromium's fake one, so that simulcast sends the same layers.
STAMPED_CAMERA = """(() => {
  const BITS = 24, SIZE = 80, WIDTH = 1280, HEIGHT = 720;
  const real = navigator.mediaDevices.getUserMedia.bind(navigator.mediaDevices);
  navigator.mediaDevices.getUserMedia = async (constraints = {}) => {
    if (!constraints.video) return real(constraints);
    const stream = constraints.audio ? await real({ audio: constraints.audio }) : new MediaStream();
    const canvas = document.createElement('canvas');
    canvas.width = WIDTH;
    canvas.height = HEIGHT;
    const context = canvas.getContext('2d');
    setInterval(() => {
      const stamp = Math.round(performance.timeOrigin + performance.now()) % 2 ** BITS;
      context.fillStyle = '#808080';
      context.fillRect(0, 0, WIDTH, HEIGHT);
      for (let bit = 0; bit < BITS; bit++) {
        context.fillStyle = (stamp >> bit) & 1 ? '#ffffff' : '#000000';
        context.fillRect((1 + (bit % 12) * 1.25) * SIZE, (2 + Math.floor(bit / 12) * 2) * SIZE,
          SIZE, SIZE);
      }
    }, 1000 / 30);
    stream.addTrack(canvas.captureStream(30).getVideoTracks()[0]);
    return stream;
  };
})();"""

# The reader, started on the receiving page: ``window.glassToGlass`` collects milliseconds.
READ_STAMPS = """() => {
  const BITS = 24, SIZE = 80, WIDTH = 1280;
  const video = document.querySelector('.tile.remote video');
  const canvas = new OffscreenCanvas(WIDTH, 720);
  const context = canvas.getContext('2d', { willReadFrequently: true });
  window.glassToGlass = [];
  const read = (_, frame) => {
    const scale = video.videoWidth / WIDTH;
    canvas.width = video.videoWidth;
    canvas.height = video.videoHeight;
    context.drawImage(video, 0, 0);
    let stamp = 0;
    for (let bit = 0; bit < BITS; bit++) {
      const x = ((1 + (bit % 12) * 1.25) * SIZE + SIZE / 2) * scale;
      const y = ((2 + Math.floor(bit / 12) * 2) * SIZE + SIZE / 2) * scale;
      if (context.getImageData(Math.round(x), Math.round(y), 1, 1).data[0] > 128) {
        stamp |= 1 << bit;
      }
    }
    const shown = Math.round(performance.timeOrigin + frame.expectedDisplayTime) % 2 ** BITS;
    const latency = (shown - stamp + 2 ** BITS) % 2 ** BITS;
    if (latency < 5000) window.glassToGlass.push(latency);
    video.requestVideoFrameCallback(read);
  };
  video.requestVideoFrameCallback(read);
}"""


async def start_reading(page: Page) -> None:
    await page.evaluate(READ_STAMPS)


async def latencies(page: Page) -> list[float]:
    """The milliseconds from the other page's canvas to this page's screen, frame by frame."""
    return await page.evaluate("() => window.glassToGlass")

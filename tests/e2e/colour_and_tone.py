"""What a page shows and plays of the other side's camera and microphone, read off its
remote tile: the colour of the picture, the loudest frequency of the sound (the fake devices
play the files of ``tests.media_files``)."""

from playwright.async_api import Page

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

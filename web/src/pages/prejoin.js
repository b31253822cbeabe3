// Before joining: the camera's preview, the choice of camera and microphone, a level meter,
// and what to do when the browser refuses them. One may join with both, with the microphone
// only, or with nothing. The devices chosen are remembered on this browser, and "join
// directly next time" skips this step (the page then joins with them at once).

import { h, setStatus, show } from '../dom.js';
import { t } from '../i18n.js';

const STORE = 'hocovisio.devices';
// 720p, so that the camera's three simulcast layers are 180p, 360p and 720p.
const CAMERA = { width: { ideal: 1280 }, height: { ideal: 720 }, frameRate: { ideal: 24 } };

function remembered() {
  try {
    return JSON.parse(localStorage.getItem(STORE)) || {};
  } catch {
    return {};
  }
}

function remember(choice) {
  try {
    localStorage.setItem(STORE, JSON.stringify(choice));
  } catch {
    // Storage refused (a private window): the step shows again next time.
  }
}

// The camera and microphone asked for (a device id, or any), the camera left out when it
// fails on its own; throws when nothing could be had.
async function capture({ cameraId, microphoneId } = {}) {
  const audio = microphoneId ? { deviceId: { exact: microphoneId } } : true;
  const video = cameraId ? { ...CAMERA, deviceId: { exact: cameraId } } : CAMERA;
  try {
    return await navigator.mediaDevices.getUserMedia({ audio, video });
  } catch (error) {
    if (error.name === 'NotAllowedError') throw error;
    return navigator.mediaDevices.getUserMedia({ audio });
  }
}

// The stream to join with (null: nothing), after the person chose, or at once when they
// asked to skip this step.
export async function prejoin(root) {
  const saved = remembered();
  if (saved.skip) {
    return capture(saved).catch(() => capture().catch(() => null));
  }
  return new PreJoin(root, saved).choice();
}

class PreJoin {
  constructor(root, saved) {
    this.saved = saved;
    this.stream = null;
    this.preview = h('video', { autoplay: true, playsInline: true, muted: true, class: 'preview' });
    this.noCamera = h('p', { class: 'no-camera' }, t('No camera'));
    this.cameras = h('select', { name: 'camera', onchange: () => this.start() });
    this.microphones = h('select', { name: 'microphone', onchange: () => this.start() });
    this.level = h('meter', { min: 0, max: 1, value: 0, 'aria-label': t('Microphone level') });
    this.problem = h('div', { class: 'problem', role: 'alert', hidden: true });
    this.skip = h('input', { type: 'checkbox', name: 'skip' });
    this.joinButton = h('button', { type: 'button', onclick: () => this.join('both') }, t('Join'));
    show(root, h('section', { class: 'panel prejoin' },
      h('h1', {}, t('Check your camera and microphone')),
      this.problem,
      h('div', { class: 'self' }, this.preview, this.noCamera),
      h('label', {}, t('Camera'), this.cameras),
      h('label', {}, t('Microphone'), this.microphones),
      h('label', {}, t('Microphone level'), this.level),
      h('div', { class: 'choices' },
        this.joinButton,
        h('button', { type: 'button', class: 'secondary', onclick: () => this.join('audio') },
          t('Join without camera')),
        h('button', { type: 'button', class: 'secondary', onclick: () => this.join('none') },
          t('Join without camera or microphone'))),
      h('label', { class: 'skip' }, this.skip, t('Join directly next time on this browser'))));
    setStatus(t('Before joining'));
  }

  choice() {
    this.start({ cameraId: this.saved.cameraId, microphoneId: this.saved.microphoneId });
    return new Promise((resolve) => { this.done = resolve; });
  }

  async start(devices = { cameraId: this.cameras.value, microphoneId: this.microphones.value }) {
    this.stop();
    this.problem.hidden = true;
    try {
      this.stream = await capture(devices);
    } catch (error) {
      this.refused(error);
      return;
    }
    this.preview.srcObject = this.stream;
    this.noCamera.hidden = this.stream.getVideoTracks().length > 0;
    this.meter();
    await this.listDevices();
  }

  stop() {
    this.stopMeter();
    for (const track of this.stream?.getTracks() || []) track.stop();
    this.stream = null;
  }

  stopMeter() {
    clearInterval(this.metering);
    this.audioContext?.close().catch(() => {});
    this.audioContext = null;
  }

  // What went wrong, in words, with the browser's own steps to allow the devices and a retry.
  refused(error) {
    this.preview.srcObject = null;
    this.noCamera.hidden = false;
    this.cameras.disabled = this.microphones.disabled = true;
    const blocked = error.name === 'NotAllowedError';
    this.problem.replaceChildren(
      h('p', {}, blocked
        ? t('Your browser did not allow the camera and microphone.')
        : t('No camera or microphone could be used: {error}', { error: error.message })),
      blocked
        ? h('ol', {},
          h('li', {}, t('Click the camera icon or the padlock at the left of the address bar.')),
          h('li', {}, t('Allow the camera and the microphone for this site.')),
          h('li', {}, t('Press Try again.')))
        : null,
      h('button', { type: 'button', onclick: () => this.start() }, t('Try again')));
    this.problem.hidden = false;
  }

  async listDevices() {
    const devices = await navigator.mediaDevices.enumerateDevices();
    const [video] = this.stream.getVideoTracks();
    const [audio] = this.stream.getAudioTracks();
    fill(this.cameras, devices.filter((d) => d.kind === 'videoinput'), video);
    fill(this.microphones, devices.filter((d) => d.kind === 'audioinput'), audio);
  }

  meter() {
    const [track] = this.stream.getAudioTracks();
    if (!track) return;
    this.audioContext = new AudioContext();
    const analyser = this.audioContext.createAnalyser();
    analyser.fftSize = 512;
    this.audioContext.createMediaStreamSource(new MediaStream([track])).connect(analyser);
    const samples = new Float32Array(analyser.fftSize);
    this.metering = setInterval(() => {
      analyser.getFloatTimeDomainData(samples);
      const power = samples.reduce((sum, s) => sum + s * s, 0) / samples.length;
      this.level.value = Math.min(1, Math.sqrt(power) * 4);
    }, 100);
  }

  join(what) {
    this.stopMeter();
    const stream = this.stream;
    const keep = (track) => what === 'both' || (what === 'audio' && track.kind === 'audio');
    for (const track of stream?.getTracks() || []) {
      if (!keep(track)) {
        track.stop();
        stream.removeTrack(track);
      }
    }
    remember({
      skip: this.skip.checked,
      cameraId: this.cameras.value || undefined,
      microphoneId: this.microphones.value || undefined,
    });
    this.done(stream && stream.getTracks().length ? stream : null);
  }
}

function fill(select, devices, track) {
  const current = track?.getSettings().deviceId;
  select.replaceChildren(...devices.map((device, i) => h('option',
    { value: device.deviceId, selected: device.deviceId === current },
    device.label || t('Device {n}', { n: i + 1 }))));
  select.disabled = devices.length === 0;
}

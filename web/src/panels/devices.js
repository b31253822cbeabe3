// Medical devices plugged into a consultation station (`deviceConnected`/`deviceDisconnected`,
// GET /devices/connected), and the video they send, shown apart from the participants'.

import { api } from '../api.js';
import { h } from '../dom.js';
import { t } from '../i18n.js';

export class DevicesPanel {
  constructor() {
    this.plugged = new Map();
    this.list = h('ul', { class: 'devices' });
    this.videos = h('div', { class: 'device-videos' });
    this.empty = h('p', { class: 'muted' }, t('No medical device connected.'));
    this.element = h('section', { class: 'panel devices-panel' },
      h('h2', {}, t('Medical devices')), this.empty, this.list, this.videos);
  }

  // The list as it stands; a server without GET /devices/connected leaves it to the events.
  async load() {
    try {
      const { devices } = await api.connectedDevices();
      for (const entry of devices || []) this.connected(entry);
    } catch (error) {
      if (error.status !== 404) throw error;
    }
  }

  connected(entry) {
    const key = entryKey(entry);
    if (this.plugged.has(key)) return;
    const item = h('li', {}, h('strong', {}, entry.device?.name || t('Device')),
      h('span', { class: 'muted' }, ` ${entry.device?.kind || ''}`));
    this.plugged.set(key, item);
    this.list.append(item);
    this.refresh();
  }

  disconnected(entry) {
    const key = entryKey(entry);
    this.plugged.get(key)?.remove();
    this.plugged.delete(key);
    this.refresh();
  }

  addVideo(consumerId, label, track) {
    const video = h('video', { autoplay: true, playsInline: true, muted: true });
    video.srcObject = new MediaStream([track]);
    this.videos.append(h('figure', { 'data-consumer-id': consumerId, class: 'tile device-tile' },
      video, h('figcaption', {}, label)));
    this.refresh();
  }

  removeVideo(consumerId) {
    this.videos.querySelector(`[data-consumer-id="${CSS.escape(consumerId)}"]`)?.remove();
    this.refresh();
  }

  refresh() {
    this.empty.hidden = this.plugged.size > 0 || this.videos.children.length > 0;
  }
}

// The label of a consumer's device, when its producer is a medical device's video.
export function deviceLabel(appData) {
  const device = appData?.device;
  if (!device) return null;
  if (typeof device === 'object') return device.name || device.label || t('Medical device');
  return appData.label || String(device);
}

function entryKey(entry) {
  return `${entry.peerId}/${entry.device?.id}/${entry.node ?? ''}`;
}

// A remote participant's tile: their camera, their microphone, and who they are.

import { h } from '../dom.js';
import { t } from '../i18n.js';
import { qualityBadge, showQuality } from '../quality.js';
import { roleName } from '../roles.js';

export class RemoteTile {
  constructor(peerId, role) {
    this.peerId = peerId;
    this.kinds = new Map();
    this.video = h('video', { autoplay: true, playsInline: true, muted: true });
    this.audio = h('audio', { autoplay: true });
    this.name = h('span', {}, roleName(role));
    this.qualityBadge = qualityBadge();
    this.caption = h('figcaption', {}, this.name, this.qualityBadge);
    this.element = h('figure', { class: 'tile remote no-video', 'data-peer-id': peerId, 'data-role': role || '' },
      this.video, this.audio, h('div', { class: 'placeholder' }, t('Camera off')), this.caption);
  }

  setRole(role) {
    this.name.textContent = roleName(role);
    this.element.dataset.role = role || '';
  }

  quality(level) {
    showQuality(this.qualityBadge, level);
  }

  attach(consumer) {
    this.kinds.set(consumer.id, consumer.kind);
    const element = consumer.kind === 'video' ? this.video : this.audio;
    element.srcObject = new MediaStream([consumer.track]);
    element.play().catch(() => {});
    if (consumer.kind === 'video') this.element.classList.remove('no-video');
  }

  detach(consumerId) {
    const kind = this.kinds.get(consumerId);
    if (!kind) return false;
    this.kinds.delete(consumerId);
    (kind === 'video' ? this.video : this.audio).srcObject = null;
    if (kind === 'video') this.element.classList.add('no-video');
    return true;
  }

  paused(consumerId, isPaused) {
    const kind = this.kinds.get(consumerId);
    if (kind === 'video') this.element.classList.toggle('no-video', isPaused);
    if (kind === 'audio') this.element.classList.toggle('muted-mic', isPaused);
  }

  speaking(isSpeaking) {
    this.element.classList.toggle('speaking', isSpeaking);
  }
}

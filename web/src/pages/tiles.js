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
    this.micState = h('span', { class: 'mic-state' });
    this.caption = h('figcaption', {}, this.name, this.micState, this.qualityBadge);
    this.placeholder = h('div', { class: 'placeholder' }, t('Camera off'));
    this.element = h('figure', { class: 'tile remote no-video', 'data-peer-id': peerId, 'data-role': role || '' },
      this.video, this.audio, this.placeholder, this.caption);
  }

  // What the participant's page says it sends (`mediaState`).
  mediaState({ camera, microphone }) {
    this.placeholder.textContent = camera === 'none' ? t('No camera') : t('Camera off');
    this.element.dataset.camera = camera;
    this.element.dataset.microphone = microphone;
    this.element.classList.toggle('muted-mic', microphone !== 'on');
    this.micState.replaceChildren(...(microphone === 'on' ? [] : [micOffIcon(),
      microphone === 'none' ? t('No microphone') : t('Muted')]));
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
    if (kind === 'audio') {
      this.element.classList.toggle('muted-mic', isPaused);
      this.micState.replaceChildren(...(isPaused ? [micOffIcon(), t('Muted')] : []));
    }
  }

  speaking(isSpeaking) {
    this.element.classList.toggle('speaking', isSpeaking);
  }
}

// A microphone struck through, drawn inline: an emoji needs a font that may be missing.
function micOffIcon() {
  const svg = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
  svg.setAttribute('viewBox', '0 0 24 24');
  svg.setAttribute('aria-hidden', 'true');
  svg.setAttribute('class', 'icon');
  const path = document.createElementNS('http://www.w3.org/2000/svg', 'path');
  path.setAttribute('d', 'M12 3a3 3 0 0 0-3 3v6a3 3 0 0 0 6 0V6a3 3 0 0 0-3-3zM6 11a6 6 0 0 0 12 0M12 17v4M3 3l18 18');
  path.setAttribute('fill', 'none');
  path.setAttribute('stroke', 'currentColor');
  path.setAttribute('stroke-width', '2');
  svg.append(path);
  return svg;
}

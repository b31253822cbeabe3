// The doctor's waiting room: devices that re-opened a used link (`newSessionToValidate`) wait
// here, with the device they came from and since when, until the doctor admits them
// (POST /validate: by default the admitted device replaces the one that held the link) or
// refuses them (POST /refuse). A new arrival rings once and is counted in the heading and in
// the tab's title until it is dealt with; the panel shows only while someone waits.

import { api } from '../api.js';
import { h } from '../dom.js';
import { t } from '../i18n.js';
import { roleName } from '../roles.js';

const TITLE = document.title;

export class WaitingRoomPanel {
  constructor({ onError }) {
    this.onError = onError;
    this.list = h('ul', { class: 'waiting' });
    this.count = h('span', { class: 'badge', hidden: true });
    this.element = h('section', { class: 'panel waiting-panel', 'aria-live': 'polite', hidden: true },
      h('h2', {}, t('Waiting room'), ' ', this.count), this.list);
  }

  add(session) {
    // A doctor's socket is told about everyone already waiting when it connects: once only.
    if (this.item(session.id)) return;
    const since = new Date(session.created_at)
      .toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
    const replace = h('input', { type: 'checkbox', checked: true });
    const who = session.device_hint
      ? t('{role} on {device}', { role: roleName(session.role), device: session.device_hint })
      : roleName(session.role);
    const item = h('li', { 'data-session-id': session.id },
      h('p', { class: 'who' }, h('strong', {}, who), ' ',
        h('span', { class: 'muted' }, t('waiting since {time}', { time: since }))),
      h('label', { class: 'replace' }, replace,
        t('Replace the {role} device already in', { role: roleName(session.role) })),
      h('div', { class: 'actions' },
        h('button', { type: 'button', onclick: () => this.admit(session, replace.checked) },
          t('Admit')),
        h('button', { type: 'button', class: 'secondary', onclick: () => this.refuse(session) },
          t('Refuse'))));
    this.list.append(item);
    this.changed();
    ring();
  }

  // Admitted or refused, here or on another of the doctor's devices.
  remove(sessionId) {
    this.item(sessionId)?.remove();
    this.changed();
  }

  item(sessionId) {
    return this.list.querySelector(`[data-session-id="${sessionId}"]`);
  }

  changed() {
    const waiting = this.list.children.length;
    this.count.hidden = waiting === 0;
    this.count.textContent = String(waiting);
    this.element.hidden = waiting === 0;
    document.title = waiting > 0 ? `(${waiting}) ${TITLE}` : TITLE;
  }

  async admit(session, replace) {
    try {
      await api.validate(session.id, replace);
      this.remove(session.id);
    } catch (error) {
      this.onError(t('Could not admit: {error}', { error: error.message }));
    }
  }

  async refuse(session) {
    try {
      await api.refuse(session.id);
      this.remove(session.id);
    } catch (error) {
      this.onError(t('Could not refuse: {error}', { error: error.message }));
    }
  }
}

// Two short tones: someone is in the waiting room (silent where the page may not play yet).
function ring() {
  try {
    const context = new AudioContext();
    const gain = context.createGain();
    gain.gain.value = 0.1;
    gain.connect(context.destination);
    [0, 0.25].forEach((start, i) => {
      const tone = context.createOscillator();
      tone.frequency.value = i ? 660 : 880;
      tone.connect(gain);
      tone.start(context.currentTime + start);
      tone.stop(context.currentTime + start + 0.18);
    });
    setTimeout(() => context.close(), 1000);
  } catch {
    // No audio output: the heading's count and the tab's title still say it.
  }
}

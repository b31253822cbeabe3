// The doctor's waiting room: devices that re-opened a used link (`newSessionToValidate`) wait
// here, with the device they came from and since when, until the doctor admits them
// (POST /validate: by default the admitted device replaces the one that held the link) or
// refuses them (POST /refuse), or they leave (`waitingRoomLeft`). While replacing is ticked,
// each says which device(s) in the call admitting it would put out (the event's `replaces`).
// A new arrival rings once and is counted in the heading and in the tab's title until it is
// dealt with; the panel shows only while someone waits.

import { api } from '../api.js';
import { h } from '../dom.js';
import { t } from '../i18n.js';
import { roleName } from '../roles.js';

const TITLE = document.title;

export class WaitingRoomPanel {
  constructor({ onError }) {
    this.onError = onError;
    this.list = h('ul', { class: 'waiting' });
    // The entries by session id: {item, replacing(devices)}.
    this.entries = new Map();
    this.count = h('span', { class: 'badge', hidden: true });
    this.element = h('section', { class: 'panel waiting-panel', 'aria-live': 'polite', hidden: true },
      h('h2', {}, t('Waiting room'), ' ', this.count), this.list);
  }

  // `replaces`: the devices holding the session's link in the call ({id, device_hint,
  // admitted_at}), which admitting it with replace would log out.
  add(session, replaces = []) {
    // A doctor's socket is told about everyone already waiting when it connects: once only
    // (what it would replace may have changed meanwhile).
    const known = this.entries.get(session.id);
    if (known) {
      known.replacing(replaces);
      return;
    }
    const replace = h('input', { type: 'checkbox', checked: true });
    const who = session.device_hint
      ? t('{role} on {device}', { role: roleName(session.role), device: deviceName(session.device_hint) })
      : roleName(session.role);
    const replaced = h('div', { class: 'replaces', id: `replaces-${session.id}`, hidden: true });
    const admit = h('button', { type: 'button', onclick: () => this.admit(session, replace.checked) },
      t('Admit'));
    let holders = [];
    // Said only while admitting would replace someone; the Admit button is described by it.
    const update = () => {
      const shown = replace.checked && holders.length > 0;
      replaced.hidden = !shown;
      if (shown) admit.setAttribute('aria-describedby', replaced.id);
      else admit.removeAttribute('aria-describedby');
    };
    const replacing = (devices) => {
      holders = Array.isArray(devices) ? devices : [];
      replaced.replaceChildren(...holders.map((device) => h('p', {}, replacedText(device))));
      update();
    };
    replace.addEventListener('change', update);
    replacing(replaces);
    const item = h('li', { 'data-session-id': session.id },
      h('p', { class: 'who' }, h('strong', {}, who), ' ',
        h('span', { class: 'muted' }, t('waiting since {time}', { time: clock(session.created_at) }))),
      replaced,
      h('label', { class: 'replace' }, replace,
        t('Replace the {role} device already in', { role: roleName(session.role) })),
      h('div', { class: 'actions' },
        admit,
        h('button', { type: 'button', class: 'secondary', onclick: () => this.refuse(session) },
          t('Refuse'))));
    this.entries.set(session.id, { item, replacing });
    this.list.append(item);
    this.changed();
    ring();
  }

  // Admitted, refused or gone, here or on another of the doctor's devices.
  remove(sessionId) {
    this.entries.get(sessionId)?.item.remove();
    this.entries.delete(sessionId);
    this.changed();
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

// A time of day as the panel shows them ("10:02"), or null.
function clock(iso) {
  const date = new Date(iso);
  if (!iso || Number.isNaN(date.getTime())) return null;
  return date.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
}

// The server's device hint ("Chrome on Android") in the page's language.
export function deviceName(hint) {
  const [browser, system] = hint.split(' on ');
  return system ? t('{browser} on {system}', { browser, system }) : hint;
}

// "Admitting replaces Chrome on Android, in the call since 10:02".
function replacedText({ device_hint: hint, admitted_at: admittedAt }) {
  const device = hint ? deviceName(hint) : t('an unknown device');
  const time = clock(admittedAt);
  return time
    ? t('Admitting replaces {device}, in the call since {time}', { device, time })
    : t('Admitting replaces {device}, in the call', { device });
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

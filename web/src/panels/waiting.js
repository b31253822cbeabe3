// The doctor's waiting room: clients who re-opened a used link (`newSessionToValidate`) wait
// here until the doctor admits them (POST /validate).

import { api } from '../api.js';
import { h } from '../dom.js';
import { roleName } from '../roles.js';

export class WaitingRoomPanel {
  constructor({ onError }) {
    this.onError = onError;
    this.list = h('ul', { class: 'waiting' });
    this.empty = h('p', { class: 'muted' }, 'Nobody is waiting.');
    this.element = h('section', { class: 'panel waiting-panel' },
      h('h2', {}, 'Waiting room'), this.empty, this.list);
  }

  add(session) {
    // A doctor's socket is told about everyone already waiting when it connects: once only.
    if (this.list.querySelector(`[data-session-id="${session.id}"]`)) return;
    const item = h('li', { 'data-session-id': session.id },
      h('span', {}, `${roleName(session.role)} (session ${session.id})`),
      h('button', { type: 'button', onclick: () => this.admit(session, item) }, 'Admit'));
    this.list.append(item);
    this.empty.hidden = true;
  }

  async admit(session, item) {
    try {
      await api.validate(session.id);
      item.remove();
      this.empty.hidden = this.list.children.length > 0;
    } catch (error) {
      this.onError(`Could not admit: ${error.message}`);
    }
  }
}

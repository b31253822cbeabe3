// The doctor's waiting room: clients who re-opened a used link (`newSessionToValidate`) wait
// here until the doctor admits them (POST /validate).

import { api } from '../api.js';
import { h } from '../dom.js';
import { t } from '../i18n.js';
import { roleName } from '../roles.js';

export class WaitingRoomPanel {
  constructor({ onError }) {
    this.onError = onError;
    this.list = h('ul', { class: 'waiting' });
    this.empty = h('p', { class: 'muted' }, t('Nobody is waiting.'));
    this.element = h('section', { class: 'panel waiting-panel' },
      h('h2', {}, t('Waiting room')), this.empty, this.list);
  }

  add(session) {
    // A doctor's socket is told about everyone already waiting when it connects: once only.
    if (this.list.querySelector(`[data-session-id="${session.id}"]`)) return;
    const item = h('li', { 'data-session-id': session.id },
      h('span', {}, t('{role} (session {id})', { role: roleName(session.role), id: session.id })),
      h('button', { type: 'button', onclick: () => this.admit(session, item) }, t('Admit')));
    this.list.append(item);
    this.empty.hidden = true;
  }

  async admit(session, item) {
    try {
      await api.validate(session.id);
      item.remove();
      this.empty.hidden = this.list.children.length > 0;
    } catch (error) {
      this.onError(t('Could not admit: {error}', { error: error.message }));
    }
  }
}

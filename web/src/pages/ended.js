// The screens a consultation page ends on.

import { h, setStatus, show } from '../dom.js';
import { t } from '../i18n.js';

export function endScreen(root, title, text, { rejoin = false } = {}) {
  setStatus('');
  show(root, h('section', { class: 'panel end-screen' },
    h('h1', {}, title), h('p', {}, text),
    rejoin ? h('button', { type: 'button', onclick: () => location.reload() }, t('Join again')) : null));
}

// The screens a consultation page ends on.

import { h, setStatus, show } from '../dom.js';

export function endScreen(root, title, text, { rejoin = false } = {}) {
  setStatus('');
  show(root, h('section', { class: 'panel end-screen' },
    h('h1', {}, title), h('p', {}, text),
    rejoin ? h('button', { type: 'button', onclick: () => location.reload() }, 'Join again') : null));
}

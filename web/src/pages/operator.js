// The operator's page: create a consultation with the operator key, hand out its three links.

import { api } from '../api.js';
import { h, show } from '../dom.js';
import { t, tNodes } from '../i18n.js';
import { roleName } from '../roles.js';

export function operatorPage(root) {
  const key = h('input', { type: 'password', name: 'operatorKey', placeholder: t('Operator key'), 'aria-label': t('Operator key'),
    autocomplete: 'off', required: true });
  const error = h('p', { class: 'error', role: 'alert' });
  const links = h('div', { class: 'links' });
  const form = h('form', { class: 'row', onsubmit: async (event) => {
    event.preventDefault();
    error.textContent = '';
    try {
      const { onetoone, sessions } = await api.createConsultation(key.value.trim());
      show(links, consultationLinks(onetoone, sessions));
    } catch (failure) {
      error.textContent = t('No consultation created: {error}', { error: failure.message });
    }
  } }, key, h('button', { type: 'submit' }, t('New consultation')));
  show(root, h('section', { class: 'panel operator' },
    h('h1', {}, t('New consultation')),
    h('p', {}, ...tNodes(
      'The operator key is printed by {command} (and kept in the data directory, file {file}).',
      { command: h('code', {}, 'make run'), file: h('code', {}, 'operator_key') })),
    form, error, links));
}

function consultationLinks(onetoone, sessions) {
  const rows = sessions.map((session) => {
    const url = `${location.origin}/join/${onetoone.token}/${session.token}`;
    return h('li', { 'data-role': session.role },
      h('strong', {}, roleName(session.role)), ' ',
      h('a', { href: url, target: '_blank', rel: 'noopener' }, url), ' ',
      copyButton(url));
  });
  return h('div', {},
    h('h2', {}, t('Links')),
    h('ul', { class: 'link-list' }, rows),
    h('p', { class: 'muted' }, t(
      'One browser keeps one session per site: open each link in a different browser or a private window (or use 127.0.0.1 for one and localhost for the other).',
    )));
}

function copyButton(url) {
  const button = h('button', { type: 'button', onclick: async () => {
    await navigator.clipboard?.writeText(url);
    button.textContent = t('Copied');
    setTimeout(() => { button.textContent = t('Copy'); }, 2000);
  } }, t('Copy'));
  return button;
}

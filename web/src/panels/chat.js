// Chat and documents: the history (GET /messages), new messages (`newMessage`), sending over
// the socket (`sendMessage`), uploads (POST /upload-file) and downloads (GET /document/<id>).

import { api, documentUrl } from '../api.js';
import { h } from '../dom.js';
import { t } from '../i18n.js';

export class ChatPanel {
  // `who(sessionId)` names the author of a message.
  constructor({ socket, who, onError }) {
    this.socket = socket;
    this.who = who;
    this.onError = onError;
    this.list = h('ol', { class: 'messages' });
    this.text = h('input', {
      name: 'message', placeholder: t('Write a message'), 'aria-label': t('Message'), autocomplete: 'off',
    });
    this.file = h('input', { type: 'file', name: 'document', 'aria-label': t('Document to send') });
    this.uploadButton = h('button', { type: 'button', onclick: () => this.upload() }, t('Send document'));
    this.element = h('section', { class: 'panel chat-panel' },
      h('h2', {}, t('Messages and documents')),
      this.list,
      h('form', { class: 'row', onsubmit: (e) => { e.preventDefault(); this.send(); } },
        this.text, h('button', { type: 'submit' }, t('Send'))),
      h('div', { class: 'row' }, this.file, this.uploadButton));
  }

  // The whole history: on opening, and again after a reconnection.
  async load() {
    const { messages } = await api.messages();
    this.list.replaceChildren();
    for (const message of messages) this.add(message);
  }

  add(message) {
    const body = message.document
      ? h('a', { href: documentUrl(message.document.id), download: message.document.name, class: 'document' },
        message.document.name, h('span', { class: 'muted' }, ` (${formatSize(message.document.size)})`))
      : h('span', { class: 'text' }, message.body || '');
    this.list.append(h('li', { class: 'message' },
      h('span', { class: 'author' }, `${this.who(message.session_id)}:`), ' ', body));
    this.list.scrollTop = this.list.scrollHeight;
  }

  async send() {
    const text = this.text.value.trim();
    if (!text) return;
    try {
      const { message } = await this.socket.request('sendMessage', { text });
      this.text.value = '';
      this.add(message);
    } catch (error) {
      this.onError(t('The message was not sent: {error}', { error: error.message }));
    }
  }

  async upload() {
    const [file] = this.file.files;
    if (!file) return;
    this.uploadButton.disabled = true;
    try {
      const { document: uploaded } = await api.upload(file);
      this.file.value = '';
      this.add({ session_id: uploaded.session_id, document: uploaded });
    } catch (error) {
      this.onError(t('The document was not sent: {error}', { error: error.message }));
    } finally {
      this.uploadButton.disabled = false;
    }
  }
}

function formatSize(bytes) {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

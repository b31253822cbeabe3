// The shared medical form: every participant sees and edits the same fields; a change is sent
// as it is typed (POST /session/infos) and the others' changes arrive as `infoUpdate`.

import { api } from '../api.js';
import { h } from '../dom.js';
import { t } from '../i18n.js';

const FIELDS = [
  { name: 'reason', label: t('Reason for the consultation'), type: 'textarea' },
  { name: 'symptoms', label: t('Symptoms, since when'), type: 'textarea' },
  { name: 'weight', label: t('Weight (kg)'), type: 'number' },
  { name: 'height', label: t('Height (cm)'), type: 'number' },
  { name: 'temperature', label: t('Temperature (°C)'), type: 'number' },
  { name: 'allergies', label: t('Allergies'), type: 'text' },
  { name: 'treatments', label: t('Current treatments'), type: 'text' },
];

const SEND_DELAY_MS = 400;

export class FormPanel {
  constructor({ title, onError }) {
    this.onError = onError;
    this.inputs = new Map();
    this.timers = new Map();
    this.state = h('span', { class: 'muted' });
    const fields = FIELDS.map((field) => {
      const input = field.type === 'textarea'
        ? h('textarea', { name: field.name, rows: 2 })
        : h('input', { name: field.name, type: field.type, step: 'any' });
      input.addEventListener('input', () => this.changed(field.name, input));
      this.inputs.set(field.name, input);
      return h('label', {}, h('span', {}, field.label), input);
    });
    this.element = h('section', { class: 'panel form-panel' },
      h('h2', {}, title, ' ', this.state), h('form', { onsubmit: (e) => e.preventDefault() }, fields));
  }

  async load() {
    const { data } = await api.readForm();
    this.apply(data || {});
  }

  apply(data) {
    for (const [name, value] of Object.entries(data)) {
      const input = this.inputs.get(name);
      if (!input || document.activeElement === input) continue;
      input.value = value === null || value === undefined ? '' : String(value);
      input.classList.remove('updated');
      void input.offsetWidth; // a reflow, so that the highlight animation starts again
      input.classList.add('updated');
    }
  }

  changed(name, input) {
    clearTimeout(this.timers.get(name));
    this.state.textContent = 'editing…';
    this.timers.set(name, setTimeout(() => this.send(name, input), SEND_DELAY_MS));
  }

  async send(name, input) {
    const value = input.type === 'number' && input.value !== '' ? Number(input.value) : input.value;
    try {
      await api.updateForm({ [name]: value });
      this.state.textContent = 'saved';
    } catch (error) {
      this.state.textContent = '';
      this.onError(t('The form was not saved: {error}', { error: error.message }));
    }
  }
}

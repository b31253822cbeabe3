// The REST API. The session cookie (HttpOnly, set by GET /session/...) authenticates every call.

export class ApiError extends Error {
  constructor(status, msg) {
    super(msg);
    this.status = status;
  }
}

export async function call(method, path, { json, form, headers = {} } = {}) {
  const init = { method, headers: { ...headers }, credentials: 'same-origin' };
  if (json !== undefined) {
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(json);
  } else if (form !== undefined) {
    init.body = form;
  }
  const response = await fetch(path, init);
  const body = await response.json().catch(() => ({}));
  if (!response.ok) throw new ApiError(response.status, body.msg || response.statusText);
  return body;
}

export const api = {
  createConsultation: (operatorKey) =>
    call('POST', '/onetoone', { headers: { Authorization: `Bearer ${operatorKey}` } }),
  openSession: (onetooneToken, sessionToken) =>
    call('GET', `/session/${encodeURIComponent(onetooneToken)}/${encodeURIComponent(sessionToken)}`),
  endConsultation: (onetooneToken) => call('DELETE', `/onetoone/${encodeURIComponent(onetooneToken)}`),
  validate: (sessionId, replace = true) =>
    call('POST', '/validate', { json: { sessionId, replace } }),
  refuse: (sessionId) => call('POST', '/refuse', { json: { sessionId } }),
  leaveWaitingRoom: () => call('POST', '/session/leave'),
  readForm: () => call('GET', '/session/infos'),
  updateForm: (data) => call('POST', '/session/infos', { json: { data } }),
  messages: () => call('GET', '/messages'),
  upload: (file) => {
    const form = new FormData();
    form.append('document', file, file.name);
    return call('POST', '/upload-file', { form });
  },
  connectedDevices: () => call('GET', '/devices/connected'),
};

export function documentUrl(documentId) {
  return `/document/${encodeURIComponent(documentId)}`;
}

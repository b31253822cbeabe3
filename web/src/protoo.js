// The participant socket at /ws in protoo frames: requests with answers, notifications, and
// server requests (newConsumer) answered by the handler given to onRequest.

const REQUEST_TIMEOUT_MS = 20000;

export class Socket {
  constructor(url) {
    this.url = url;
    this.nextId = 1;
    this.pending = new Map();
    this.listeners = new Map();
    this.requestHandler = null;
    this.onClose = () => {};
  }

  open() {
    return new Promise((resolve, reject) => {
      this.ws = new WebSocket(this.url, 'protoo');
      this.ws.onopen = () => resolve();
      this.ws.onerror = () => reject(new Error('the connection to the server failed'));
      this.ws.onmessage = (event) => this.receive(JSON.parse(event.data));
      this.ws.onclose = (event) => {
        for (const { reject: fail } of this.pending.values()) fail(new Error('socket closed'));
        this.pending.clear();
        this.onClose(event.code);
      };
    });
  }

  close() {
    this.onClose = () => {};
    this.ws?.close();
  }

  on(method, listener) {
    this.listeners.set(method, [...(this.listeners.get(method) || []), listener]);
  }

  onRequest(handler) {
    this.requestHandler = handler;
  }

  request(method, data = {}) {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`${method}: no answer`));
      }, REQUEST_TIMEOUT_MS);
      this.pending.set(id, {
        resolve: (value) => { clearTimeout(timer); resolve(value); },
        reject: (error) => { clearTimeout(timer); reject(error); },
      });
      this.ws.send(JSON.stringify({ request: true, id, method, data }));
    });
  }

  receive(frame) {
    if (frame.response) {
      const waiter = this.pending.get(frame.id);
      if (!waiter) return;
      this.pending.delete(frame.id);
      if (frame.ok) waiter.resolve(frame.data);
      else waiter.reject(new Error(frame.errorReason));
    } else if (frame.notification) {
      for (const listener of this.listeners.get(frame.method) || []) listener(frame.data || {});
    } else if (frame.request) {
      this.answer(frame);
    }
  }

  async answer(frame) {
    try {
      if (!this.requestHandler) throw new Error('no handler');
      const data = await this.requestHandler(frame.method, frame.data || {});
      this.send({ response: true, id: frame.id, ok: true, data: data || {} });
    } catch (error) {
      this.send({ response: true, id: frame.id, ok: false, errorReason: String(error.message || error) });
    }
  }

  send(frame) {
    if (this.ws.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify(frame));
  }
}

export function socketUrl() {
  return `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws`;
}

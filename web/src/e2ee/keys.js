// End-to-end encryption's keys on a participant's page. The page makes an ECDH P-256 key
// pair once, and an AES-GCM sender key; it announces its public key through the server
// (`announceE2eeKey`), and hands each other socket its sender key wrapped (AES-KW) with the
// key both derive from their ECDH secret (HKDF-SHA-256). The server carries public keys and
// wrapped keys only: it cannot unwrap them, and it never sends them to a socket in the
// waiting room. When someone leaves, a new sender key is made and handed to those still
// here, so that the one who left cannot decrypt what follows.

const WRAP_INFO = new TextEncoder().encode('hocovisio e2ee wrap v1');
// After a new sender key is handed out, frames go on with the old one this long, so that
// the others hold the new one before its first frame.
const SWITCH_DELAY_MS = 500;

export function toBase64url(bytes) {
  let text = '';
  for (const byte of new Uint8Array(bytes)) text += String.fromCharCode(byte);
  return btoa(text).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

export function fromBase64url(text) {
  const binary = atob(text.replace(/-/g, '+').replace(/_/g, '/'));
  return Uint8Array.from(binary, (char) => char.charCodeAt(0));
}

// The short code two people read to each other: SHA-256 of both raw public keys (the
// smaller first), as three groups of four digits. A server that substituted a key would
// make the two pages show different codes.
export async function verificationCode(publicKeyA, publicKeyB) {
  const [a, b] = [fromBase64url(publicKeyA), fromBase64url(publicKeyB)];
  const first = compareBytes(a, b) <= 0;
  const both = new Uint8Array(a.length + b.length);
  both.set(first ? a : b, 0);
  both.set(first ? b : a, a.length);
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', both));
  const groups = [0, 1, 2].map((i) => (((digest[2 * i] << 8) | digest[2 * i + 1]) % 10000)
    .toString().padStart(4, '0'));
  return groups.join(' ');
}

function compareBytes(a, b) {
  for (let i = 0; i < Math.min(a.length, b.length); i += 1) {
    if (a[i] !== b[i]) return a[i] - b[i];
  }
  return a.length - b.length;
}

export function e2eeSupported() {
  return typeof RTCRtpScriptTransform === 'function' && Boolean(globalThis.crypto?.subtle);
}

export class EndToEnd {
  // `socket`: the page's protoo socket; `onPeers(peers)`: the others' codes changed
  // (a Map of peerId -> { role, code }).
  constructor(socket, { onPeers } = {}) {
    this.socket = socket;
    this.onPeers = onPeers || (() => {});
    this.worker = new Worker('/assets/e2ee-worker.js', { type: 'module' });
    this.sockets = new Map(); // socketId -> { peerId, role, publicKey, wrapping }
    this.codes = new Map(); // peerId -> { role, code }
    this.index = 0;
    this.countRequests = new Map();
    this.worker.onmessage = ({ data }) => this.countRequests.get(data.id)?.(data.counts);
    this.ready = this.makeKeys();
    socket.on('e2eeKey', (entry) => this.heard(entry).catch(() => {}));
    socket.on('e2eeSenderKey', (entry) => this.keyReceived(entry).catch(() => {}));
  }

  async makeKeys() {
    this.pair = await crypto.subtle.generateKey(
      { name: 'ECDH', namedCurve: 'P-256' }, false, ['deriveBits']);
    this.publicKey = toBase64url(await crypto.subtle.exportKey('raw', this.pair.publicKey));
    this.senderKey = await newSenderKey();
    this.worker.postMessage({ type: 'sendKey', key: this.senderKey, index: this.index });
  }

  // Tell the others this socket's public key; after each (re)connection and admission.
  async announce() {
    await this.ready;
    const { socketId } = await this.socket.request('announceE2eeKey', { publicKey: this.publicKey });
    this.socketId = socketId;
  }

  senderTransform() {
    return new RTCRtpScriptTransform(this.worker, { side: 'send' });
  }

  // The frames of the socket `socketId` sends (its producers' appData.socketId): each socket
  // has its own sender key, two devices of one session too.
  receiverTransform(socketId) {
    return new RTCRtpScriptTransform(this.worker, { side: 'receive', sender: socketId });
  }

  async wrappingKey(publicKey) {
    const peer = await crypto.subtle.importKey(
      'raw', fromBase64url(publicKey), { name: 'ECDH', namedCurve: 'P-256' }, false, []);
    const secret = await crypto.subtle.deriveBits(
      { name: 'ECDH', public: peer }, this.pair.privateKey, 256);
    const material = await crypto.subtle.importKey('raw', secret, 'HKDF', false, ['deriveKey']);
    return crypto.subtle.deriveKey(
      { name: 'HKDF', hash: 'SHA-256', salt: new Uint8Array(0), info: WRAP_INFO },
      material, { name: 'AES-KW', length: 256 }, false, ['wrapKey', 'unwrapKey']);
  }

  // Another socket announced itself: remember it and hand it this page's sender key.
  async heard({ peerId, socketId, role, publicKey }) {
    await this.ready;
    await this.remember(socketId, peerId, role, publicKey);
    await this.handKeys(socketId);
  }

  // This page's sender key to one socket, and the next one too while it is handed out.
  async handKeys(socketId) {
    await this.sendTo(socketId, this.senderKey, this.index);
    if (this.next) await this.sendTo(socketId, this.next.senderKey, this.next.index);
  }

  async remember(socketId, peerId, role, publicKey) {
    const known = this.sockets.get(socketId);
    if (known && known.publicKey === publicKey) return known;
    const entry = { peerId, role, publicKey, wrapping: await this.wrappingKey(publicKey) };
    this.sockets.set(socketId, entry);
    this.codes.set(peerId, { role, code: await verificationCode(this.publicKey, publicKey) });
    this.onPeers(this.codes);
    return entry;
  }

  async sendTo(socketId, senderKey, index) {
    const entry = this.sockets.get(socketId);
    if (!entry) return;
    const wrapped = await crypto.subtle.wrapKey('raw', senderKey, entry.wrapping, 'AES-KW');
    try {
      await this.socket.request('sendE2eeKey', {
        socketId, publicKey: this.publicKey, index, key: toBase64url(wrapped),
      });
    } catch {
      // That socket has gone (or waits in the room again): it is forgotten.
      this.sockets.delete(socketId);
    }
  }

  // Another socket's sender key, wrapped for this one.
  async keyReceived({ peerId, socketId, role, publicKey, index, key }) {
    await this.ready;
    const known = this.sockets.has(socketId);
    const entry = await this.remember(socketId, peerId, role, publicKey);
    const senderKey = await crypto.subtle.unwrapKey(
      'raw', fromBase64url(key), entry.wrapping, 'AES-KW', 'AES-GCM', false, ['decrypt']);
    this.worker.postMessage({ type: 'receiveKey', sender: socketId, index, key: senderKey });
    // It announced itself before this page was here: answer with this page's key.
    if (!known) await this.handKeys(socketId);
  }

  // `peerId` left: forget its keys, and make a new sender key for those still here.
  peerLeft(peerId) {
    this.rotation = (this.rotation || this.ready).then(() => this.rotate(peerId)).catch(() => {});
    return this.rotation;
  }

  async rotate(peerId) {
    for (const [socketId, entry] of this.sockets) {
      if (entry.peerId !== peerId) continue;
      this.sockets.delete(socketId);
      this.worker.postMessage({ type: 'forget', sender: socketId });
    }
    this.codes.delete(peerId);
    this.onPeers(this.codes);
    const senderKey = await newSenderKey();
    const index = (this.index + 1) % 256;
    this.next = { senderKey, index };
    await Promise.all([...this.sockets.keys()].map((id) => this.sendTo(id, senderKey, index)));
    await new Promise((resolve) => setTimeout(resolve, SWITCH_DELAY_MS));
    this.senderKey = senderKey;
    this.index = index;
    this.next = null;
    this.worker.postMessage({ type: 'sendKey', key: senderKey, index });
  }

  // The worker's counts of frames encrypted, decrypted, without a key and failed.
  counts() {
    const id = Math.random();
    return new Promise((resolve) => {
      this.countRequests.set(id, (counts) => {
        this.countRequests.delete(id);
        resolve(counts);
      });
      this.worker.postMessage({ type: 'counts', id });
    });
  }

  close() {
    this.worker.terminate();
  }
}

async function newSenderKey() {
  return crypto.subtle.generateKey({ name: 'AES-GCM', length: 128 }, true, ['encrypt', 'decrypt']);
}

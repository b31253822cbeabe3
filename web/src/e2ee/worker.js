// The encoded transforms of an end-to-end encrypted page (RTCRtpScriptTransform): every
// frame a sender encodes is encrypted here before it is packetised, every frame a receiver
// gets is decrypted here before it is decoded. A frame without a key is dropped, never sent
// or shown as it is. The page hands keys over with postMessage (CryptoKeys are cloned, not
// exported).

import { decryptFrame, encryptFrame, frameKeyIndex } from './frames.js';

const sending = { key: null, index: 0 };
const receiving = new Map(); // sending socket's id -> Map(index -> CryptoKey)
const counts = { encrypted: 0, decrypted: 0, noKey: 0, failed: 0 };
// The indexes kept per sender: frames of the previous key still in flight decode.
const KEPT_INDEXES = 4;

self.onmessage = ({ data }) => {
  if (data.type === 'sendKey') {
    sending.key = data.key;
    sending.index = data.index;
  } else if (data.type === 'receiveKey') {
    const keys = receiving.get(data.sender) || new Map();
    keys.set(data.index, data.key);
    while (keys.size > KEPT_INDEXES) keys.delete(keys.keys().next().value);
    receiving.set(data.sender, keys);
  } else if (data.type === 'forget') {
    receiving.delete(data.sender);
  } else if (data.type === 'counts') {
    self.postMessage({ type: 'counts', id: data.id, counts: { ...counts } });
  }
};

async function encrypt(frame, controller) {
  if (!sending.key) return;
  frame.data = await encryptFrame(frame.data, frame.type, sending.key, sending.index);
  counts.encrypted += 1;
  controller.enqueue(frame);
}

async function decrypt(sender, frame, controller) {
  const index = frameKeyIndex(frame.data);
  const key = index === null ? null : receiving.get(sender)?.get(index);
  if (!key) {
    counts.noKey += 1;
    return;
  }
  try {
    frame.data = await decryptFrame(frame.data, frame.type, key);
  } catch {
    counts.failed += 1;
    return;
  }
  counts.decrypted += 1;
  controller.enqueue(frame);
}

self.onrtctransform = ({ transformer }) => {
  const { side, sender } = transformer.options;
  const transform = new TransformStream({
    transform: side === 'send'
      ? encrypt
      : (frame, controller) => decrypt(sender, frame, controller),
  });
  transformer.readable.pipeThrough(transform).pipeTo(transformer.writable).catch(() => {});
};

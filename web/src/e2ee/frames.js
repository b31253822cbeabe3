// The format of an end-to-end encrypted frame, as Jitsi lays it out: the first bytes stay
// clear so that the SFU can route the frame and tell a key frame (VP8's payload header: 10
// bytes of a key frame, 3 of a delta frame; Opus's TOC: 1 byte), the rest is AES-GCM with
// those bytes as additional data, then the 12-byte IV and the sender key's index (1 byte):
//
//   clear header | ciphertext and its 16-byte tag | IV (12) | key index (1)

const IV_BYTES = 12;
const TAG_BYTES = 16;
const TRAILER_BYTES = IV_BYTES + 1;

// How many leading bytes of `frame` stay clear (`type`: 'key' or 'delta' for video, none
// for audio).
export function clearBytes(type, length) {
  const wanted = type === 'key' ? 10 : type === 'delta' || type === 'empty' ? 3 : 1;
  return Math.min(wanted, length);
}

// `data` (an ArrayBuffer) encrypted with `key` (an AES-GCM CryptoKey of index `index`).
export async function encryptFrame(data, type, key, index) {
  const bytes = new Uint8Array(data);
  const clear = clearBytes(type, bytes.length);
  const iv = crypto.getRandomValues(new Uint8Array(IV_BYTES));
  const header = bytes.subarray(0, clear);
  const sealed = new Uint8Array(await crypto.subtle.encrypt(
    { name: 'AES-GCM', iv, additionalData: header, tagLength: TAG_BYTES * 8 },
    key,
    bytes.subarray(clear),
  ));
  const out = new Uint8Array(clear + sealed.length + TRAILER_BYTES);
  out.set(header, 0);
  out.set(sealed, clear);
  out.set(iv, clear + sealed.length);
  out[out.length - 1] = index;
  return out.buffer;
}

// The sender key index an encrypted frame names, or null when it is too short to be one.
export function frameKeyIndex(data) {
  const bytes = new Uint8Array(data);
  return bytes.length < TAG_BYTES + TRAILER_BYTES ? null : bytes[bytes.length - 1];
}

// `data` decrypted with `key`; throws when it was not encrypted with it (GCM's tag fails).
export async function decryptFrame(data, type, key) {
  const bytes = new Uint8Array(data);
  const body = bytes.length - TRAILER_BYTES;
  const clear = clearBytes(type, body - TAG_BYTES);
  const iv = bytes.subarray(body, body + IV_BYTES);
  const header = bytes.subarray(0, clear);
  const plain = new Uint8Array(await crypto.subtle.decrypt(
    { name: 'AES-GCM', iv, additionalData: header, tagLength: TAG_BYTES * 8 },
    key,
    bytes.subarray(clear, body),
  ));
  const out = new Uint8Array(clear + plain.length);
  out.set(header, 0);
  out.set(plain, clear);
  return out.buffer;
}

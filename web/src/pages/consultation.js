// A participant's consultation page (`/join/<onetoone>/<session>`): the doctor's or the
// patient's (or a guest's). Opening the link logs this browser in (HttpOnly cookie); the
// socket then carries the media signalling and the live events.

import { api } from '../api.js';
import { h, setStatus, show } from '../dom.js';
import { EndToEnd, e2eeSupported } from '../e2ee/keys.js';
import { t } from '../i18n.js';
import { MediaSession, networkOptions } from '../media.js';
import { ChatPanel } from '../panels/chat.js';
import { DevicesPanel, deviceLabel } from '../panels/devices.js';
import { FormPanel } from '../panels/form.js';
import { WaitingRoomPanel } from '../panels/waiting.js';
import { Socket, socketUrl } from '../protoo.js';
import { qualityBadge, showQuality } from '../quality.js';
import { roleName } from '../roles.js';
import { endScreen } from './ended.js';
import { prejoin } from './prejoin.js';
import { RemoteTile } from './tiles.js';

const NOTICE_MS = 6000;
const RESTART_ATTEMPTS = 5;
const RESTART_DELAY_MS = 500;
// A lost socket is opened again for about a minute (a network blip, a service restart).
const RECONNECT_ATTEMPTS = 15;
const RECONNECT_MAX_DELAY_MS = 5000;
// The server closes a session's oldest socket with this code when the session opens one
// too many (another tab, another device): reconnecting would close the newer one in turn.
// after `sessionReplaced`, when the doctor admitted another device in its place.
const CLOSE_REPLACED = 4002;
// The doctor refused this client in the waiting room (after `sessionRefused`).
const CLOSE_REFUSED = 4003;
// This client left the waiting room (after `waitingRoomLeft` naming its session): its Leave
// button, its page closed elsewhere, or the server let it go after its page was gone a while.
const CLOSE_LEFT = 4004;
// Why opening a link was refused, by the answer's msg: the end screen each one gets.
const LINK_REFUSALS = {
  // 403: the doctor refused this device a little while ago.
  'the doctor did not let this device in': () => [
    t('The doctor did not let you in'), t('You can close this page.')],
  // 429: as many devices as may wait already wait (a plain rate limit is a 429 too).
  'the waiting room is full': () => [
    t('The waiting room is full'),
    t('Too many devices are waiting in this consultation. Try again in a few minutes.'),
    true],
};

// The end screen's [title, text, rejoin] for a refused link, or null for another error.
function linkRefusal(error) {
  if (error.status !== 403 && error.status !== 429) return null;
  return LINK_REFUSALS[error.message]?.() ?? null;
}

export async function consultationPage(root, onetooneToken, sessionToken) {
  let session;
  try {
    ({ session } = await api.openSession(onetooneToken, sessionToken));
  } catch (error) {
    const refusal = linkRefusal(error);
    if (refusal) {
      const [title, text, rejoin = false] = refusal;
      endScreen(root, title, text, { rejoin });
      return;
    }
    const text = error.status === 401
      ? t('The link is not valid, or the consultation has ended.')
      : error.message;
    endScreen(root, t('This link cannot be used'), text);
    return;
  }
  if (session.e2ee && !e2eeSupported()) {
    endScreen(root, t('This browser cannot join'), t('This consultation is end-to-end encrypted, and this browser cannot encrypt video. Open the link in a recent Chrome, Edge, Firefox or Safari.'));
    return;
  }
  await new ConsultationPage(root, session, onetooneToken).open();
}

class ConsultationPage {
  constructor(root, session, onetooneToken) {
    this.root = root;
    this.session = session;
    this.onetooneToken = onetooneToken;
    this.isDoctor = session.role === 'medecin';
    this.roles = new Map();
    this.tiles = new Map();
    this.deviceConsumers = new Set();
    // The layers the SFU sends each simulcast consumer now (`consumerLayersChanged`).
    this.layers = new Map();
    this.resizes = new ResizeObserver((entries) => {
      for (const { target } of entries) {
        const consumerId = target.dataset.consumerId;
        if (consumerId) this.media?.preferWidth(consumerId, target.clientWidth).catch(() => {});
      }
    });
    this.muted = new Set();
    this.finished = false;
    this.admitted = false;
    this.reconnecting = false;
    this.socket = new Socket(socketUrl());
    // End to end encrypted: the keys live in this page only (see e2ee/keys.js).
    this.e2ee = session.e2ee
      ? new EndToEnd(this.socket, { onPeers: (codes) => this.showCodes(codes) })
      : null;
    this.build();
    this.listen();
    // For the end-to-end tests and for debugging in the console: what this page receives.
    window.hocovisio = {
      sessionId: session.id,
      role: session.role,
      inboundStats: () => this.media?.inboundStats() ?? [],
      paths: () => this.media?.paths() ?? [],
      layers: () => Object.fromEntries(this.layers),
      iceRestarts: () => this.media?.iceRestarts ?? 0,
      mediaStarts: () => this.mediaStarts,
      outboundVideo: () => this.media?.outboundVideo() ?? [],
      setMaxReceiveBitrate: (bitrate) => this.media?.setMaxReceiveBitrate(bitrate),
      // What the browser's own "stop sharing" does: the captured track ends.
      endScreenCapture: () => this.media?.screen?.track?.dispatchEvent(new Event('ended')),
      e2ee: this.e2ee && {
        publicKey: () => this.e2ee.publicKey,
        codes: () => Object.fromEntries(this.e2ee.codes),
        index: () => this.e2ee.index,
        counts: () => this.e2ee.counts(),
      },
    };
  }

  build() {
    const onError = (text) => this.notice(text);
    this.form = new FormPanel({
      title: this.isDoctor ? t('Medical form') : t('Questionnaire'),
      onError,
    });
    this.chat = new ChatPanel({ socket: this.socket, who: (id) => this.who(id), onError });
    this.devices = new DevicesPanel();
    this.waiting = this.isDoctor ? new WaitingRoomPanel({ onError }) : null;
    this.notices = h('div', { class: 'notices', role: 'status' });
    // The patient's and the guest's heading name the doctor, when the clinic gave the name.
    this.heading = h('h1', {}, !this.isDoctor && this.session.doctor_name
      ? t('{role} — consultation with {doctor}', { role: roleName(this.session.role), doctor: this.session.doctor_name })
      : t('{role} — consultation', { role: roleName(this.session.role) }));
    // The verification codes of an end-to-end encrypted consultation, one per other person.
    this.codeList = h('dl', { class: 'codes' });
    this.security = this.e2ee
      ? h('div', { class: 'security', 'aria-live': 'polite' },
        h('p', {}, t('End-to-end encrypted: the server cannot see or hear this consultation.')),
        this.codeList)
      : null;
    this.remote = h('div', { class: 'remote-tiles' },
      h('p', { class: 'alone muted' }, this.isDoctor ? t('Waiting for the patient…') : t('Waiting for the doctor…')));
    this.preview = h('video', { autoplay: true, playsInline: true, muted: true, class: 'preview' });
    // This page's own connection, as the server measures it.
    this.ownQuality = qualityBadge();
    this.micButton = h('button', { type: 'button', onclick: () => this.toggle('audio') });
    this.cameraButton = h('button', { type: 'button', onclick: () => this.toggle('video') });
    this.screenButton = h('button', { type: 'button', onclick: () => this.toggleScreen() });
    // Screens shared by the others, shown apart from their cameras.
    this.screens = h('div', { class: 'screens' });
    this.screenConsumers = new Map();
    this.updateButtons();
    // On a phone the chat sits below the video: this button takes you there, and counts what
    // arrived while it was out of sight.
    this.unread = h('span', { class: 'badge', hidden: true });
    this.unreadWords = h('span', { class: 'visually-hidden', hidden: true }, t('unread'));
    this.chatButton = h('button', { type: 'button', class: 'secondary chat-button', onclick: () => this.openChat() },
      t('Messages'), ' ', this.unread, ' ', this.unreadWords);
    const controls = h('div', { class: 'controls' },
      this.micButton, this.cameraButton, this.screenButton, this.chatButton,
      h('button', { type: 'button', class: 'leave', onclick: () => this.leave() }, t('Leave')),
      this.isDoctor
        ? h('button', { type: 'button', class: 'danger', onclick: () => this.endConsultation() },
          t('End consultation'))
        : null);
    this.layout = h('div', { class: `consultation role-${this.session.role}` },
      h('section', { class: 'stage' },
        this.heading,
        this.notices,
        // First on the page, phones included: someone waiting is what the doctor must see.
        this.waiting?.element,
        this.security,
        this.screens,
        this.remote,
        h('div', { class: 'self' },
          h('div', { class: 'own-video no-video' }, this.preview,
            h('p', { class: 'placeholder' }, t('Camera off'))),
          this.ownQuality, controls),
        this.devices.element),
      h('aside', { class: 'side' },
        this.form.element, this.chat.element));
  }

  listen() {
    const socket = this.socket;
    socket.onClose = (code) => {
      if (code === CLOSE_REFUSED) {
        this.finish(t('The doctor did not let you in'), t('You can close this page.'));
      } else if (code === CLOSE_LEFT) {
        // Its own Leave button finishes the page itself, once the server answered.
        if (!this.leaving) this.finish(t('You left the waiting room'), t('You can close this page.'));
      } else if (code === CLOSE_REPLACED && this.replaced) {
        this.finish(t('Continued on another device'), t('The doctor let you in on another device: the consultation goes on there.'));
      } else if (code === CLOSE_REPLACED) {
        this.finish(t('Opened elsewhere'), t('This consultation was opened in another window.'), true);
      } else {
        this.reconnect();
      }
    };
    socket.on('sessionReplaced', () => { this.replaced = true; });
    socket.on('sessionRefused', ({ sessionId }) => this.waiting?.remove(sessionId));
    socket.on('waitingRoomLeft', ({ sessionId }) => this.waiting?.remove(sessionId));
    socket.on('serverShutdown', () => this.notice(t('The server is restarting; reconnecting…')));
    socket.onRequest((method, data) => {
      if (method !== 'newConsumer') throw new Error(`unknown request ${method}`);
      return this.media.consume(data);
    });
    socket.on('peerJoined', ({ peerId, role }) => {
      this.waiting?.remove(peerId);
      this.seen(peerId, role);
      this.notice(t('{role} joined.', { role: roleName(role) }));
    });
    socket.on('peerLeft', ({ peerId }) => {
      this.e2ee?.peerLeft(peerId);
      this.peerLeft(peerId);
    });
    socket.on('consumerClosed', ({ consumerId }) => this.media?.consumerClosed(consumerId));
    socket.on('consumerLayersChanged', ({ consumerId, spatialLayer, temporalLayer }) => {
      this.layers.set(consumerId, { spatialLayer, temporalLayer });
    });
    socket.on('producerPaused', ({ consumerId }) => this.consumerPaused(consumerId, true));
    socket.on('producerResumed', ({ consumerId }) => this.consumerPaused(consumerId, false));
    socket.on('mediaState', ({ peerId, camera, microphone }) => {
      this.tile(peerId).mediaState({ camera, microphone });
    });
    socket.on('connectionQuality', ({ peerId, quality }) => {
      if (peerId === this.session.id) showQuality(this.ownQuality, quality);
      else this.tiles.get(peerId)?.quality(quality);
    });
    socket.on('activeSpeaker', ({ peerId }) => {
      for (const tile of this.tiles.values()) tile.speaking(tile.peerId === peerId);
    });
    socket.on('mediaReset', () => this.restartMedia());
    socket.on('consultationEnded', () => this.finish(t('The consultation has ended'), this.isDoctor
      ? t('The other participants were told. You can close this page.')
      : t('Thank you. You can close this page.')));
    socket.on('newSessionToValidate', ({ session, replaces }) =>
      this.waiting?.add(session, replaces || []));
    socket.on('infoUpdate', ({ data }) => this.form.apply(data || {}));
    socket.on('newMessage', ({ message }) => {
      this.chat.add(message);
      if (message.session_id !== this.session.id) this.messageArrived();
    });
    socket.on('deviceConnected', (entry) => this.devices.connected(entry));
    socket.on('deviceDisconnected', (entry) => this.devices.disconnected(entry));
  }

  async open() {
    try {
      await this.socket.open();
    } catch (error) {
      this.finish(t('Connection failed'), error.message, true);
      return;
    }
    if (this.session.validate_fromadmin === 0) await this.waitForAdmission();
    if (this.finished) return;
    this.admitted = true;
    await this.announceKey();
    this.localStream = await prejoin(this.root);
    if (this.finished) return;
    show(this.root, this.layout);
    // Messages shown before (in the waiting room) were put at the bottom of the window.
    this.heading.after(this.notices);
    this.watchChat();
    setStatus(t('Connecting…'));
    try {
      await Promise.all([this.form.load(), this.chat.load(), this.devices.load(), this.loadPeers()]);
    } catch (error) {
      this.notice(t('Could not load the consultation: {error}', { error: error.message }));
    }
    this.preview.srcObject = this.localStream;
    try {
      await this.startMedia();
    } catch (error) {
      this.mediaFailed(error);
    }
  }

  // The socket closed without the consultation ending (that comes as `consultationEnded`
  // first): open it again, catch up on what happened meanwhile and join the media again,
  // since the server forgot this page's media with its socket.
  async reconnect() {
    if (this.finished || this.reconnecting) return;
    this.reconnecting = true;
    let opened;
    try {
      opened = await this.reopen();
    } finally {
      // From here on a new drop starts a new reconnection, even during the catching up.
      this.reconnecting = false;
    }
    if (!opened) return;
    if (this.admitted) await this.catchUp();
    else await this.checkAdmission();
  }

  // Whether the socket is open again (false: the page finished meanwhile).
  async reopen() {
    this.notice(t('The connection to the server was lost; reconnecting…'));
    setStatus(t('Reconnecting…'));
    this.media?.close();
    this.media = null;
    this.updateButtons();
    for (let attempt = 1; attempt <= RECONNECT_ATTEMPTS && !this.finished; attempt += 1) {
      await new Promise((resolve) =>
        setTimeout(resolve, Math.min(RESTART_DELAY_MS * attempt, RECONNECT_MAX_DELAY_MS)));
      if (this.finished) return false;
      try {
        await this.socket.open();
        return true;
      } catch {
        if (await this.consultationIsOver()) return false;
      }
    }
    this.finish(t('Connection lost'), t('The connection to the server was lost.'), true);
    return false;
  }

  // Asked when the socket cannot be opened: 401 means the consultation ended meanwhile (and
  // a refused device, or a full waiting room, ends the page as opening the link would).
  async consultationIsOver() {
    try {
      await api.openSession(this.onetooneToken, this.session.token);
      return false;
    } catch (error) {
      const refusal = linkRefusal(error);
      if (refusal) {
        this.finish(...refusal);
        return true;
      }
      if (error.status !== 401) return false;
      this.finish(t('The consultation has ended'), t('Thank you. You can close this page.'));
      return true;
    }
  }

  // Still in the waiting room: the doctor may have let this client in meanwhile.
  async checkAdmission() {
    try {
      const { session } = await api.openSession(this.onetooneToken, this.session.token);
      if (session.validate_fromadmin === 1) this.admit?.();
    } catch (error) {
      this.notice(t('Could not check the waiting room: {error}', { error: error.message }));
    }
  }

  async catchUp() {
    for (const peerId of [...this.tiles.keys()]) this.peerLeft(peerId, { quietly: true });
    await this.announceKey();
    try {
      await Promise.all([this.form.load(), this.chat.load(), this.devices.load(), this.loadPeers()]);
    } catch (error) {
      this.notice(t('Could not reload the consultation: {error}', { error: error.message }));
    }
    try {
      await this.startMedia();
      this.notice(t('Reconnected.'));
    } catch (error) {
      this.mediaFailed(error);
    }
  }

  // End to end encrypted: tell the others this page's public key, on each new socket (they
  // answer with their sender keys).
  async announceKey() {
    try {
      await this.e2ee?.announce();
    } catch (error) {
      this.notice(t('Encryption keys could not be exchanged: {error}', { error: error.message }));
    }
  }

  // The doctor reads the code out; the other person checks it shows the same one.
  showCodes(codes) {
    this.codeList.replaceChildren(...[...codes.values()].flatMap(({ role, code }) => [
      h('dt', {}, t('Security code ({role})', { role: roleName(role) })),
      h('dd', { class: 'code' }, code),
    ]));
  }

  waitForAdmission() {
    setStatus(t('In the waiting room'));
    const since = Date.parse(this.session.created_at) || Date.now();
    const waited = h('p', { class: 'waited muted' });
    const tick = () => {
      const seconds = Math.max(0, Math.round((Date.now() - since) / 1000));
      const clock = `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, '0')}`;
      waited.textContent = t('Waiting for {time}', { time: clock });
    };
    tick();
    const timer = setInterval(tick, 1000);
    // A page that goes away (closed, reloaded, navigated from) leaves the room at once, rather
    // than staying on the doctor's list until the server notices it gone. The session cookie
    // authenticates the beacon; a page brought back from the back-forward cache shows it left.
    const gone = () => {
      navigator.sendBeacon?.('/session/leave');
      this.finish(t('You left the waiting room'), t('You can open the link again to come back.'), true);
    };
    window.addEventListener('pagehide', gone);
    // Admitted, refused or finished: the page no longer waits.
    this.stopWaiting = () => {
      clearInterval(timer);
      window.removeEventListener('pagehide', gone);
      this.stopWaiting = null;
    };
    show(this.root, h('section', { class: 'panel waiting-screen' },
      h('h1', {}, t('Waiting room')),
      h('p', {}, t('The doctor knows you are here and will let you in. Please keep this page open.')),
      h('div', { class: 'spinner' }),
      waited,
      h('button', { type: 'button', class: 'leave', onclick: () => this.leaveWaitingRoom() },
        t('Leave'))));
    return new Promise((resolve) => {
      this.admit = resolve;
      this.socket.on('newSessionIsValidate', resolve);
    }).finally(() => this.stopWaiting?.());
  }

  async leaveWaitingRoom() {
    this.leaving = true;
    try {
      await api.leaveWaitingRoom();
    } catch (error) {
      // Closing the page is leaving too: the doctor may still see this device waiting.
      this.notice(t('Could not tell the doctor: {error}', { error: error.message }));
    }
    this.finish(t('You left the waiting room'), t('You can open the link again to come back.'), true);
    this.admit?.();
  }

  async loadPeers() {
    const { peers } = await this.socket.request('getPeers');
    for (const peer of peers) {
      this.seen(peer.id, peer.role);
      if (peer.mediaState) this.tile(peer.id).mediaState(peer.mediaState);
    }
  }

  // Tell the others what this page sends: they cannot tell a missing camera from one turned
  // off by the tracks they receive.
  async reportMediaState() {
    const has = (kind) => Boolean(this.media?.producers.has(kind));
    const state = {
      camera: !has('video') ? 'none' : this.muted.has('video') ? 'off' : 'on',
      microphone: !has('audio') ? 'none' : this.muted.has('audio') ? 'muted' : 'on',
    };
    this.preview.parentElement?.classList.toggle('no-video', state.camera !== 'on');
    try {
      await this.socket.request('setMediaState', state);
    } catch (error) {
      this.notice(t('Could not tell the others about your camera: {error}', { error: error.message }));
    }
  }

  async startMedia() {
    this.media = new MediaSession(this.socket, {
      onConsumer: (consumer, info) => this.consumerAdded(consumer, info),
      onConsumerClosed: (consumerId) => this.consumerRemoved(consumerId),
      onConsumerPaused: (consumerId, paused) => this.consumerPaused(consumerId, paused),
      onPath: (state) => {
        this.pathLost = state === 'lost';
        this.updateStatus();
      },
      onLost: () => this.restartMedia(),
    }, networkOptions(), this.e2ee);
    this.mediaStarts = (this.mediaStarts || 0) + 1;
    const peers = await this.media.start(this.localStream, this.muted);
    for (const peer of peers) this.seen(peer.id, peer.role);
    this.pathLost = false;
    this.updateStatus();
    this.updateButtons();
    await this.reportMediaState();
  }

  mediaFailed(error) {
    if (this.finished) return;
    setStatus(t('Media unavailable'));
    this.notice(t('Audio and video could not start: {error}', { error: error.message }));
    this.updateButtons();
  }

  // The SFU lost this consultation's media (its worker died): join it again, giving the
  // service a moment to replace the worker.
  async restartMedia() {
    this.notice(t('The media connection was reset; reconnecting…'));
    setStatus(t('Reconnecting…'));
    for (let attempt = 1; !this.finished; attempt += 1) {
      this.media?.close();
      try {
        await this.startMedia();
        return;
      } catch (error) {
        if (attempt === RESTART_ATTEMPTS) {
          this.mediaFailed(error);
          return;
        }
      }
      await new Promise((resolve) => setTimeout(resolve, RESTART_DELAY_MS * attempt));
    }
  }

  seen(peerId, role) {
    this.roles.set(peerId, role);
    this.tile(peerId).setRole(role);
  }

  tile(peerId) {
    let tile = this.tiles.get(peerId);
    if (!tile) {
      tile = new RemoteTile(peerId, this.roles.get(peerId));
      this.tiles.set(peerId, tile);
      this.remote.append(tile.element);
      this.remote.classList.add('occupied');
    }
    return tile;
  }

  peerLeft(peerId, { quietly = false } = {}) {
    if (!quietly) this.notice(t('{role} left.', { role: roleName(this.roles.get(peerId)) }));
    this.tiles.get(peerId)?.element.remove();
    this.tiles.delete(peerId);
    this.remote.classList.toggle('occupied', this.tiles.size > 0);
    this.updateStatus();
  }

  // "Connected" once someone's sound or picture reaches this page, not merely the server.
  updateStatus() {
    // While the socket reconnects, that is what the status says.
    if (this.finished || this.reconnecting) return;
    const flowing = (element) => element.srcObject?.getTracks().some((track) => !track.muted);
    const receiving = [...this.tiles.values()]
      .some((tile) => flowing(tile.video) || flowing(tile.audio));
    if (this.pathLost) setStatus(t('Reconnecting media…'));
    else if (receiving) setStatus(t('Connected'));
    else setStatus(this.isDoctor ? t('Waiting for the patient…') : t('Waiting for the doctor…'));
  }

  consumerAdded(consumer, info) {
    consumer.track.addEventListener('unmute', () => this.updateStatus());
    consumer.track.addEventListener('mute', () => this.updateStatus());
    const label = deviceLabel(info.appData);
    if (info.appData?.source === 'screen' && consumer.kind === 'video') {
      this.screenAdded(consumer, info.peerId);
    } else if (label && consumer.kind === 'video') {
      this.deviceConsumers.add(consumer.id);
      this.devices.addVideo(consumer.id, label, consumer.track);
    } else {
      const tile = this.tile(info.peerId);
      tile.attach(consumer);
      if (consumer.kind === 'video') {
        // The layer follows the size the video is shown at (and is asked once at once).
        tile.video.dataset.consumerId = consumer.id;
        this.resizes.unobserve(tile.video);
        this.resizes.observe(tile.video);
      }
    }
    this.updateStatus();
  }

  screenAdded(consumer, peerId) {
    const video = h('video', { autoplay: true, playsInline: true, muted: true });
    video.srcObject = new MediaStream([consumer.track]);
    video.play().catch(() => {});
    const figure = h('figure', { class: 'screen-share', 'data-peer-id': peerId },
      video, h('figcaption', {}, t("{role}'s screen", { role: roleName(this.roles.get(peerId)) })));
    this.screenConsumers.set(consumer.id, figure);
    this.screens.append(figure);
  }

  async toggleScreen() {
    try {
      if (this.media?.screen) {
        await this.media.stopScreen();
      } else {
        const stream = await navigator.mediaDevices.getDisplayMedia({ video: true, audio: false });
        await this.media.shareScreen(stream.getVideoTracks()[0], () => this.updateButtons());
      }
    } catch (error) {
      if (error.name !== 'NotAllowedError') this.notice(t('Screen sharing failed: {error}', { error: error.message }));
    }
    this.updateButtons();
  }

  consumerRemoved(consumerId) {
    this.layers.delete(consumerId);
    const screen = this.screenConsumers.get(consumerId);
    if (screen) {
      screen.remove();
      this.screenConsumers.delete(consumerId);
      return;
    }
    if (this.deviceConsumers.delete(consumerId)) this.devices.removeVideo(consumerId);
    else for (const tile of this.tiles.values()) tile.detach(consumerId);
    this.updateStatus();
  }

  consumerPaused(consumerId, paused) {
    for (const tile of this.tiles.values()) tile.paused(consumerId, paused);
  }

  async toggle(kind) {
    try {
      const paused = await this.media.toggle(kind);
      if (paused) this.muted.add(kind);
      else this.muted.delete(kind);
    } catch (error) {
      this.notice(t('Could not switch: {error}', { error: error.message }));
    }
    this.updateButtons();
    await this.reportMediaState();
  }

  updateButtons() {
    const micOff = this.muted.has('audio');
    const cameraOff = this.muted.has('video');
    this.micButton.textContent = micOff ? t('Unmute microphone') : t('Mute microphone');
    this.cameraButton.textContent = cameraOff ? t('Turn camera on') : t('Turn camera off');
    this.micButton.classList.toggle('off', micOff);
    this.cameraButton.classList.toggle('off', cameraOff);
    this.micButton.disabled = !this.media?.producers.has('audio');
    this.cameraButton.disabled = !this.media?.producers.has('video');
    const sharing = Boolean(this.media?.screen);
    this.screenButton.textContent = sharing ? t('Stop sharing') : t('Share screen');
    this.screenButton.classList.toggle('on', sharing);
    this.screenButton.disabled = !this.media?.sendTransport || !navigator.mediaDevices?.getDisplayMedia;
  }

  who(sessionId) {
    if (sessionId === this.session.id) return t('You');
    return roleName(this.roles.get(sessionId));
  }

  // Counted as unread while the chat is out of sight (below the fold on a phone).
  messageArrived() {
    if (this.chatInView) return;
    this.unreadCount = (this.unreadCount || 0) + 1;
    this.unread.textContent = String(this.unreadCount);
    this.unread.hidden = this.unreadWords.hidden = false;
  }

  openChat() {
    this.chat.element.scrollIntoView({ block: 'start' });
    this.chat.text.focus({ preventScroll: true });
  }

  watchChat() {
    new IntersectionObserver(([entry]) => {
      this.chatInView = entry.isIntersecting;
      if (!this.chatInView) return;
      this.unreadCount = 0;
      this.unread.hidden = this.unreadWords.hidden = true;
    }, { threshold: 0.3 }).observe(this.chat.element);
  }

  notice(text) {
    const item = h('p', { class: 'notice' }, text);
    this.notices.append(item);
    setTimeout(() => item.remove(), NOTICE_MS);
    if (!this.notices.isConnected) document.body.append(this.notices);
  }

  leave() {
    this.finish(t('You left the consultation'), t('You can join again with the same link.'), true);
  }

  async endConsultation() {
    if (!window.confirm(t('End the consultation for everyone?'))) return;
    try {
      await api.endConsultation(this.onetooneToken);
    } catch (error) {
      this.notice(t('Could not end the consultation: {error}', { error: error.message }));
    }
  }

  finish(title, text, rejoin = false) {
    if (this.finished) return;
    this.finished = true;
    this.stopWaiting?.();
    this.socket.close();
    this.media?.close();
    this.e2ee?.close();
    for (const track of this.localStream?.getTracks() || []) track.stop();
    endScreen(this.root, title, text, { rejoin });
  }
}

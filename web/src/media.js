// The media of one participant through the SFU, with mediasoup-client: one sending and one
// receiving WebRTC transport, a producer per local track, a consumer per remote track.

import { Device } from 'mediasoup-client';

// How the page may reach the SFU, from its address (for support, and the tests):
// `?ice=relay` through the TURN relay only, `?ice=tcp` over TCP only.
export function networkOptions(search = location.search) {
  const ice = new URLSearchParams(search).get('ice');
  return { relay: ice === 'relay', tcp: ice === 'tcp' };
}

// The camera goes out as three VP8 simulcast layers (a quarter, half and full size), so that
// the SFU can send each viewer the layer its bandwidth and its tile allow.
const CAMERA_LAYERS = [
  { scaleResolutionDownBy: 4, maxBitrate: 150_000 },
  { scaleResolutionDownBy: 2, maxBitrate: 500_000 },
  { scaleResolutionDownBy: 1, maxBitrate: 1_200_000 },
];

// The spatial layer to ask for a video shown `width` CSS pixels wide.
export function layerForWidth(width) {
  if (width <= 320) return 0;
  return width <= 640 ? 1 : 2;
}

// A transport whose ICE went `disconnected` gets this long to come back by itself before its
// ICE is restarted; one that `failed` is restarted at once. After this many restarts in a row
// without a connection, the page joins the media again from scratch.
const DISCONNECTED_GRACE_MS = 2000;
const ICE_RESTARTS = 3;

export class MediaSession {
  // `events`: onConsumer(consumer, info), onConsumerClosed(consumerId),
  // onConsumerPaused(consumerId, paused), onPath(state) (`lost`, `restored`), onLost() (ICE
  // restarts did not help). `network`: { relay, tcp } (see `networkOptions`). `e2ee`: the
  // page's `EndToEnd` when the consultation is end-to-end encrypted: every frame sent goes
  // through its sender transform, every frame received through its receiver transform.
  constructor(socket, events, network = {}, e2ee = null) {
    this.socket = socket;
    this.events = events;
    this.network = network;
    this.e2ee = e2ee;
    this.iceRestarts = 0; // restarts that brought a transport back, for the tests
    this.recovering = new Map(); // transport id -> { timer, attempts }
    this.consumers = new Map();
    this.producers = new Map();
    this.closed = false;
  }

  // Join the consultation's room and send `stream`'s tracks, those of the kinds in `muted`
  // paused; returns the peers already there.
  async start(stream, muted = new Set()) {
    const routerRtpCapabilities = await this.socket.request('getRouterRtpCapabilities');
    this.device = new Device();
    await this.device.load({ routerRtpCapabilities });
    this.sendTransport = await this.createTransport('send');
    this.recvTransport = await this.createTransport('recv');
    const { peers } = await this.socket.request('join', {
      rtpCapabilities: this.device.rtpCapabilities,
    });
    for (const track of stream ? stream.getTracks() : []) {
      if (!this.device.canProduce(track.kind)) continue;
      const camera = track.kind === 'video';
      const producer = await this.produce(track, {
        encodings: camera ? CAMERA_LAYERS : undefined,
        codecOptions: camera ? { videoGoogleStartBitrate: 1000 } : undefined,
        appData: { source: camera ? 'webcam' : 'mic' },
      });
      this.producers.set(track.kind, producer);
      if (muted.has(track.kind)) await this.toggle(track.kind);
    }
    return peers;
  }

  // Send `track`. Encrypted end to end, a disabled copy (black, silent) is what goes out until
  // the sender's transform is in place; then the track itself: no frame of the camera or the
  // microphone leaves unencrypted. VP8 only, whose payload header the SFU reads.
  async produce(track, options) {
    if (!this.e2ee) return this.sendTransport.produce({ track, stopTracks: false, ...options });
    const placeholder = track.clone();
    placeholder.enabled = false;
    const codec = track.kind === 'video'
      ? this.device.rtpCapabilities.codecs.find((c) => c.mimeType.toLowerCase() === 'video/vp8')
      : undefined;
    if (track.kind === 'video' && !codec) throw new Error('VP8 is needed for end-to-end encryption');
    const producer = await this.sendTransport.produce({
      track: placeholder, stopTracks: false, codec, ...options,
    });
    producer.rtpSender.transform = this.e2ee.senderTransform();
    await producer.replaceTrack({ track });
    placeholder.stop();
    // The producer took the disabled copy for a paused track, and disabled the real one to
    // match: it was never paused.
    producer.resume();
    return producer;
  }

  async createTransport(direction) {
    const info = await this.socket.request('createWebRtcTransport', {
      producing: direction === 'send',
      consuming: direction === 'recv',
      forceTcp: Boolean(this.network.tcp),
    });
    // The service's TURN servers (short-lived credentials) are tried beside the direct path;
    // `relay` allows the relay alone.
    const options = {
      id: info.id,
      iceParameters: info.iceParameters,
      iceCandidates: info.iceCandidates,
      dtlsParameters: info.dtlsParameters,
      sctpParameters: info.sctpParameters || undefined,
      iceServers: info.iceServers || [],
      iceTransportPolicy: this.network.relay ? 'relay' : 'all',
      // Chromium hands a script transform its frames only on a connection made for them.
      additionalSettings: this.e2ee ? { encodedInsertableStreams: true } : undefined,
    };
    const transport = direction === 'send'
      ? this.device.createSendTransport(options)
      : this.device.createRecvTransport(options);
    transport.on('connect', ({ dtlsParameters }, callback, errback) => {
      this.socket
        .request('connectWebRtcTransport', { transportId: transport.id, dtlsParameters })
        .then(callback, errback);
    });
    transport.on('connectionstatechange', (state) => this.connectionChanged(transport, state));
    transport.on('produce', ({ kind, rtpParameters, appData }, callback, errback) => {
      this.socket
        .request('produce', { transportId: transport.id, kind, rtpParameters, appData })
        .then(({ id }) => callback({ id }), errback);
    });
    return transport;
  }

  // A network change (another Wi-Fi, mobile data, a relay restarting) broke a transport's
  // path: restart its ICE with fresh parameters from the SFU rather than rejoining.
  connectionChanged(transport, state) {
    if (this.closed) return;
    const recovery = this.recovering.get(transport.id);
    if (state === 'connected' || state === 'completed') {
      if (!recovery) return;
      clearTimeout(recovery.timer);
      this.recovering.delete(transport.id);
      if (recovery.attempts > 0) this.iceRestarts += 1;
      this.events.onPath?.('restored');
      // What was lost on the way cannot be decoded: ask for fresh key frames at once.
      if (transport === this.recvTransport) this.requestKeyFrames();
      return;
    }
    if (state !== 'disconnected' && state !== 'failed') return;
    const current = recovery || { timer: null, attempts: 0 };
    this.recovering.set(transport.id, current);
    this.events.onPath?.('lost');
    clearTimeout(current.timer);
    current.timer = setTimeout(
      () => this.restartIce(transport, current),
      state === 'failed' ? 0 : DISCONNECTED_GRACE_MS,
    );
  }

  requestKeyFrames() {
    for (const consumer of this.consumers.values()) {
      if (consumer.kind !== 'video') continue;
      this.socket.request('requestConsumerKeyFrame', { consumerId: consumer.id }).catch(() => {});
    }
  }

  async restartIce(transport, recovery) {
    if (this.closed || transport.closed) return;
    if (recovery.attempts >= ICE_RESTARTS) {
      this.events.onLost?.();
      return;
    }
    recovery.attempts += 1;
    try {
      const { iceServers } = await this.socket.request('getIceServers');
      if (iceServers.length) await transport.updateIceServers({ iceServers });
      const iceParameters = await this.socket.request('restartIce', { transportId: transport.id });
      await transport.restartIce({ iceParameters });
    } catch {
      // The socket is down or the transport gone: the next state change, or the page's own
      // reconnection, takes over.
    }
    // Not connected again in time: try once more (and in the end, rejoin).
    recovery.timer = setTimeout(() => this.restartIce(transport, recovery), 10 * DISCONNECTED_GRACE_MS);
  }

  // The server's `newConsumer` request: accept the stream, then answer.
  async consume(info) {
    if (this.closed || !this.recvTransport) throw new Error('not receiving');
    const consumer = await this.recvTransport.consume({
      id: info.id,
      producerId: info.producerId,
      kind: info.kind,
      rtpParameters: info.rtpParameters,
      appData: { ...(info.appData || {}), peerId: info.peerId, type: info.type },
    });
    if (this.e2ee) consumer.rtpReceiver.transform = this.e2ee.receiverTransform(info.appData?.socketId);
    this.consumers.set(consumer.id, consumer);
    this.events.onConsumer(consumer, info);
    if (info.producerPaused) this.events.onConsumerPaused(consumer.id, true);
  }

  // Send `track` (from getDisplayMedia) as the screen; `onEnded` runs when it stops, from
  // the page or from the browser's own "stop sharing".
  async shareScreen(track, onEnded) {
    const producer = await this.produce(track, { appData: { source: 'screen' } });
    this.screen = producer;
    track.addEventListener('ended', () => this.stopScreen().finally(onEnded));
    return producer;
  }

  async stopScreen() {
    const producer = this.screen;
    if (!producer) return;
    this.screen = null;
    producer.track?.stop();
    producer.close();
    if (!this.closed) await this.socket.request('closeProducer', { producerId: producer.id });
  }

  // Ask the SFU for the layer that fits a video shown `width` pixels wide (simulcast only).
  async preferWidth(consumerId, width) {
    const consumer = this.consumers.get(consumerId);
    if (!consumer || consumer.appData.type !== 'simulcast') return;
    const spatialLayer = layerForWidth(width);
    if (consumer.appData.preferredLayer === spatialLayer) return;
    consumer.appData.preferredLayer = spatialLayer;
    await this.socket.request('setConsumerPreferredLayers', { consumerId, spatialLayer });
  }

  // Cap what the SFU sends this page (bits/s; 0 lifts the cap).
  async setMaxReceiveBitrate(bitrate) {
    await this.socket.request('setMaxReceiveBitrate', {
      transportId: this.recvTransport.id, bitrate,
    });
  }

  // The sending side's video encodings (one per simulcast layer), as plain objects.
  async outboundVideo() {
    if (this.closed || !this.sendTransport) return [];
    const report = await this.sendTransport.getStats();
    return [...report.values()]
      .filter((entry) => entry.type === 'outbound-rtp' && entry.kind === 'video')
      .map(({
        rid, bytesSent, framesEncoded, frameWidth, frameHeight, totalEncodeTime,
        totalPacketSendDelay, packetsSent,
      }) => ({
        rid, bytesSent, framesEncoded, frameWidth, frameHeight, totalEncodeTime,
        totalPacketSendDelay, packetsSent,
      }));
  }

  consumerClosed(consumerId) {
    const consumer = this.consumers.get(consumerId);
    if (!consumer) return;
    consumer.close();
    this.consumers.delete(consumerId);
    this.events.onConsumerClosed(consumerId);
  }

  isPaused(kind) {
    return this.producers.get(kind)?.paused ?? true;
  }

  // Mute or unmute the local `kind` ('audio' or 'video'); returns whether it is now paused.
  async toggle(kind) {
    const producer = this.producers.get(kind);
    if (!producer) return true;
    if (producer.paused) {
      await this.socket.request('resumeProducer', { producerId: producer.id });
      producer.resume();
    } else {
      producer.pause();
      await this.socket.request('pauseProducer', { producerId: producer.id });
    }
    return producer.paused;
  }

  // The receiving side's inbound-rtp statistics, as plain objects.
  async inboundStats() {
    if (this.closed || !this.recvTransport) return [];
    const report = await this.recvTransport.getStats();
    return [...report.values()]
      .filter((entry) => entry.type === 'inbound-rtp')
      .map(({
        kind, packetsReceived, packetsLost, bytesReceived, framesDecoded, jitter, totalAudioEnergy,
        jitterBufferDelay, jitterBufferEmittedCount, totalProcessingDelay,
      }) => ({
        kind, packetsReceived, packetsLost, bytesReceived, framesDecoded, jitter, totalAudioEnergy,
        jitterBufferDelay, jitterBufferEmittedCount, totalProcessingDelay,
      }));
  }

  // The network path each transport uses now: its selected ICE candidate pair's local side
  // (`host`, `srflx` or `relay`; `udp` or `tcp`).
  async paths() {
    const paths = [];
    for (const [direction, transport] of [['send', this.sendTransport], ['recv', this.recvTransport]]) {
      if (this.closed || !transport) continue;
      const report = await transport.getStats();
      const pair = [...report.values()].find(
        (entry) => entry.type === 'candidate-pair' && entry.nominated && entry.state === 'succeeded',
      );
      const local = pair && report.get(pair.localCandidateId);
      if (local) {
        paths.push({
          direction,
          candidateType: local.candidateType,
          protocol: local.protocol,
          relayProtocol: local.relayProtocol,
          roundTripTime: pair.currentRoundTripTime,
        });
      }
    }
    return paths;
  }

  // Close the transports here; the server does the same when the socket closes.
  close() {
    this.closed = true;
    for (const { timer } of this.recovering.values()) clearTimeout(timer);
    this.recovering.clear();
    this.screen?.track?.stop();
    this.screen = null;
    for (const consumerId of [...this.consumers.keys()]) this.consumerClosed(consumerId);
    this.sendTransport?.close();
    this.recvTransport?.close();
    this.producers.clear();
  }
}

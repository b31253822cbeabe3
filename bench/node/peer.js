// Benchmark peer: mediasoup's own Node library driving the worker binary in
// MEDIASOUP_WORKER_BIN through the same scenario as bench/control_plane.py.
//
// Line protocol on stdin/stdout, one JSON object per line:
//   {"cmd": "init", "scenario": {...}}                  -> {"ok": true, "pid": <worker pid>}
//   {"cmd": "consultations", "count": N}                -> {"wall": s, "cpu": s, "latencies": [s]}
//   {"cmd": "burst", "kind": "getStats"|..., "count": N} -> {"wall": s, "cpu": s, "latencies": [s]}
//   {"cmd": "quit"}
'use strict';

const readline = require('readline');
const mediasoup = require('mediasoup');

let scenario;
let worker;

const now = () => Number(process.hrtime.bigint()) / 1e9;
const cpuSeconds = (usage) => (usage.user + usage.system) / 1e6;

// Calls `request` and awaits its promise, recording the latency in seconds into `latencies`.
// The clock starts before the call: an async method runs synchronously (validation,
// FlatBuffers building, the channel write) until its first await.
async function timed(latencies, request) {
  const start = now();
  const result = await request();
  latencies.push(now() - start);
  return result;
}

async function consultation(latencies) {
  const router = await timed(latencies, () =>
    worker.createRouter({ mediaCodecs: scenario.mediaCodecs }),
  );
  const transports = [];
  for (let side = 0; side < 2; side++) {
    transports.push(
      await timed(
        latencies,
        () => router.createWebRtcTransport({ listenInfos: scenario.listenInfos, enableTcp: false }),
      ),
    );
  }
  for (const transport of transports) {
    await timed(latencies, () => transport.connect({ dtlsParameters: scenario.dtlsParameters }));
  }
  const producers = [];
  for (const transport of transports) {
    producers.push([
      await timed(latencies, () =>
        transport.produce({ kind: 'audio', rtpParameters: scenario.audio }),
      ),
      await timed(latencies, () =>
        transport.produce({ kind: 'video', rtpParameters: scenario.video }),
      ),
    ]);
  }
  for (let side = 0; side < 2; side++) {
    for (const producer of producers[1 - side]) {
      await timed(
        latencies,
        () => transports[side].consume({
          producerId: producer.id,
          rtpCapabilities: router.rtpCapabilities,
        }),
      );
    }
  }
  router.close();
}

async function consultations(count) {
  const latencies = [];
  const cpu = process.cpuUsage();
  const start = now();
  for (let i = 0; i < count; i++) await consultation(latencies);
  return { wall: now() - start, cpu: cpuSeconds(process.cpuUsage(cpu)), latencies };
}

async function burst(kind, count) {
  const router = await worker.createRouter({ mediaCodecs: scenario.mediaCodecs });
  const transport = await router.createWebRtcTransport({
    listenInfos: scenario.listenInfos,
    enableTcp: false,
  });
  const request = {
    getStats: () => transport.getStats(),
    dump: () => router.dump(),
    createWebRtcTransport: () =>
      router.createWebRtcTransport({ listenInfos: scenario.listenInfos, enableTcp: false }),
  }[kind];
  const latencies = [];
  const cpu = process.cpuUsage();
  const start = now();
  await Promise.all(Array.from({ length: count }, () => timed(latencies, request)));
  const result = { wall: now() - start, cpu: cpuSeconds(process.cpuUsage(cpu)), latencies };
  router.close();
  return result;
}

async function handle(message) {
  switch (message.cmd) {
    case 'init':
      scenario = message.scenario;
      worker = await mediasoup.createWorker({ logLevel: 'warn' });
      return { ok: true, pid: worker.pid };
    case 'consultations':
      return consultations(message.count);
    case 'burst':
      return burst(message.kind, message.count);
    case 'quit':
      worker.close();
      process.exit(0);
    default:
      throw new Error(`unknown command ${message.cmd}`);
  }
}

(async () => {
  const lines = readline.createInterface({ input: process.stdin });
  for await (const line of lines) {
    let reply;
    try {
      reply = await handle(JSON.parse(line));
    } catch (error) {
      reply = { error: String(error) };
    }
    process.stdout.write(JSON.stringify(reply) + '\n');
  }
  if (worker) worker.close();
})();

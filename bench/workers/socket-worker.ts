/**
 * Load generator process: holds many Socket.io clients, sends `send-message` at a given rate spread over
 * its clients, and measures send→receive latency at every receiver. Content is `{"t":<send time>,"k":<step>}`;
 * a room's members all live in one worker, so sender and receiver clocks are the same process's.
 */
import { io, type Socket } from 'socket.io-client';
import { Histogram, nowMs } from '../lib/histogram.js';
import type { ClientSpec, FromSocketWorker, ToSocketWorker } from '../lib/protocol.js';

const send = (msg: FromSocketWorker) => process.send?.(msg);
const bump = (m: Record<string, number>, k: string) => (m[k] = (m[k] ?? 0) + 1);

interface Client {
  spec: ClientSpec;
  socket: Socket;
}

const clients: Client[] = [];
const steps = new Map<number, { received: number; hist: Histogram }>();
let late = 0;
let disconnects = 0;
let aborted = false;

function onNewMessage(message: { content?: string }): void {
  const at = nowMs();
  let body: { t?: number; k?: number };
  try {
    body = JSON.parse(message.content ?? '') as typeof body;
  } catch {
    return; // a system message or anything else that is not ours
  }
  if (typeof body.t !== 'number' || typeof body.k !== 'number') return;
  const step = steps.get(body.k);
  if (!step) {
    late += 1;
    return;
  }
  step.received += 1;
  step.hist.record(at - body.t);
}

function open(spec: ClientSpec, timeoutMs: number): Promise<Client> {
  return new Promise((resolve, reject) => {
    const socket = io(spec.url, {
      transports: ['websocket'],
      forceNew: true,
      reconnection: false,
      timeout: timeoutMs,
      auth: { token: spec.token, rooms: [spec.room] },
    });
    socket.once('connect', () => {
      socket.off('connect_error');
      socket.on('new-message', onNewMessage);
      socket.on('disconnect', () => (disconnects += 1));
      resolve({ spec, socket });
    });
    socket.once('connect_error', (err: Error) => {
      socket.close();
      reject(err);
    });
  });
}

async function connectAll(specs: ClientSpec[], concurrency: number, timeoutMs: number) {
  const connectHist = new Histogram();
  const errors: Record<string, number> = {};
  let failed = 0;
  let next = 0;
  const progress = setInterval(
    () => send({ type: 'progress', connected: clients.length, failed }),
    500,
  );
  const lane = async () => {
    while (next < specs.length && !aborted) {
      const spec = specs[next++]!;
      const t0 = performance.now();
      try {
        clients.push(await open(spec, timeoutMs));
        connectHist.record(performance.now() - t0);
      } catch (err) {
        failed += 1;
        bump(errors, (err as Error).message.slice(0, 80));
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, lane));
  clearInterval(progress);
  const roomMembers: Record<string, number> = {};
  for (const c of clients) bump(roomMembers, c.spec.room);
  send({
    type: 'connected',
    connected: clients.length,
    failed,
    errors,
    connectHist: connectHist.toJSON(),
    roomMembers,
  });
}

async function runStep(msg: Extract<ToSocketWorker, { type: 'step' }>) {
  steps.set(msg.id, { received: 0, hist: new Histogram() });
  const ackHist = new Histogram();
  const errors: Record<string, number> = {};
  const ackedByRoom: Record<string, number> = {};
  let sent = 0;
  let acked = 0;
  let failed = 0;
  let cursor = 0;
  const pending = new Set<Promise<void>>();
  const sendOne = () => {
    const client = clients[cursor++ % clients.length]!;
    const t = nowMs();
    const payload: Record<string, string> = {
      room: client.spec.room,
      content: JSON.stringify({ t, k: msg.id }),
    };
    if (msg.clientId) payload.clientId = `${process.pid}-${msg.id}-${sent}`;
    sent += 1;
    const p = new Promise<void>((resolve) => {
      client.socket
        .timeout(msg.ackTimeoutMs)
        .emit(
          'send-message',
          payload,
          (err: Error | null, res?: { success?: boolean; error?: { code?: string } }) => {
            if (!err && res?.success) {
              acked += 1;
              ackHist.record(nowMs() - t);
              bump(ackedByRoom, client.spec.room);
            } else {
              failed += 1;
              bump(errors, err ? 'ack timeout' : (res?.error?.code ?? 'error'));
            }
            resolve();
          },
        );
    });
    pending.add(p);
    void p.then(() => pending.delete(p));
  };
  const start = performance.now();
  await new Promise<void>((resolve) => {
    const tick = () => {
      const elapsed = Math.min(performance.now() - start, msg.durationMs);
      const due = Math.floor((elapsed * msg.rate) / 1000) - sent;
      for (let i = 0; i < due; i++) sendOne();
      if (elapsed >= msg.durationMs) resolve();
      else setTimeout(tick, 1);
    };
    tick();
  });
  const sendMs = performance.now() - start;
  await Promise.all(pending);
  send({
    type: 'stepDone',
    id: msg.id,
    sent,
    acked,
    failed,
    errors,
    ackedByRoom,
    ackHist: ackHist.toJSON(),
    sendMs,
  });
}

process.on('message', (msg: ToSocketWorker) => {
  switch (msg.type) {
    case 'connect':
      void connectAll(msg.clients, msg.concurrency, msg.timeoutMs);
      break;
    case 'abort':
      aborted = true;
      break;
    case 'step':
      if (clients.length === 0) {
        send({
          type: 'stepDone',
          id: msg.id,
          sent: 0,
          acked: 0,
          failed: 0,
          errors: {},
          ackedByRoom: {},
          ackHist: new Histogram().toJSON(),
          sendMs: msg.durationMs,
        });
        steps.set(msg.id, { received: 0, hist: new Histogram() });
      } else void runStep(msg);
      break;
    case 'count':
      send({ type: 'count', id: msg.id, received: steps.get(msg.id)?.received ?? 0 });
      break;
    case 'collect': {
      const step = steps.get(msg.id);
      steps.delete(msg.id);
      send({
        type: 'collected',
        id: msg.id,
        received: step?.received ?? 0,
        late,
        disconnects,
        hist: (step?.hist ?? new Histogram()).toJSON(),
      });
      break;
    }
    case 'close':
      for (const c of clients) c.socket.close();
      send({ type: 'closed' });
      setTimeout(() => process.exit(0), 100);
      break;
  }
});
process.on('disconnect', () => process.exit(0));

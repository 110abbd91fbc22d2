import { createServer, type AddressInfo, type Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { createUser, expectError, listMessages, type TestUser } from '../helpers/factories.js';
import { filesUnder, pdf, png, text, upload } from './support.js';

const EICAR = 'X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*';

/**
 * A stand-in for clamd: reads `zINSTREAM\0`, then length-prefixed chunks up to a zero-length one,
 * and answers like clamd does. Records what it scanned.
 */
function fakeClamd(): Promise<{ server: Server; port: number; scanned: Buffer[] }> {
  const scanned: Buffer[] = [];
  const server = createServer((socket) => {
    let pending = Buffer.alloc(0);
    const chunks: Buffer[] = [];
    let commandRead = false;
    socket.on('data', (data) => {
      pending = Buffer.concat([pending, data]);
      if (!commandRead) {
        const end = pending.indexOf(0);
        if (end < 0) return;
        if (pending.subarray(0, end).toString() !== 'zINSTREAM') {
          socket.end('UNKNOWN COMMAND\0');
          return;
        }
        commandRead = true;
        pending = pending.subarray(end + 1);
      }
      while (pending.length >= 4) {
        const size = pending.readUInt32BE(0);
        if (size === 0) {
          const body = Buffer.concat(chunks);
          scanned.push(body);
          socket.end(
            body.includes('EICAR') ? 'stream: Eicar-Test-Signature FOUND\0' : 'stream: OK\0',
          );
          return;
        }
        if (pending.length < 4 + size) return;
        chunks.push(pending.subarray(4, 4 + size));
        pending = pending.subarray(4 + size);
      }
    });
    socket.on('error', () => {});
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({ server, port: (server.address() as AddressInfo).port, scanned }),
    ),
  );
}

/** A port on which nothing listens. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('with clamd running', () => {
  let t: TestApp;
  let alice: TestUser;
  let clamd: Awaited<ReturnType<typeof fakeClamd>>;
  beforeAll(async () => {
    clamd = await fakeClamd();
    t = await startTestApp({ env: { CLAMAV_HOST: '127.0.0.1', CLAMAV_PORT: String(clamd.port) } });
    alice = await createUser(t);
  });
  afterAll(async () => {
    await t?.stop();
    await new Promise((resolve) => clamd?.server.close(resolve));
  });

  it('a clean file is scanned, byte for byte, and accepted with 201', async () => {
    const body = pdf();
    const res = await upload(t, alice, body, 'clean.pdf');
    expect(res.status).toBe(201);
    expect(clamd.scanned.some((s) => s.equals(body))).toBe(true);
  });

  it('a file larger than one 64 KiB chunk is scanned whole', async () => {
    const body = text('clean line\n'.repeat(20_000));
    const res = await upload(t, alice, body, 'long.txt');
    expect(res.status).toBe(201);
    expect(clamd.scanned.some((s) => s.equals(body))).toBe(true);
  });

  it('the EICAR test file gets 415, and nothing is stored or posted', async () => {
    const before = await listMessages(t, alice, 'general', 'limit=1');
    const stored = filesUnder(t.ctx.config.UPLOAD_DIR);
    const res = await upload(t, alice, text(EICAR), 'eicar.txt');
    expectError(res, 415, 'UNSUPPORTED_MEDIA_TYPE');
    expect(filesUnder(t.ctx.config.UPLOAD_DIR)).toEqual(stored);
    expect((await listMessages(t, alice, 'general', 'limit=1')).data[0]?.id).toBe(
      before.data[0]?.id,
    );
  });

  it('an image is accepted too', async () => {
    expect((await upload(t, alice, await png(), 'clean.png')).status).toBe(201);
  });
});

describe('with clamd down', () => {
  let t: TestApp;
  let alice: TestUser;
  beforeAll(async () => {
    const port = await closedPort();
    t = await startTestApp({ env: { CLAMAV_HOST: '127.0.0.1', CLAMAV_PORT: String(port) } });
    alice = await createUser(t);
  });
  afterAll(async () => {
    await t?.stop();
  });

  it('an upload gets 503 SERVICE_UNAVAILABLE and nothing is stored', async () => {
    const res = await upload(t, alice, pdf(), 'unscanned.pdf');
    expectError(res, 503, 'SERVICE_UNAVAILABLE');
    expect(filesUnder(t.ctx.config.UPLOAD_DIR)).toEqual([]);
  });
});

describe('with clamd answering no verdict', () => {
  let t: TestApp;
  let alice: TestUser;
  let mute: Server;
  beforeAll(async () => {
    // Reads the request, then hangs up without a word.
    mute = createServer((socket) => socket.once('data', () => socket.destroy()));
    await new Promise<void>((resolve) => mute.listen(0, '127.0.0.1', resolve));
    const { port } = mute.address() as AddressInfo;
    t = await startTestApp({ env: { CLAMAV_HOST: '127.0.0.1', CLAMAV_PORT: String(port) } });
    alice = await createUser(t);
  });
  afterAll(async () => {
    await t?.stop();
    await new Promise((resolve) => mute?.close(resolve));
  });

  it('an upload gets 503 SERVICE_UNAVAILABLE', async () => {
    expectError(await upload(t, alice, pdf(), 'unscanned.pdf'), 503, 'SERVICE_UNAVAILABLE');
  });
});

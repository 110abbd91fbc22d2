import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { createUser, expectError, type TestUser } from '../helpers/factories.js';
import { fetchFile, filesUnder, upload } from './support.js';

const MB = 1024 * 1024;

/** Valid UTF-8 text of exactly `bytes` bytes. */
const textOf = (bytes: number) => Buffer.alloc(bytes, 'abcdefghij\n');

describe('default limit: 10 MB', () => {
  let t: TestApp;
  let alice: TestUser;
  beforeAll(async () => {
    t = await startTestApp();
    alice = await createUser(t);
  });
  afterAll(async () => {
    await t?.stop();
  });

  it('a file of 10 MB + 1 byte gets 413 and nothing is stored', async () => {
    const res = await upload(t, alice, textOf(10 * MB + 1), 'big.txt');
    expectError(res, 413, 'PAYLOAD_TOO_LARGE');
    expect(filesUnder(t.ctx.config.UPLOAD_DIR)).toEqual([]);
  });

  it('a file of exactly 10 MB is accepted and downloads whole', async () => {
    const res = await upload(t, alice, textOf(10 * MB), 'exact.txt');
    expect(res.status).toBe(201);
    expect(res.body.data.file).toMatchObject({ mime: 'text/plain', size: 10 * MB });
    const download = await fetchFile(t, res.body.data.file.url);
    expect(download.status).toBe(200);
    expect((download.body as Buffer).length).toBe(10 * MB);
  });
});

describe('MAX_UPLOAD_MB=1', () => {
  let t: TestApp;
  let alice: TestUser;
  beforeAll(async () => {
    t = await startTestApp({ env: { MAX_UPLOAD_MB: '1' } });
    alice = await createUser(t);
  });
  afterAll(async () => {
    await t?.stop();
  });

  it('a file of 1 MB + 1 byte gets 413', async () => {
    const res = await upload(t, alice, textOf(MB + 1), 'over.txt');
    expectError(res, 413, 'PAYLOAD_TOO_LARGE');
  });

  it('a file of exactly 1 MB is accepted', async () => {
    const res = await upload(t, alice, textOf(MB), 'fits.txt');
    expect(res.status).toBe(201);
    expect(res.body.data.file.size).toBe(MB);
  });
});

import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { createRoom, createUser, type TestUser } from '../helpers/factories.js';
import { socketPool } from '../helpers/sockets.js';
import { roundTrip } from '../realtime/support.js';
import { fetchFile, pdf, png, uploadOk } from './support.js';

interface FileMessage {
  id: string;
  room: string;
  type: string;
  content: string;
  file?: { id: string; url: string; thumbnailUrl?: string };
}

let t: TestApp;
let alice: TestUser;
let bob: TestUser;
let stranger: TestUser;
const sockets = socketPool();
beforeAll(async () => {
  t = await startTestApp();
  [alice, bob, stranger] = await Promise.all([createUser(t), createUser(t), createUser(t)]);
});
afterEach(() => sockets.closeAll());
afterAll(async () => {
  await t?.stop();
});

describe('uploads in real time', () => {
  it("an upload reaches another member's socket as new-message with the file", async () => {
    const bobSocket = await sockets.connect(t.url, bob.accessToken);
    const { file, message } = await uploadOk(t, alice, await png(), 'live.png', {
      room: 'general',
      caption: 'look at this',
    });
    const received = await bobSocket.waitFor<FileMessage>(
      'new-message',
      (m) => m.id === message.id,
    );
    expect(received).toMatchObject({ type: 'file', content: 'look at this', room: message.room });
    expect(received.file).toEqual(file);
    expect((await fetchFile(t, received.file!.url)).status).toBe(200);
    expect((await fetchFile(t, received.file!.thumbnailUrl!)).status).toBe(200);
  });

  it("editing a file message's caption answers with the file and reaches the socket as message-updated", async () => {
    const bobSocket = await sockets.connect(t.url, bob.accessToken);
    const { file, message } = await uploadOk(t, alice, pdf(), 'captioned.pdf', {
      room: 'general',
      caption: 'first caption',
    });
    const res = await t.http
      .put(`/api/messages/${message.id}`)
      .set(alice.auth)
      .send({ content: 'second caption' });
    expect(res.status).toBe(200);
    expect(res.body.data).toMatchObject({ content: 'second caption', file: { id: file.id } });
    const updated = await bobSocket.waitFor<FileMessage>(
      'message-updated',
      (m) => m.id === message.id,
    );
    expect(updated).toMatchObject({ content: 'second caption', file: { id: file.id } });
  });

  it('deleting the file reaches the socket as message-deleted', async () => {
    const bobSocket = await sockets.connect(t.url, bob.accessToken);
    const { message } = await uploadOk(t, alice, pdf(), 'short-lived.pdf');
    await bobSocket.waitFor<FileMessage>('new-message', (m) => m.id === message.id);
    expect((await t.http.delete(`/api/files/${message.id}`).set(alice.auth)).status).toBe(200);
    const gone = await bobSocket.waitFor<{ id: string; room: string }>(
      'message-deleted',
      (e) => e.id === message.id,
    );
    expect(gone).toEqual({
      id: message.id,
      room: message.room,
      seq: message.seq,
      rev: expect.any(Number),
    });
  });

  it("a stranger's socket hears nothing of an upload into a private room", async () => {
    const room = await createRoom(t, alice, { type: 'private', members: [bob] });
    const [strangerSocket, bobSocket] = await Promise.all([
      sockets.connect(t.url, stranger.accessToken),
      sockets.connect(t.url, bob.accessToken),
    ]);
    const { message } = await uploadOk(t, alice, pdf(), 'private.pdf', { room: room.id });
    await bobSocket.waitFor<FileMessage>('new-message', (m) => m.id === message.id);
    // The upload was emitted before Bob got it: after a round trip, anything emitted to the
    // stranger's socket by then has arrived too.
    await roundTrip(strangerSocket);
    expect(strangerSocket.payloads<FileMessage>('new-message', (m) => m.room === room.id)).toEqual(
      [],
    );
  });
});

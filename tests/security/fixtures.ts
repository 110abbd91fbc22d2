import type { TestApp } from '../helpers/app.js';
import { createRoom, sendMessage, type TestMessage, type TestRoom } from '../helpers/factories.js';
import type { Cast } from './support.js';

export type RoomKind = 'private' | 'public';

/** One room with every role in it, as each matrix row needs it. */
export interface Fixture {
  kind: RoomKind;
  room: TestRoom;
  /** A text message sent by the owner, and one by the plain member. */
  ownerMessage: TestMessage;
  memberMessage: TestMessage;
  /** The id of a file message the owner uploaded (made on first use). */
  fileMessageId(): Promise<string>;
}

/** A tiny text file: accepted as `.txt` because its bytes are plain UTF-8 text. */
export const TEXT_FILE = Buffer.from('just some harmless text\n');

export async function uploadText(
  t: TestApp,
  auth: { Authorization: string },
  room: string,
): Promise<string> {
  const res = await t.http
    .post('/api/v1/files/upload')
    .set(auth)
    .field('room', room)
    .attach('file', TEXT_FILE, { filename: 'notes.txt', contentType: 'text/plain' });
  if (res.status !== 201)
    throw new Error(`upload failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.data.message.id as string;
}

/**
 * A room owned by `owner`, with `admin` as admin and `member`, `other` as members, one message each
 * from the owner and the member. `deleted`: the owner deletes the room once everything is in it.
 */
export async function buildFixture(
  t: TestApp,
  cast: Cast,
  kind: RoomKind,
  options: { deleted?: boolean } = {},
): Promise<Fixture> {
  const room = await createRoom(t, cast.owner, {
    type: kind,
    admins: [cast.admin],
    members: [cast.member, cast.other],
  });
  const ownerMessage = await sendMessage(t, cast.owner, room.id, 'hello from the owner');
  const memberMessage = await sendMessage(t, cast.member, room.id, 'hello from a member');
  let fileId: Promise<string> | undefined;
  const fixture: Fixture = {
    kind,
    room,
    ownerMessage,
    memberMessage,
    fileMessageId: () => (fileId ??= uploadText(t, cast.owner.auth, room.id)),
  };
  if (options.deleted) {
    await fixture.fileMessageId();
    await deleteRoom(t, cast, room.id);
  }
  return fixture;
}

export async function deleteRoom(t: TestApp, cast: Cast, roomId: string): Promise<void> {
  const res = await t.http.delete(`/api/v1/rooms/${roomId}`).set(cast.owner.auth);
  if (res.status !== 200) throw new Error(`delete room failed: ${res.status}`);
}

import type { Executor } from '../../db/client.js';
import {
  toMessageView,
  toTombstone,
  type FileView,
  type MessageView,
  type Tombstone,
} from './messages.presenter.js';
import * as messagesRepo from './messages.repo.js';
import type { MessageRecord, ReactionGroup } from './messages.repo.js';

/** Looks up the file views of file messages; filled in by the files module. */
export type FileViewLoader = (messageIds: string[]) => Promise<Map<string, FileView>>;

export const noFiles: FileViewLoader = async () => new Map();

/** Turns stored records into API views: reactions read with them (or in one query), files in one. */
export async function hydrate(
  db: Executor,
  records: MessageRecord[],
  loadFiles: FileViewLoader,
): Promise<(MessageView | Tombstone)[]> {
  const live = records.filter((r) => r.message.deletedAt === null);
  const fileIds = live.filter((r) => r.message.type === 'file').map((r) => r.message.id);
  // Records read by selectRecords carry their reactions; others are looked up in one query.
  const without = live.filter((r) => r.reactions === undefined).map((r) => r.message.id);
  const [reactions, files] = await Promise.all([
    without.length ? messagesRepo.reactionsOf(db, without) : new Map<string, ReactionGroup[]>(),
    fileIds.length ? loadFiles(fileIds) : Promise.resolve(new Map<string, FileView>()),
  ]);
  return records.map((r) =>
    r.message.deletedAt !== null
      ? toTombstone(r)
      : toMessageView(r, r.reactions ?? reactions.get(r.message.id) ?? [], files.get(r.message.id)),
  );
}

/** Live messages only, in the order of the given ids (missing or deleted ones are left out). */
export async function loadMessageViews(
  db: Executor,
  ids: string[],
  loadFiles: FileViewLoader,
): Promise<Map<string, MessageView>> {
  const records = await messagesRepo.findMessageRecords(db, ids);
  const views = await hydrate(db, records, loadFiles);
  const byId = new Map<string, MessageView>();
  for (const v of views) if (!('deleted' in v)) byId.set(v.id, v);
  return byId;
}

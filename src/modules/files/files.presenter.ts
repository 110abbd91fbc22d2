import type { FileRow } from '../../db/schema/index.js';
import type { FileView } from '../messages/messages.presenter.js';
import type { StorageDriver } from './storage/storage.js';

/** A file as the API shows it, with fresh signed URLs (listings always hand out new ones). */
export async function toFileView(
  file: FileRow,
  storage: StorageDriver,
  ttlSec: number,
): Promise<FileView> {
  const options = {
    visibility: 'private' as const,
    expiresInSec: ttlSec,
    downloadName: file.name,
    contentType: file.mime,
  };
  const [url, thumbnailUrl] = await Promise.all([
    storage.url(file.storageKey, options),
    file.thumbnailKey
      ? storage.url(file.thumbnailKey, {
          ...options,
          downloadName: `thumb-${file.name.replace(/\.[^.]+$/, '')}.webp`,
          contentType: 'image/webp',
        })
      : Promise.resolve(undefined),
  ]);
  const view: FileView = { id: file.id, name: file.name, mime: file.mime, size: file.size, url };
  if (file.width !== null) view.width = file.width;
  if (file.height !== null) view.height = file.height;
  if (thumbnailUrl) view.thumbnailUrl = thumbnailUrl;
  return view;
}

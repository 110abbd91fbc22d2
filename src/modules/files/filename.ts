const MAX_NAME = 120;

/**
 * A display name for a file: the last path segment, without control or path characters, with the
 * extension of its real type. It is only ever shown and sent in Content-Disposition, never a path.
 */
export function sanitizeFilename(original: string | undefined, ext: string): string {
  const last = (original ?? '').split(/[\\/]/).pop() ?? '';
  const cleaned = last
    .normalize('NFC')
    // eslint-disable-next-line no-control-regex -- control characters have no place in a file name
    .replace(/[\u0000-\u001F\u007F<>:"|?*\u202A-\u202E\u2066-\u2069]/g, '')
    .replace(/\s+/g, ' ')
    .trim()
    .replace(/^\.+/, '');
  const dot = cleaned.lastIndexOf('.');
  const stem =
    (dot > 0 ? cleaned.slice(0, dot) : cleaned).slice(0, MAX_NAME - ext.length - 1).trim() ||
    'file';
  const currentExt = dot > 0 ? cleaned.slice(dot + 1).toLowerCase() : '';
  const sameType = currentExt === ext || (ext === 'jpg' && currentExt === 'jpeg');
  return `${stem}.${sameType ? currentExt : ext}`;
}

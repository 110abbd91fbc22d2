import { fileTypeFromBuffer } from 'file-type';
import type { FileKind } from '../../db/schema/index.js';
import { AppError } from '../../errors.js';

export interface DetectedType {
  mime: string;
  ext: string;
  kind: FileKind;
}

/** What SPEC.md allows, by the MIME type the bytes show. */
const ALLOWED: Record<string, { ext: string; kind: FileKind }> = {
  'image/jpeg': { ext: 'jpg', kind: 'image' },
  'image/png': { ext: 'png', kind: 'image' },
  'image/gif': { ext: 'gif', kind: 'image' },
  'image/webp': { ext: 'webp', kind: 'image' },
  'video/mp4': { ext: 'mp4', kind: 'video' },
  'video/webm': { ext: 'webm', kind: 'video' },
  'video/quicktime': { ext: 'mov', kind: 'video' },
  'application/pdf': { ext: 'pdf', kind: 'document' },
  'application/vnd.openxmlformats-officedocument.wordprocessingml.document': {
    ext: 'docx',
    kind: 'document',
  },
  'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet': {
    ext: 'xlsx',
    kind: 'document',
  },
  'application/vnd.openxmlformats-officedocument.presentationml.presentation': {
    ext: 'pptx',
    kind: 'document',
  },
  'application/zip': { ext: 'zip', kind: 'document' },
};

export const IMAGE_MIMES = ['image/jpeg', 'image/png', 'image/gif', 'image/webp'];

// Markup a browser would render or run if the file were ever served as HTML or SVG: any tag-like token
// (`<div …>`, `</p>`, `<img src=x onerror=…>`), comments, processing instructions, script URLs. Prose
// with spaced comparisons (`a < b`) stays text.
const MARKUP =
  /<\/?[a-z][a-z0-9-]*(?:\s[^<>]*)?\/?>|<\s*(?:svg|html|head|body|script|iframe|object|embed|meta|link|style)\b|<!--|<!doctype|<\?xml|javascript:/i;

function unsupported(message: string): AppError {
  return new AppError('UNSUPPORTED_MEDIA_TYPE', message);
}

/** Plain text: valid UTF-8, no NUL or other binary control bytes, and not markup. */
function asPlainText(buffer: Buffer): DetectedType | null {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(buffer);
  } catch {
    return null;
  }
  // eslint-disable-next-line no-control-regex -- binary control bytes mark a file that is not text
  if (/[\u0000-\u0008\u000E-\u001F\u007F]/.test(text)) return null;
  if (MARKUP.test(text))
    throw unsupported('Markup (HTML, SVG, script) is not accepted as a text file');
  return { mime: 'text/plain', ext: 'txt', kind: 'document' };
}

/**
 * Decides a file's type from its bytes alone (never its name or the client's Content-Type) and checks it
 * against the allowed list; throws UNSUPPORTED_MEDIA_TYPE otherwise.
 */
export async function detectType(buffer: Buffer): Promise<DetectedType> {
  const detected = await fileTypeFromBuffer(buffer);
  if (detected) {
    const allowed = ALLOWED[detected.mime];
    if (!allowed) throw unsupported(`Files of type ${detected.mime} are not allowed`);
    return { mime: detected.mime, ...allowed };
  }
  const text = asPlainText(buffer);
  if (!text) throw unsupported('Unrecognised file type');
  return text;
}

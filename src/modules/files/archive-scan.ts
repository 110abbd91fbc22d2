import yauzl, { type Entry, type ZipFile } from 'yauzl';
import { AppError } from '../../errors.js';

const EXECUTABLE_EXTENSIONS = new Set([
  'exe',
  'dll',
  'com',
  'bat',
  'cmd',
  'scr',
  'msi',
  'msp',
  'pif',
  'cpl',
  'vbs',
  'vbe',
  'js',
  'jse',
  'wsf',
  'wsh',
  'ps1',
  'psm1',
  'sh',
  'bash',
  'jar',
  'apk',
  'app',
  'elf',
  'run',
  'hta',
  'lnk',
  'reg',
  'dmg',
  'pkg',
  'deb',
  'rpm',
]);

/** Magic numbers of native executables and scripts: PE (MZ), ELF, Mach-O, and a shebang. */
function looksExecutable(head: Buffer): boolean {
  if (head.length >= 2 && head[0] === 0x4d && head[1] === 0x5a) return true;
  if (head.length >= 4 && head.readUInt32BE(0) === 0x7f454c46) return true;
  if (
    head.length >= 4 &&
    [0xfeedface, 0xfeedfacf, 0xcefaedfe, 0xcffaedfe, 0xcafebabe].includes(head.readUInt32BE(0))
  )
    return true;
  return head.length >= 2 && head[0] === 0x23 && head[1] === 0x21;
}

/** Bounds on the work one upload may cause: entries over all nesting levels, nesting, and time. */
export const ARCHIVE_LIMITS = {
  maxEntries: 5000,
  maxDepth: 3,
  maxMs: 1500,
  maxNestedBytes: 10 << 20,
};

const refuse = (message: string) => new AppError('UNSUPPORTED_MEDIA_TYPE', message);

function openZip(buffer: Buffer): Promise<ZipFile> {
  return new Promise((resolve, reject) => {
    yauzl.fromBuffer(buffer, { lazyEntries: true, validateEntrySizes: true }, (err, zip) =>
      err || !zip ? reject(err) : resolve(zip),
    );
  });
}

/** Reads an entry: its first `max` bytes (the stream is cut there). */
function readEntry(zip: ZipFile, entry: Entry, max: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    zip.openReadStream(entry, (err, stream) => {
      if (err || !stream) return reject(err);
      const chunks: Buffer[] = [];
      let length = 0;
      stream.on('data', (chunk: Buffer) => {
        chunks.push(chunk);
        length += chunk.length;
        if (length >= max) stream.destroy();
      });
      stream.on('close', () => resolve(Buffer.concat(chunks).subarray(0, max)));
      stream.on('error', reject);
    });
  });
}

const isZip = (head: Buffer) => head.length >= 4 && head.readUInt32BE(0) === 0x504b0304;

interface ScanBudget {
  entries: number;
  deadline: number;
}

/** Walks every entry of a zip (and of zips inside it), refusing executables by name or magic number. */
async function scanZip(buffer: Buffer, depth: number, budget: ScanBudget): Promise<void> {
  const zip = await openZip(buffer);
  try {
    await new Promise<void>((resolve, reject) => {
      zip.on('entry', (entry: Entry) => {
        void (async () => {
          budget.entries += 1;
          if (budget.entries > ARCHIVE_LIMITS.maxEntries || Date.now() > budget.deadline) {
            throw refuse('The archive has too many entries to be checked');
          }
          const name = entry.fileName.replace(/\\/g, '/');
          if (!name.endsWith('/')) {
            const ext = name.split('.').pop()?.toLowerCase() ?? '';
            if (EXECUTABLE_EXTENSIONS.has(ext)) {
              throw refuse(`The archive contains an executable: ${name.slice(0, 100)}`);
            }
            const head = await readEntry(zip, entry, 8);
            if (looksExecutable(head)) {
              throw refuse(`The archive contains an executable: ${name.slice(0, 100)}`);
            }
            if (isZip(head) || ext === 'zip') {
              if (depth >= ARCHIVE_LIMITS.maxDepth)
                throw refuse('The archive is nested too deeply');
              if (entry.uncompressedSize > ARCHIVE_LIMITS.maxNestedBytes) {
                throw refuse('A nested archive is too large to be checked');
              }
              await scanZip(await readEntry(zip, entry, entry.uncompressedSize), depth + 1, budget);
            }
          }
          zip.readEntry();
        })().catch(reject);
      });
      zip.on('end', resolve);
      zip.on('error', reject);
      zip.readEntry();
    });
  } finally {
    zip.close();
  }
}

/**
 * Refuses a zip-based file (a zip, or an Office document, which is a zip) with an executable anywhere
 * in it, at any depth and inside nested zips, by name or by magic number. An archive that cannot be
 * read, or whose check would take more than ARCHIVE_LIMITS allow, is refused too: what cannot be
 * inspected is not accepted.
 */
export async function assertArchiveHasNoExecutables(buffer: Buffer): Promise<void> {
  const budget = { entries: 0, deadline: Date.now() + ARCHIVE_LIMITS.maxMs };
  try {
    await scanZip(buffer, 0, budget);
  } catch (err) {
    if (err instanceof AppError) throw err;
    throw refuse('The archive could not be read');
  }
}

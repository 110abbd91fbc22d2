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
  'bin',
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

function openZip(buffer: Buffer): Promise<ZipFile> {
  return new Promise((resolve, reject) => {
    yauzl.fromBuffer(buffer, { lazyEntries: true, validateEntrySizes: true }, (err, zip) =>
      err || !zip ? reject(err) : resolve(zip),
    );
  });
}

function readHead(zip: ZipFile, entry: Entry): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    zip.openReadStream(entry, (err, stream) => {
      if (err || !stream) return reject(err);
      const chunks: Buffer[] = [];
      let length = 0;
      stream.on('data', (chunk: Buffer) => {
        chunks.push(chunk);
        length += chunk.length;
        if (length >= 8) stream.destroy();
      });
      stream.on('close', () => resolve(Buffer.concat(chunks).subarray(0, 8)));
      stream.on('error', reject);
    });
  });
}

/**
 * Refuses a zip with an executable at its top level, by name or by magic number. A zip that cannot
 * be read is refused too: what cannot be inspected is not accepted.
 */
export async function assertArchiveHasNoExecutables(buffer: Buffer): Promise<void> {
  let zip: ZipFile;
  try {
    zip = await openZip(buffer);
  } catch {
    throw new AppError('UNSUPPORTED_MEDIA_TYPE', 'The archive could not be read');
  }
  try {
    await new Promise<void>((resolve, reject) => {
      zip.on('entry', (entry: Entry) => {
        void (async () => {
          const name = entry.fileName.replace(/\\/g, '/');
          const topLevel = !name.replace(/\/$/, '').includes('/');
          const ext = name.split('.').pop()?.toLowerCase() ?? '';
          if (topLevel && !name.endsWith('/')) {
            if (EXECUTABLE_EXTENSIONS.has(ext) || looksExecutable(await readHead(zip, entry))) {
              return reject(
                new AppError(
                  'UNSUPPORTED_MEDIA_TYPE',
                  `The archive contains an executable: ${name.slice(0, 100)}`,
                ),
              );
            }
          }
          zip.readEntry();
        })().catch(reject);
      });
      zip.on('end', resolve);
      zip.on('error', reject);
      zip.readEntry();
    });
  } catch (err) {
    if (err instanceof AppError) throw err;
    throw new AppError('UNSUPPORTED_MEDIA_TYPE', 'The archive could not be read');
  } finally {
    zip.close();
  }
}

import { connect } from 'node:net';
import { AppError, serviceUnavailable } from '../../errors.js';

export interface VirusScanner {
  /** Throws UNSUPPORTED_MEDIA_TYPE when the scanner finds something, SERVICE_UNAVAILABLE when it cannot scan. */
  scan(buffer: Buffer): Promise<void>;
}

const CHUNK = 64 * 1024;

/**
 * clamd's INSTREAM command over TCP: the bytes go in length-prefixed chunks, a zero-length chunk ends
 * them, and clamd answers `stream: OK` or `stream: <signature> FOUND`.
 */
export function createClamavScanner(host: string, port: number, timeoutMs = 15_000): VirusScanner {
  return {
    scan(buffer) {
      return new Promise((resolve, reject) => {
        const socket = connect({ host, port });
        let reply = '';
        socket.setTimeout(timeoutMs, () => socket.destroy(new Error('clamd timed out')));
        socket.on('connect', () => {
          socket.write('zINSTREAM\0');
          for (let offset = 0; offset < buffer.length; offset += CHUNK) {
            const chunk = buffer.subarray(offset, offset + CHUNK);
            const size = Buffer.alloc(4);
            size.writeUInt32BE(chunk.length);
            socket.write(size);
            socket.write(chunk);
          }
          socket.write(Buffer.alloc(4));
        });
        socket.on('data', (data) => {
          reply += data.toString('utf8');
        });
        socket.on('error', () =>
          reject(serviceUnavailable('The virus scanner is unavailable, please retry')),
        );
        socket.on('close', () => {
          const answer = reply.replace(/\0/g, '').trim();
          if (/:\s*OK$/.test(answer)) return resolve();
          if (/FOUND$/.test(answer))
            return reject(
              new AppError('UNSUPPORTED_MEDIA_TYPE', 'The file was flagged by the virus scanner'),
            );
          reject(serviceUnavailable('The virus scanner gave no verdict, please retry'));
        });
      });
    },
  };
}

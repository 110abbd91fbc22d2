import { createECDH } from 'node:crypto';
import { loadOrCreatePrivateFile, readPrivateFile } from './secret.js';

/** The file in DATA_DIR that keeps the generated VAPID key pair when VAPID_* are not set. */
export const VAPID_FILE_NAME = 'vapid-keys.json';

/** A VAPID key pair (RFC 8292): P-256, both base64url, the public key uncompressed (65 bytes). */
export interface VapidKeys {
  publicKey: string;
  privateKey: string;
}

/** A new P-256 key pair in the form browsers' `applicationServerKey` and web-push expect. */
export function generateVapidKeys(): VapidKeys {
  const ecdh = createECDH('prime256v1');
  ecdh.generateKeys();
  // getPrivateKey() drops leading zero bytes (one key in 256 is shorter): VAPID wants all 32.
  const priv = ecdh.getPrivateKey();
  return {
    publicKey: ecdh.getPublicKey().toString('base64url'),
    privateKey: Buffer.concat([Buffer.alloc(32 - priv.length), priv]).toString('base64url'),
  };
}

/** Whether the two strings are a P-256 key pair: the public key is the private key's. */
export function isVapidPair(keys: VapidKeys): boolean {
  try {
    const priv = Buffer.from(keys.privateKey, 'base64url');
    if (priv.length !== 32) return false;
    const ecdh = createECDH('prime256v1');
    ecdh.setPrivateKey(priv);
    return ecdh.getPublicKey().toString('base64url') === keys.publicKey;
  } catch {
    return false;
  }
}

function readKeys(path: string): string | undefined {
  const text = readPrivateFile(path);
  if (text === undefined) return undefined;
  let keys: unknown;
  try {
    keys = JSON.parse(text);
  } catch {
    throw new Error(`${path} is not JSON: delete it to generate a new key pair`);
  }
  if (!isVapidKeys(keys) || !isVapidPair(keys))
    throw new Error(`${path} holds no valid P-256 key pair: delete it to generate a new one`);
  return text;
}

const isVapidKeys = (v: unknown): v is VapidKeys =>
  typeof v === 'object' &&
  v !== null &&
  typeof (v as VapidKeys).publicKey === 'string' &&
  typeof (v as VapidKeys).privateKey === 'string';

/**
 * The VAPID key pair kept in `dataDir`, generated on the first start (so `npm start` needs nothing);
 * several nodes must share one pair: set VAPID_PUBLIC_KEY and VAPID_PRIVATE_KEY for them.
 */
export function loadOrCreateVapidKeys(dataDir: string): VapidKeys & {
  path: string;
  created: boolean;
} {
  const { content, path, created } = loadOrCreatePrivateFile(
    dataDir,
    VAPID_FILE_NAME,
    () => `${JSON.stringify(generateVapidKeys())}\n`,
    readKeys,
  );
  const keys = JSON.parse(content) as VapidKeys;
  return { publicKey: keys.publicKey, privateKey: keys.privateKey, path, created };
}

import type { Config } from '../../../config/config.js';
import { createLocalSigner, createLocalStorage } from './local.js';
import type { StorageDriver } from './storage.js';

export interface StorageSetup {
  storage: StorageDriver;
  /** Present for the local driver: the app serves its files itself. */
  local?: { pathOf(key: string): string; signer: ReturnType<typeof createLocalSigner> };
}

/** The driver STORAGE_DRIVER names, configured from the environment. */
export async function createStorage(config: Config): Promise<StorageSetup> {
  if (config.STORAGE_DRIVER === 'cloudinary') {
    const { createCloudinaryStorage } = await import('./cloudinary.js');
    return { storage: createCloudinaryStorage(config) };
  }
  if (config.STORAGE_DRIVER === 's3') {
    const { createS3Storage } = await import('./s3.js');
    return { storage: createS3Storage(config) };
  }
  const signer = createLocalSigner(config.JWT_SECRET);
  const local = createLocalStorage({ dir: config.UPLOAD_DIR, publicUrl: config.publicUrl, signer });
  return { storage: local, local: { pathOf: local.pathOf, signer } };
}

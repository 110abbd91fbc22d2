import sharp from 'sharp';
import { AppError } from '../../errors.js';

// Refuse decompression bombs: 40 megapixels is far beyond any photo a chat needs.
const LIMIT_INPUT_PIXELS = 40_000_000;
export const THUMBNAIL_SIZE = 320;
export const AVATAR_SIZE = 256;

export interface ProcessedImage {
  body: Buffer;
  width: number;
  height: number;
  thumbnail: Buffer;
}

function invalidImage(): AppError {
  return new AppError('UNSUPPORTED_MEDIA_TYPE', 'The image could not be decoded');
}

/**
 * Re-encodes an image in its own format, which drops every metadata block (EXIF, GPS, XMP) and any
 * bytes trailing the image, and makes a webp thumbnail.
 */
export async function processImage(input: Buffer, mime: string): Promise<ProcessedImage> {
  try {
    const animated = mime === 'image/gif' || mime === 'image/webp';
    const base = sharp(input, { animated, limitInputPixels: LIMIT_INPUT_PIXELS }).rotate();
    const encoded =
      mime === 'image/jpeg'
        ? base.jpeg({ quality: 88 })
        : mime === 'image/png'
          ? base.png()
          : mime === 'image/gif'
            ? base.gif()
            : base.webp({ quality: 88 });
    const { data, info } = await encoded.toBuffer({ resolveWithObject: true });
    const height = info.pageHeight ?? info.height;
    const thumbnail = await sharp(input, { limitInputPixels: LIMIT_INPUT_PIXELS })
      .rotate()
      .resize(THUMBNAIL_SIZE, THUMBNAIL_SIZE, { fit: 'inside', withoutEnlargement: true })
      .webp({ quality: 75 })
      .toBuffer();
    return { body: data, width: info.width, height, thumbnail };
  } catch {
    throw invalidImage();
  }
}

/** A square webp avatar, cropped to the centre. */
export async function processAvatar(input: Buffer): Promise<Buffer> {
  try {
    return await sharp(input, { limitInputPixels: LIMIT_INPUT_PIXELS })
      .rotate()
      .resize(AVATAR_SIZE, AVATAR_SIZE, { fit: 'cover' })
      .webp({ quality: 85 })
      .toBuffer();
  } catch {
    throw invalidImage();
  }
}

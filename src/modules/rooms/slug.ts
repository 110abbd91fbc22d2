import { randomBytes } from 'node:crypto';
import { isId } from '../../db/ids.js';

const RESERVED_SLUGS = new Set(['public', 'direct']);

/** A URL-friendly slug from a room name: lowercase ASCII letters, digits and dashes. */
export function slugify(name: string): string {
  const base = name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 50)
    .replace(/-+$/g, '');
  // A slug must never be mistaken for a room id, which `room` parameters also accept, nor for a route
  // under /rooms (GET /api/rooms/public is the discover list).
  if (!base || isId(base)) return `room-${randomBytes(3).toString('hex')}`;
  if (RESERVED_SLUGS.has(base)) return withSuffix(base);
  return base;
}

/** The slug with a short random suffix, for when the plain one is taken. */
export function withSuffix(slug: string): string {
  return `${slug.slice(0, 50)}-${randomBytes(3).toString('hex')}`;
}

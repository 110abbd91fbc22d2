/**
 * `npm run docs:sockets`: regenerates docs/socket-events.md from the event declarations. The docs tests
 * fail while the committed page differs from what this writes.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { SOCKET_DOCS_PATH, socketEventsMarkdown } from './socket-markdown.js';

const target = resolve(process.cwd(), SOCKET_DOCS_PATH);
await mkdir(dirname(target), { recursive: true });
await writeFile(target, await socketEventsMarkdown(target));
process.stdout.write(`wrote ${SOCKET_DOCS_PATH}\n`);

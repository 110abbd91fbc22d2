// Bundles the demo client (client/*.ts, socket.io-client included) into public/, the directory the
// server serves at `/`. Run with `npm run build:client`; `npm start`, `dev` and `build` run it first.
import { copyFile, mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = dirname(fileURLToPath(import.meta.url));
const out = join(root, '..', 'public');

export async function buildClient() {
  const { build } = await import('esbuild');
  await mkdir(out, { recursive: true });
  await Promise.all([
    build({
      entryPoints: [join(root, 'main.ts')],
      outfile: join(out, 'app.js'),
      bundle: true,
      format: 'iife',
      platform: 'browser',
      target: ['es2022'],
      minify: true,
      sourcemap: 'linked',
      legalComments: 'none',
      logLevel: 'warning',
    }),
    build({
      entryPoints: [join(root, 'style.css')],
      outfile: join(out, 'style.css'),
      bundle: true,
      minify: true,
      logLevel: 'warning',
    }),
    copyFile(join(root, 'index.html'), join(out, 'index.html')),
    copyFile(join(root, 'sw.js'), join(out, 'sw.js')),
  ]);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const started = performance.now();
  try {
    await buildClient();
    process.stdout.write(
      `client built into public/ in ${Math.round(performance.now() - started)} ms\n`,
    );
  } catch (err) {
    // Installed without devDependencies (esbuild): `npm start` must still start the server, which
    // then answers `/` with a note to build the client.
    if (err?.code !== 'ERR_MODULE_NOT_FOUND' || !String(err.message).includes("'esbuild'"))
      throw err;
    process.stderr.write('demo client not built: esbuild is not installed (a devDependency)\n');
  }
}

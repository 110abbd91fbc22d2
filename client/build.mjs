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
  // The chat (main.ts → app.js) and the admin dashboard at /admin (admin.ts → admin.js).
  const script = (entry, outfile) =>
    build({
      entryPoints: [join(root, entry)],
      outfile: join(out, outfile),
      bundle: true,
      format: 'iife',
      platform: 'browser',
      target: ['es2022'],
      minify: true,
      sourcemap: 'linked',
      legalComments: 'none',
      logLevel: 'warning',
    });
  const styles = (file) =>
    build({
      entryPoints: [join(root, file)],
      outfile: join(out, file),
      bundle: true,
      minify: true,
      logLevel: 'warning',
    });
  await Promise.all([
    script('main.ts', 'app.js'),
    script('admin.ts', 'admin.js'),
    styles('style.css'),
    styles('admin.css'),
    ...['index.html', 'admin.html', 'sw.js'].map((f) => copyFile(join(root, f), join(out, f))),
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

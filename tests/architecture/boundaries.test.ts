import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

/**
 * The module boundaries of issue 12, read from the source: a feature reaches another only through its
 * service or port (never its repository), src/realtime and src/http know no feature, and no runtime
 * import cycle exists. The same repository rule is enforced while editing by eslint.config.js.
 */

const ROOT = resolve(import.meta.dirname, '../..');
const SRC = join(ROOT, 'src');

interface Edge {
  from: string;
  to: string;
  /** `import type` / `export type ... from`: erased at build time, so no runtime edge. */
  typeOnly: boolean;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts') ? [path] : [];
  });
}

/** `src/...` with forward slashes, as the failure messages show it. */
const rel = (path: string) => relative(ROOT, path).split(sep).join('/');

/** A relative specifier (`./x.js`, `../y/index.js`) to the .ts file it names; undefined for packages. */
function resolveSpecifier(from: string, specifier: string): string | undefined {
  if (!specifier.startsWith('.')) return undefined;
  const base = resolve(dirname(from), specifier);
  const candidates = [base.replace(/\.js$/, '.ts'), `${base}.ts`, join(base, 'index.ts')];
  return candidates.find((c) => c.endsWith('.ts') && existsSync(c));
}

/** Every import and re-export of a file: static ones, `export ... from`, and `import('...')`. */
function importsOf(file: string): Edge[] {
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest);
  const edges: Edge[] = [];
  const add = (specifier: ts.Node | undefined, typeOnly: boolean) => {
    if (!specifier || !ts.isStringLiteral(specifier)) return;
    const to = resolveSpecifier(file, specifier.text);
    if (to) edges.push({ from: rel(file), to: rel(to), typeOnly });
  };
  const visit = (node: ts.Node) => {
    if (ts.isImportDeclaration(node)) {
      // With verbatimModuleSyntax, `import { type A }` still loads the module: only `import type` is erased.
      add(node.moduleSpecifier, node.importClause?.isTypeOnly ?? false);
    } else if (ts.isExportDeclaration(node)) {
      add(node.moduleSpecifier, node.isTypeOnly);
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
      add(node.arguments[0], false);
    } else if (ts.isImportTypeNode(node)) {
      // `typeof import('./x.js')` in a type position.
      const literal = ts.isLiteralTypeNode(node.argument) ? node.argument.literal : undefined;
      add(literal, true);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return edges;
}

const edges = sourceFiles(SRC).flatMap(importsOf);
const show = (e: Edge) => `${e.from} -> ${e.to}${e.typeOnly ? ' (type)' : ''}`;

/** The feature a file belongs to (`src/modules/<feature>/...`); null for src/modules/*.ts itself. */
function featureOf(path: string): string | null | undefined {
  const m = /^src\/modules\/(?:([^/]+)\/)?[^/]+/.exec(path);
  if (!m) return undefined;
  return path.split('/').length > 3 ? m[1]! : null;
}

/** Strongly connected components of the runtime graph (Tarjan), those that form a cycle. */
function cycles(runtime: Edge[]): string[][] {
  const next = new Map<string, string[]>();
  for (const e of runtime) next.set(e.from, [...(next.get(e.from) ?? []), e.to]);
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  let counter = 0;
  const connect = (v: string) => {
    index.set(v, counter);
    low.set(v, counter);
    counter += 1;
    stack.push(v);
    onStack.add(v);
    for (const w of next.get(v) ?? []) {
      if (!index.has(w)) {
        connect(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v)!, index.get(w)!));
      }
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      const selfLoop = (next.get(v) ?? []).includes(v);
      if (component.length > 1 || selfLoop) found.push(component.sort());
    }
  };
  for (const v of next.keys()) if (!index.has(v)) connect(v);
  return found;
}

describe('module boundaries', () => {
  it('finds the source files and their imports', () => {
    // Guards the checks below against passing on an empty graph (a moved folder, a parser change).
    expect(edges.length).toBeGreaterThan(100);
    expect(edges.some((e) => e.to === 'src/modules/rooms/rooms.repo.ts')).toBe(true);
    const edge = (from: string, to: string) => ({ from, to, typeOnly: false });
    expect(cycles([edge('a', 'b'), edge('b', 'c'), edge('c', 'a'), edge('c', 'd')])).toEqual([
      ['a', 'b', 'c'],
    ]);
  });

  it("no feature imports another feature's repository", () => {
    const offending = edges.filter((e) => {
      const from = featureOf(e.from);
      if (from === undefined || !/\.repo\.ts$/.test(e.to)) return false;
      return featureOf(e.to) !== from;
    });
    expect(offending.map(show), 'use the feature’s service or its <feature>.port.ts').toEqual([]);
  });

  it('src/realtime and src/http import nothing from src/modules', () => {
    const offending = edges.filter(
      (e) => /^src\/(realtime|http)\//.test(e.from) && e.to.startsWith('src/modules/'),
    );
    expect(offending.map(show), 'app.ts hands the layers what they need').toEqual([]);
  });

  it('src has no import cycle (type-only imports aside)', () => {
    const runtime = edges.filter((e) => !e.typeOnly);
    const report = cycles(runtime).map((component) => {
      const members = new Set(component);
      const inside = runtime.filter((e) => members.has(e.from) && members.has(e.to));
      return [...new Set(inside.map(show))].sort().join('\n');
    });
    expect(report, 'runtime imports that form a cycle').toEqual([]);
  });
});

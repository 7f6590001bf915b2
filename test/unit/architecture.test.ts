/**
 * The import rules of docs/architecture.md, checked over the TypeScript import graph of src/ (type-only
 * imports included: a type import ties two files as much as a value import does).
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const src = join(root, 'src');

type Graph = ReadonlyMap<string, readonly string[]>;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(path);
    return e.name.endsWith('.ts') ? [path] : [];
  });
}

/** File (relative to the repository, `src/...`) → every import specifier it names, relative ones resolved. */
function importGraph(): { files: Graph; external: Graph } {
  const files = new Map<string, string[]>();
  const external = new Map<string, string[]>();
  for (const path of sourceFiles(src)) {
    const info = ts.preProcessFile(readFileSync(path, 'utf8'), true, true);
    const from = relative(root, path);
    const local: string[] = [];
    const outside: string[] = [];
    for (const { fileName } of info.importedFiles) {
      if (fileName.startsWith('.'))
        local.push(relative(root, resolve(dirname(path), fileName)).replace(/\.js$/, '.ts'));
      else outside.push(fileName);
    }
    files.set(from, local);
    external.set(from, outside);
  }
  return { files, external };
}

/** The folder a file belongs to, one level under src/ (`src/dhcp/steps/pxe.ts` → `dhcp`; `src/main.ts` → `main.ts`). */
function area(file: string): string {
  return file.split('/')[1] ?? file;
}

/** Strongly connected components of more than one node (Tarjan), each sorted. */
function circles(graph: Graph): string[][] {
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, next);
    low.set(v, next);
    next += 1;
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!graph.has(w)) continue;
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v) ?? 0, low.get(w) ?? 0));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v) ?? 0, index.get(w) ?? 0));
    }
    if (low.get(v) !== index.get(v)) return;
    const component: string[] = [];
    for (;;) {
      const w = stack.pop();
      if (w === undefined) break;
      onStack.delete(w);
      component.push(w);
      if (w === v) break;
    }
    if (component.length > 1) found.push(component.sort());
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return found;
}

const { files, external } = importGraph();

function violations(rule: (from: string, to: string) => boolean): string[] {
  return [...files].flatMap(([from, tos]) => tos.filter((to) => rule(from, to)).map((to) => `${from} -> ${to}`));
}

test('the import graph of src/ is read (a rule over no files proves nothing)', () => {
  assert.ok(files.size > 50, `only ${files.size} files found under src/`);
  assert.ok(
    [...files.values()].some((tos) => tos.length > 0),
    'no relative import found',
  );
});

test('domain/ imports only domain/: no node:* modules, no packages', () => {
  assert.deepEqual(
    violations((from, to) => area(from) === 'domain' && area(to) !== 'domain'),
    [],
  );
  const outside = [...external].filter(([from, names]) => area(from) === 'domain' && names.length > 0);
  assert.deepEqual(outside, []);
});

test('switch/ imports only switch/, domain/ and logging', () => {
  assert.deepEqual(
    violations((from, to) => area(from) === 'switch' && !['switch', 'domain', 'logging.ts'].includes(area(to))),
    [],
  );
});

test('nodes/ imports only nodes/, domain/, store/store.ts, config/, the clock and logging (its ports are given)', () => {
  const allowed = ['nodes', 'domain', 'config', 'clock.ts', 'logging.ts'];
  assert.deepEqual(
    violations((from, to) => area(from) === 'nodes' && !allowed.includes(area(to)) && to !== 'src/store/store.ts'),
    [],
  );
});

test('no import circles between files', () => {
  assert.deepEqual(circles(files), []);
});

test('no import circles between the folders of src/', () => {
  const folders = new Map<string, string[]>();
  for (const [from, tos] of files) {
    const list = folders.get(area(from)) ?? [];
    for (const to of tos) if (area(to) !== area(from) && !list.includes(area(to))) list.push(area(to));
    folders.set(area(from), list);
  }
  assert.deepEqual(circles(folders), []);
});

test('other folders reach store/ only through its interface file store/store.ts', () => {
  assert.deepEqual(
    violations(
      (from, to) =>
        area(to) === 'store' && area(from) !== 'store' && area(from) !== 'main.ts' && to !== 'src/store/store.ts',
    ),
    [],
  );
});

test('concrete adapters are named only in the composition root (main.ts) and beside themselves', () => {
  const adapters = ['src/store/sqlite.ts', 'src/switch/ovsdb/driver.ts', 'src/switch/ssh/driver.ts'];
  assert.deepEqual(
    violations((from, to) => adapters.includes(to) && from !== 'src/main.ts' && dirname(from) !== dirname(to)),
    [],
  );
});

test('no file in src/ is over 500 lines (one concept per file)', () => {
  const long = [...files.keys()]
    .map((file) => ({ file, lines: readFileSync(join(root, file), 'utf8').split('\n').length - 1 }))
    .filter(({ lines }) => lines > 500);
  assert.deepEqual(long, []);
});

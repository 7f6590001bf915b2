#!/usr/bin/env node
// Rewrites relative module specifiers that name a TypeScript file by its `.js` output name into the
// `.ts` name, which Node's type stripping loads as is (tsconfig allowImportingTsExtensions; docs/runtime.md):
//   import { a } from './a.js'        -> './a.ts'      (also `import type`, side-effect imports)
//   export { a } from '../a.js'       -> '../a.ts'     (also `export *`, `export type`)
//   await import('./a.js')            -> './a.ts'      (string literal argument only)
//   type T = import('./a.js').T       -> './a.ts'
// Only when `<specifier without .js>.ts` exists next to the importing file and `<specifier>` itself does
// not; anything else (packages, real .js files, `.d.ts`-only modules) is left as it is.
//
// Usage: node scripts/codemod/ts-imports.mjs FILE...   (idempotent: a second run changes nothing)
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import ts from 'typescript';

const say = (line) => process.stdout.write(`${line}\n`);
const isFile = (p) => existsSync(p) && statSync(p).isFile();

/**
 * @param {string} file
 * @param {string} text
 * @returns {{ text: string, count: number, kept: string[] }}
 */
export function rewrite(file, text) {
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const dir = dirname(resolve(file));
  /** @type {ts.StringLiteralLike[]} */
  const specifiers = [];
  const visit = (node) => {
    if ((ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) && node.moduleSpecifier) {
      if (ts.isStringLiteralLike(node.moduleSpecifier)) specifiers.push(node.moduleSpecifier);
    } else if (
      ts.isCallExpression(node) &&
      node.expression.kind === ts.SyntaxKind.ImportKeyword &&
      node.arguments[0] &&
      ts.isStringLiteralLike(node.arguments[0])
    ) {
      specifiers.push(node.arguments[0]);
    } else if (
      ts.isImportTypeNode(node) &&
      ts.isLiteralTypeNode(node.argument) &&
      ts.isStringLiteral(node.argument.literal)
    ) {
      specifiers.push(node.argument.literal);
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);

  const edits = [];
  const kept = [];
  for (const lit of specifiers) {
    const spec = lit.text;
    if (!(spec.startsWith('./') || spec.startsWith('../')) || !spec.endsWith('.js')) continue;
    const asTs = `${spec.slice(0, -'.js'.length)}.ts`;
    if (isFile(resolve(dir, spec)) || !isFile(resolve(dir, asTs))) {
      kept.push(spec);
      continue;
    }
    // Replace the text inside the quotes only, so the quote style stays.
    const start = lit.getStart(sf) + 1;
    edits.push({ start, end: lit.end - 1, text: asTs });
  }
  edits.sort((a, b) => b.start - a.start);
  let out = text;
  for (const e of edits) out = out.slice(0, e.start) + e.text + out.slice(e.end);
  return { text: out, count: edits.length, kept };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const files = process.argv.slice(2);
  let changedFiles = 0;
  let total = 0;
  let kept = 0;
  for (const file of files) {
    const before = readFileSync(file, 'utf8');
    const r = rewrite(file, before);
    for (const spec of r.kept) say(`ts-imports: ${file}: kept ${spec} (no .ts file, or a real .js file)`);
    kept += r.kept.length;
    if (r.text !== before) {
      writeFileSync(file, r.text);
      changedFiles++;
      total += r.count;
    }
  }
  say(
    `ts-imports: ${total} specifiers rewritten to .ts in ${changedFiles} of ${files.length} files; ${kept} relative .js specifiers kept`,
  );
}

#!/usr/bin/env node
// Rewrites TypeScript parameter properties, the one non-erasable syntax in this tree (docs/runtime.md),
// into a field declaration plus an assignment, so Node's type stripping can run the file:
//
//   /** Doc. */                                   /** Doc. */
//   constructor(private readonly x: T) {}    ->    private readonly x: T;
//                                                  constructor(x: T) {
//                                                    this.x = x;
//                                                  }
//
// The fields go right before the constructor (and its own comments), in parameter order, with the
// parameter's modifiers, type and `?`; comments written before the parameter move with it onto the field.
// A parameter without a type annotation gets the type of its literal default (`= 100` -> number); any
// other unannotated one is refused, as is a field initializer that reads a parameter property (as a plain
// field it would run before the constructor body assigns it).
// The assignments open the constructor body, after a top-level `super(...)` statement when there is one.
// A default value stays on the parameter. Formatting is left to `biome check --write`.
//
// Usage: node scripts/codemod/erasable.mjs FILE...   (idempotent: a second run changes nothing)
// Exits 1 when a file has a case it cannot rewrite safely (listed on stderr), changing nothing in that file.
import { readFileSync, writeFileSync } from 'node:fs';
import ts from 'typescript';

const say = (line) => process.stdout.write(`${line}\n`);

const PARAM_MODIFIERS = new Set([
  ts.SyntaxKind.PublicKeyword,
  ts.SyntaxKind.PrivateKeyword,
  ts.SyntaxKind.ProtectedKeyword,
  ts.SyntaxKind.ReadonlyKeyword,
  ts.SyntaxKind.OverrideKeyword,
]);

/** @param {ts.ParameterDeclaration} p */
function isParameterProperty(p) {
  return (p.modifiers ?? []).some((m) => PARAM_MODIFIERS.has(m.kind));
}

/** @param {string} text @param {number} pos the indentation of the line holding pos */
function indentAt(text, pos) {
  const lineStart = text.lastIndexOf('\n', pos - 1) + 1;
  return /^[ \t]*/.exec(text.slice(lineStart))[0];
}

/** The type of a parameter without an annotation whose default is a plain literal (`= 100`), else null. */
function literalType(init) {
  if (!init) return null;
  if (ts.isPrefixUnaryExpression(init) && init.operator === ts.SyntaxKind.MinusToken) return literalType(init.operand);
  if (ts.isNumericLiteral(init)) return 'number';
  if (ts.isStringLiteralLike(init)) return 'string';
  if (init.kind === ts.SyntaxKind.TrueKeyword || init.kind === ts.SyntaxKind.FalseKeyword) return 'boolean';
  return null;
}

/** True when `node` (a field initializer) reads `this.<name>` for one of `names`, outside nested functions. */
function readsThis(node, names) {
  let found = false;
  const visit = (n) => {
    if (found) return;
    if (ts.isFunctionDeclaration(n) || ts.isFunctionExpression(n) || ts.isClassLike(n)) return;
    if (ts.isPropertyAccessExpression(n) && n.expression.kind === ts.SyntaxKind.ThisKeyword && names.has(n.name.text)) {
      found = true;
      return;
    }
    ts.forEachChild(n, visit);
  };
  visit(node);
  return found;
}

/**
 * @param {string} file
 * @param {string} text
 * @returns {{ text: string, count: number, problems: string[] }}
 */
export function rewrite(file, text) {
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  /** @type {{ start: number, end: number, text: string }[]} */
  const edits = [];
  const problems = [];
  let count = 0;
  const where = (pos) => {
    const { line, character } = sf.getLineAndCharacterOfPosition(pos);
    return `${file}:${line + 1}:${character + 1}`;
  };

  /** @param {ts.ConstructorDeclaration} ctor */
  const onConstructor = (ctor) => {
    const props = ctor.parameters.filter(isParameterProperty);
    if (props.length === 0) return;
    if (!ctor.body) return; // an overload signature: modifiers there are an error tsc reports
    const names = new Set();
    for (const p of props) {
      if (!ts.isIdentifier(p.name)) {
        problems.push(`${where(p.getStart())}: a parameter property with a binding pattern`);
        return;
      }
      if (!p.type && !literalType(p.initializer)) {
        problems.push(`${where(p.getStart())}: parameter property ${p.name.text} has no type annotation`);
        return;
      }
      names.add(p.name.text);
    }
    // With parameter properties, a field initializer that reads one of them runs after the assignment; as
    // plain fields, initializers run before the constructor body. Refuse rather than change behaviour.
    for (const m of ctor.parent.members) {
      if (ts.isPropertyDeclaration(m) && m.initializer && !(ts.getCombinedModifierFlags(m) & ts.ModifierFlags.Static)) {
        if (readsThis(m.initializer, names)) {
          problems.push(
            `${where(m.getStart())}: field initializer reads a parameter property (${[...names].join(', ')})`,
          );
          return;
        }
      }
    }

    const indent = indentAt(text, ctor.getStart());
    const fields = [];
    for (const p of props) {
      // Comments before the parameter (JSDoc or not) describe the property: they move onto the field.
      const comments = (ts.getLeadingCommentRanges(text, p.pos) ?? []).map((r) => text.slice(r.pos, r.end));
      const mods = p.modifiers.filter((m) => PARAM_MODIFIERS.has(m.kind)).map((m) => m.getText(sf));
      const others = p.modifiers.filter((m) => !PARAM_MODIFIERS.has(m.kind));
      if (others.length > 0) {
        problems.push(`${where(p.getStart())}: parameter ${p.name.text} has decorators or other modifiers`);
        return;
      }
      const optional = p.questionToken ? '?' : '';
      for (const c of comments) fields.push(`${indent}${c}\n`);
      const type = p.type ? p.type.getText(sf) : literalType(p.initializer);
      fields.push(`${indent}${mods.join(' ')} ${p.name.text}${optional}: ${type};\n`);
      // The parameter keeps everything from its name on (`x?: T = d`); its modifiers and comments go.
      const firstComment = ts.getLeadingCommentRanges(text, p.pos)?.[0];
      const start = firstComment ? firstComment.pos : p.modifiers[0].getStart(sf);
      edits.push({ start, end: p.name.getStart(sf), text: '' });
      count++;
    }
    // Fields before the constructor's own leading comments, at the constructor's indentation.
    const ctorFirst = ts.getLeadingCommentRanges(text, ctor.getFullStart())?.[0]?.pos ?? ctor.getStart(sf);
    const lineStart = text.lastIndexOf('\n', ctorFirst - 1) + 1;
    if (text.slice(lineStart, ctorFirst).trim() === '') {
      edits.push({ start: lineStart, end: lineStart, text: `${fields.join('')}\n` });
    } else {
      edits.push({ start: ctorFirst, end: ctorFirst, text: `\n${fields.join('')}${indent}` });
    }

    const body = ctor.body;
    const inner = `${indent}  `;
    const assigns = props.map((p) => `\n${inner}this.${p.name.text} = ${p.name.text};`).join('');
    const superStmt = body.statements.find(
      (s) =>
        ts.isExpressionStatement(s) &&
        ts.isCallExpression(s.expression) &&
        s.expression.expression.kind === ts.SyntaxKind.SuperKeyword,
    );
    if (superStmt) {
      edits.push({ start: superStmt.end, end: superStmt.end, text: assigns });
    } else {
      const open = body.getStart(sf) + 1;
      const empty = body.statements.length === 0 && text.slice(open, body.end - 1).trim() === '';
      edits.push({ start: open, end: empty ? body.end - 1 : open, text: empty ? `${assigns}\n${indent}` : assigns });
    }
  };

  const visit = (node) => {
    if (ts.isConstructorDeclaration(node)) onConstructor(node);
    ts.forEachChild(node, visit);
  };
  visit(sf);
  if (problems.length > 0) return { text, count: 0, problems };
  edits.sort((a, b) => b.start - a.start || b.end - a.end);
  let out = text;
  for (const e of edits) out = out.slice(0, e.start) + e.text + out.slice(e.end);
  return { text: out, count, problems };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const files = process.argv.slice(2);
  let changedFiles = 0;
  let total = 0;
  let failed = false;
  for (const file of files) {
    const before = readFileSync(file, 'utf8');
    const { text, count, problems } = rewrite(file, before);
    for (const p of problems) process.stderr.write(`erasable: cannot rewrite ${p}\n`);
    if (problems.length > 0) failed = true;
    if (text !== before) {
      writeFileSync(file, text);
      changedFiles++;
      total += count;
      say(`erasable: ${file}: ${count}`);
    }
  }
  say(
    `erasable: ${total} parameter properties rewritten in ${changedFiles} of ${files.length} files${failed ? ' (some refused, see above)' : ''}`,
  );
  process.exitCode = failed ? 1 : 0;
}

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { type CliEvent, type CliPatterns, CliReader, stripEscapes } from '../../../../src/switch/ssh/cli.ts';

const bash: CliPatterns = { prompt: /[#$] ?$/, errors: [/^ovs-vsctl: /, /command not found/], pager: null };
const ios: CliPatterns = {
  prompt: /^[\w.-]+(\([\w./-]+\))?[>#] ?$/,
  errors: [/^% /],
  pager: { prompt: /--More--/, answer: ' ' },
};

function replies(events: readonly CliEvent[]) {
  return events.filter((e) => e.kind === 'reply');
}

/** Feeds chunks, sending `commands` one at a time after each prompt; returns the replies. */
function converse(patterns: CliPatterns, chunks: readonly string[], commands: readonly string[]) {
  const reader = new CliReader(patterns);
  const out: CliEvent[] = [];
  const queue = [...commands];
  for (const chunk of chunks) {
    for (const e of reader.push(chunk)) {
      out.push(e);
      const next = e.kind === 'reply' ? queue.shift() : undefined;
      if (next !== undefined) reader.sent(next);
    }
  }
  return out;
}

test('a captured bash session: banner, echo dropped, bracketed-paste escapes and CRs stripped, errors found', () => {
  const fixture = JSON.parse(readFileSync('test/fixtures/switch/ssh/bash-session.json', 'utf8')) as {
    chunks: string[];
  };
  const commands = [
    'echo hello',
    'ovs-vsctl --db=unix:/nonexistent/db.sock --timeout=1 -- set port eth9 tag=10',
    "printf 'line1\\r\\nline2\\n'",
  ];
  const got = replies(converse(bash, fixture.chunks, commands));
  assert.deepEqual(got, [
    {
      kind: 'reply',
      command: null,
      output: 'Last login: Thu Nov 26 01:09:06 2026 from 127.0.0.1',
      error: null,
    },
    { kind: 'reply', command: 'echo hello', output: 'hello', error: null },
    {
      kind: 'reply',
      command: commands[1],
      output: 'ovs-vsctl: unix:/nonexistent/db.sock: database connection failed (No such file or directory)',
      error: 'ovs-vsctl: unix:/nonexistent/db.sock: database connection failed (No such file or directory)',
    },
    { kind: 'reply', command: commands[2], output: 'line1\nline2', error: null },
  ]);
});

test('any re-chunking of the captured session gives the same replies (seeded random splits)', () => {
  const fixture = JSON.parse(readFileSync('test/fixtures/switch/ssh/bash-session.json', 'utf8')) as {
    chunks: string[];
  };
  const commands = [
    'echo hello',
    'ovs-vsctl --db=unix:/nonexistent/db.sock --timeout=1 -- set port eth9 tag=10',
    "printf 'line1\\r\\nline2\\n'",
  ];
  const want = replies(converse(bash, fixture.chunks, commands));
  let seed = 20261126;
  const next = () => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed;
  };
  for (let round = 0; round < 200; round += 1) {
    // Split inside the captured chunks only: the shell never sends the next echo before we sent the command.
    const chunks: string[] = [];
    for (const original of fixture.chunks) {
      for (let at = 0; at < original.length; ) {
        const size = 1 + (next() % 24);
        chunks.push(original.slice(at, at + size));
        at += size;
      }
    }
    assert.deepEqual(replies(converse(bash, chunks, commands)), want, `seed round ${round}`);
  }
});

test('output split at any byte, even inside an escape sequence, reads the same', () => {
  const text = 'show x\r\nEthernet1 \x1b[1mup\x1b[0m\r\n\x1b[?2004hsw1#';
  for (let cut = 1; cut < text.length; cut += 1) {
    const reader = new CliReader(ios);
    reader.sent('show x');
    const events = [...reader.push(text.slice(0, cut)), ...reader.push(text.slice(cut))];
    assert.deepEqual(
      replies(events),
      [{ kind: 'reply', command: 'show x', output: 'Ethernet1 up', error: null }],
      `cut at ${cut}`,
    );
  }
});

test('a window title (OSC) split at any byte is removed whole', () => {
  const text = '\x1b]0;root@sw: ~\x1b\\root@sw:~# ';
  for (let cut = 1; cut < text.length; cut += 1) {
    const reader = new CliReader(bash);
    const events = [...reader.push(text.slice(0, cut)), ...reader.push(text.slice(cut))];
    assert.deepEqual(replies(events), [{ kind: 'reply', command: null, output: '', error: null }], `cut at ${cut}`);
  }
});

test('without echo (pty ECHO off), the first line of output is kept', () => {
  const reader = new CliReader(bash);
  reader.sent('ovs-vsctl list Port');
  assert.deepEqual(replies(reader.push('{"data":[]}\r\nroot@sw:~# ')), [
    { kind: 'reply', command: 'ovs-vsctl list Port', output: '{"data":[]}', error: null },
  ]);
});

test('a pager prompt is answered and erased, and the output continues', () => {
  const reader = new CliReader(ios);
  reader.sent('show running-config');
  const first = reader.push('show running-config\r\ninterface Ethernet1\r\n   shutdown\r\n --More-- ');
  assert.deepEqual(first, [{ kind: 'pager', answer: ' ' }]);
  // EOS/IOS erase the pager prompt with backspaces or CR + spaces before the next line.
  const rest = reader.push('\b\b\b\b\b\b\b\b\b\b          \b\b\b\b\b\b\b\b\b\binterface Ethernet2\r\n!\r\nsw1#');
  assert.deepEqual(replies(rest), [
    {
      kind: 'reply',
      command: 'show running-config',
      output: 'interface Ethernet1\n   shutdown\ninterface Ethernet2\n!',
      error: null,
    },
  ]);
});

test('an error line is reported; the prompt carries the config mode', () => {
  const reader = new CliReader(ios);
  reader.sent('switchport access vlan 5000');
  const events = reader.push(
    "switchport access vlan 5000\r\n% Invalid input (at token 3: '5000')\r\nsw1(config-s-sess-if-Et1)#",
  );
  assert.deepEqual(replies(events), [
    {
      kind: 'reply',
      command: 'switchport access vlan 5000',
      output: "% Invalid input (at token 3: '5000')",
      error: "% Invalid input (at token 3: '5000')",
    },
  ]);
});

test('a password question is reported (enable, sudo)', () => {
  const reader = new CliReader(ios);
  reader.sent('enable');
  assert.deepEqual(reader.push('enable\r\nPassword: '), [{ kind: 'password' }]);
  assert.deepEqual(replies(reader.push('\r\nsw1#')), [{ kind: 'reply', command: 'enable', output: '', error: null }]);
});

test('stripEscapes removes CSI, OSC titles and charset selections', () => {
  assert.equal(stripEscapes('\x1b]0;root@sw: ~\x07\x1b[01;32mroot@sw\x1b[00m:\x1b(B~# '), 'root@sw:~# ');
});

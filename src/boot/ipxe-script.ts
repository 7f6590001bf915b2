/**
 * Per-node iPXE scripts, pure: a small template (a kernel with its initrds and arguments, or
 * a `chain` to another URL) and the node's facts in, the script text out.
 *
 * iPXE reads a script line by line, splits each line at whitespace, then expands `${…}` inside each word
 * (iPXE core/exec.c); `#` starts a comment, `||` / `&&` chain commands and `:` at a line start is a label.
 * It has no quoting, so a word holding anything else (a space, `$`, `{`, `#`, a quote, a control or
 * non-ASCII character) is written as the bytes of a hex-typed setting (`set bmnet_w1:hex 61:20:62`) and
 * used as `${bmnet_w1:string}`: expansion happens after the split, so the value stays one word, byte for
 * byte.
 */

/** What the script boots. URLs and arguments may hold `{node}`, `{mac}`, `{stage}` and `{http}`. */
export type IpxeScriptTemplate =
  | {
      readonly kind: 'kernel';
      readonly kernelUrl: string;
      readonly initrdUrls: readonly string[];
      readonly kernelArgs: readonly string[];
    }
  | { readonly kind: 'chain'; readonly url: string };

export interface IpxeScriptVars {
  readonly node: string;
  readonly mac: string;
  readonly stage: string;
  /** bmnet's HTTP boot server as this client reaches it, e.g. `http://10.66.100.2:8080` (no trailing `/`). */
  readonly http: string;
}

/** Words iPXE reads literally: no whitespace, `$`, braces, `#`, quotes, backslash or control characters. */
const LITERAL_WORD = /^[A-Za-z0-9._:/@%+=,~?&*!^[\]-]+$/;

function isLiteralWord(word: string): boolean {
  return LITERAL_WORD.test(word) && word !== '||' && word !== '&&' && !word.startsWith(':');
}

/** `{node}`, `{mac}`, `{stage}` and `{http}` replaced; in a URL the node name is percent-encoded. */
function fill(text: string, vars: IpxeScriptVars, isUrl: boolean): string {
  return text.replace(/\{(node|mac|stage|http)\}/g, (_, name: keyof IpxeScriptVars) =>
    isUrl && name === 'node' ? encodeURIComponent(vars.node) : vars[name],
  );
}

/** iPXE's reference to a setting: `${name}`. */
const expand = (name: string): string => `\${${name}}`;

/** Collects the `set …:hex` lines the words of a script need. */
class Words {
  readonly setLines: string[] = [];

  /** The word as iPXE must read it (empty: a setting that expands to nothing). */
  word(value: string): string {
    if (value !== '' && isLiteralWord(value)) return value;
    const name = `bmnet_w${this.setLines.length + 1}`;
    const bytes = [...Buffer.from(value, 'utf8')].map((b) => b.toString(16).padStart(2, '0'));
    this.setLines.push(bytes.length === 0 ? `clear ${name}` : `set ${name}:hex ${bytes.join(':')}`);
    return expand(`${name}:string`);
  }
}

/** The script for one node. Its first line is `#!ipxe`; it names the node on the console before booting. */
export function renderIpxeScript(template: IpxeScriptTemplate, vars: IpxeScriptVars): string {
  const words = new Words();
  const header = [
    `set bmnet_node ${words.word(vars.node)}`,
    `set bmnet_mac ${words.word(vars.mac)}`,
    `set bmnet_stage ${words.word(vars.stage)}`,
    `echo bmnet: node ${expand('bmnet_node')} mac ${expand('bmnet_mac')} stage ${expand('bmnet_stage')}`,
  ];
  let body: string[];
  switch (template.kind) {
    case 'kernel': {
      const args = template.kernelArgs.map((a) => fill(a, vars, false)).filter((a) => a !== '');
      body = [
        ['kernel', words.word(fill(template.kernelUrl, vars, true)), ...args.map((a) => words.word(a))].join(' '),
        ...template.initrdUrls.map((u) => `initrd ${words.word(fill(u, vars, true))}`),
        'boot',
      ];
      break;
    }
    case 'chain':
      body = [`chain ${words.word(fill(template.url, vars, true))}`];
      break;
  }
  return `${['#!ipxe', ...words.setLines, ...header, ...body].join('\n')}\n`;
}

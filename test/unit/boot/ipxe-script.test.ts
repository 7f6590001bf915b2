import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type IpxeScriptTemplate, type IpxeScriptVars, renderIpxeScript } from '../../../src/boot/ipxe-script.ts';

/** iPXE's `${name}`. */
const x = (name: string) => `\${${name}}`;
const vars: IpxeScriptVars = {
  node: 'n1',
  mac: '52:54:00:cf:6a:cd',
  stage: 'provisioning',
  http: 'http://10.0.0.2:8080',
};
const HEADER = [
  '#!ipxe',
  'set bmnet_node n1',
  'set bmnet_mac 52:54:00:cf:6a:cd',
  'set bmnet_stage provisioning',
  `echo bmnet: node ${x('bmnet_node')} mac ${x('bmnet_mac')} stage ${x('bmnet_stage')}`,
];

const cases: { name: string; template: IpxeScriptTemplate; vars?: IpxeScriptVars; want: string[] }[] = [
  {
    name: 'kernel, initrds and arguments with the node facts filled in',
    template: {
      kind: 'kernel',
      kernelUrl: '{http}/deploy/vmlinuz',
      initrdUrls: ['{http}/deploy/initrd.gz', '{http}/nodes/{node}.cpio'],
      kernelArgs: ['initrd=initrd.gz', 'console=ttyS0,115200n8', 'bmnet.node={node}', 'BOOTIF=01-{mac}'],
    },
    want: [
      ...HEADER,
      'kernel http://10.0.0.2:8080/deploy/vmlinuz initrd=initrd.gz console=ttyS0,115200n8 bmnet.node=n1 BOOTIF=01-52:54:00:cf:6a:cd',
      'initrd http://10.0.0.2:8080/deploy/initrd.gz',
      'initrd http://10.0.0.2:8080/nodes/n1.cpio',
      'boot',
    ],
  },
  {
    name: 'chain to another URL',
    template: { kind: 'chain', url: '{http}/stages/{stage}.ipxe' },
    want: [...HEADER, 'chain http://10.0.0.2:8080/stages/provisioning.ipxe'],
  },
  {
    name: 'a value iPXE would split or expand is written as hex bytes and used as one word',
    template: { kind: 'kernel', kernelUrl: '{http}/k', initrdUrls: [], kernelArgs: ['msg=a b', `x=${x('y')}`, '#c'] },
    want: [
      '#!ipxe',
      'set bmnet_w1:hex 6d:73:67:3d:61:20:62',
      'set bmnet_w2:hex 78:3d:24:7b:79:7d',
      'set bmnet_w3:hex 23:63',
      ...HEADER.slice(1),
      `kernel http://10.0.0.2:8080/k ${x('bmnet_w1:string')} ${x('bmnet_w2:string')} ${x('bmnet_w3:string')}`,
      'boot',
    ],
  },
  {
    name: 'command separators and labels are never literal words',
    template: { kind: 'kernel', kernelUrl: '{http}/k', initrdUrls: [], kernelArgs: ['||', '&&', ':retry'] },
    want: [
      '#!ipxe',
      'set bmnet_w1:hex 7c:7c',
      'set bmnet_w2:hex 26:26',
      'set bmnet_w3:hex 3a:72:65:74:72:79',
      ...HEADER.slice(1),
      `kernel http://10.0.0.2:8080/k ${x('bmnet_w1:string')} ${x('bmnet_w2:string')} ${x('bmnet_w3:string')}`,
      'boot',
    ],
  },
  {
    name: 'non-ASCII is written as its UTF-8 bytes; a node name in a URL is percent-encoded',
    template: { kind: 'chain', url: '{http}/n/{node}.ipxe' },
    vars: { ...vars, node: 'nœud' },
    want: [
      '#!ipxe',
      'set bmnet_w1:hex 6e:c5:93:75:64',
      `set bmnet_node ${x('bmnet_w1:string')}`,
      ...HEADER.slice(2),
      'chain http://10.0.0.2:8080/n/n%C5%93ud.ipxe',
    ],
  },
  {
    name: 'an empty argument is left out',
    template: { kind: 'kernel', kernelUrl: '{http}/k', initrdUrls: [], kernelArgs: ['', 'quiet'] },
    want: [...HEADER, 'kernel http://10.0.0.2:8080/k quiet', 'boot'],
  },
];

for (const c of cases) {
  test(c.name, () => assert.deepStrictEqual(renderIpxeScript(c.template, c.vars ?? vars).split('\n'), [...c.want, '']));
}

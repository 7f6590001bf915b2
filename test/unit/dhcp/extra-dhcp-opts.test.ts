import assert from 'node:assert/strict';
import { test } from 'node:test';
import { translateExtraDhcpOpt, validateExtraDhcpOpt } from '../../../src/dhcp/extra-dhcp-opts.ts';
import { InvalidInput } from '../../../src/domain/errors.ts';

const accepted: { name: string; value: string; v?: 4 | 6; want: unknown }[] = [
  {
    name: 'bootfile-name',
    value: 'pxelinux.0',
    want: { condition: 'always', effect: { kind: 'option', code: 67, value: Buffer.from('pxelinux.0') } },
  },
  {
    name: 'tag:ipxe,67',
    value: 'http://10.0.0.1:8080/boot.ipxe',
    want: {
      condition: 'ipxe',
      effect: { kind: 'option', code: 67, value: Buffer.from('http://10.0.0.1:8080/boot.ipxe') },
    },
  },
  {
    name: 'tag:!ipxe,67',
    value: 'snponly.efi',
    want: { condition: 'not-ipxe', effect: { kind: 'option', code: 67, value: Buffer.from('snponly.efi') } },
  },
  {
    name: '!175,67',
    value: 'undionly.kpxe',
    want: { condition: 'not-ipxe', effect: { kind: 'option', code: 67, value: Buffer.from('undionly.kpxe') } },
  },
  {
    name: '66',
    value: '10.0.0.1',
    want: { condition: 'always', effect: { kind: 'option', code: 66, value: Buffer.from('10.0.0.1') } },
  },
  {
    name: 'tftp-server',
    value: 'tftp.example',
    want: { condition: 'always', effect: { kind: 'option', code: 66, value: Buffer.from('tftp.example') } },
  },
  {
    name: '150',
    value: '10.0.0.1',
    want: { condition: 'always', effect: { kind: 'option', code: 150, value: Buffer.from([10, 0, 0, 1]) } },
  },
  { name: '255', value: '10.0.0.1', want: { condition: 'always', effect: { kind: 'siaddr', address: '10.0.0.1' } } },
  {
    name: 'server-ip-address',
    value: '10.0.0.1',
    want: { condition: 'always', effect: { kind: 'siaddr', address: '10.0.0.1' } },
  },
  {
    name: '60',
    value: 'HTTPClient',
    want: { condition: 'always', effect: { kind: 'option', code: 60, value: Buffer.from('HTTPClient') } },
  },
  {
    name: '210',
    value: '/tftpboot/',
    want: { condition: 'always', effect: { kind: 'option', code: 210, value: Buffer.from('/tftpboot/') } },
  },
  {
    name: '26',
    value: '9000',
    want: { condition: 'always', effect: { kind: 'option', code: 26, value: Buffer.from([0x23, 0x28]) } },
  },
  {
    name: 'dns-server',
    value: '10.0.0.2, 10.0.0.3',
    want: { condition: 'always', effect: { kind: 'option', code: 6, value: Buffer.from([10, 0, 0, 2, 10, 0, 0, 3]) } },
  },
  {
    name: 'classless-static-route',
    value: '10.17.0.0/16,10.0.0.1',
    want: { condition: 'always', effect: { kind: 'option', code: 121, value: Buffer.from([16, 10, 17, 10, 0, 0, 1]) } },
  },
  { name: 'router', value: '', want: { condition: 'always', effect: { kind: 'suppress', code: 3 } } },
  {
    name: 'domain-search',
    value: 'a.example',
    want: {
      condition: 'always',
      effect: { kind: 'option', code: 119, value: Buffer.from([1, 97, 7, ...Buffer.from('example'), 0]) },
    },
  },
  {
    name: '224',
    value: '01:02:ff',
    want: { condition: 'always', effect: { kind: 'option', code: 224, value: Buffer.from([1, 2, 255]) } },
  },
  {
    name: '225',
    value: '300',
    want: { condition: 'always', effect: { kind: 'option', code: 225, value: Buffer.from([1, 44]) } },
  },
  {
    name: '226',
    value: 'text',
    want: { condition: 'always', effect: { kind: 'option', code: 226, value: Buffer.from('text') } },
  },
  {
    name: '61',
    value: 'ff:00:00:00:00:00:02:00:00:02:c9:00:00:02:c9:03:00:3b:a1:7b',
    want: { condition: 'always', effect: { kind: 'not-sent', why: 'the client identifier matches the host' } },
  },
  {
    name: 'tag:!ipxe6,59',
    value: 'tftp://[fd00::1]/snponly.efi',
    v: 6,
    want: { condition: 'not-ipxe', effect: { kind: 'not-sent', why: 'a DHCPv6 option' } },
  },
  {
    name: '59',
    value: 'http://[fd00::1]/boot.ipxe',
    v: 6,
    want: { condition: 'always', effect: { kind: 'not-sent', why: 'a DHCPv6 option' } },
  },
];
for (const c of accepted) {
  test(`accepted: ${c.name}=${c.value} (v${c.v ?? 4})`, () => {
    assert.deepEqual(validateExtraDhcpOpt(c.name, c.value, c.v ?? 4), c.want);
  });
}

const refused: { name: string; value: string; v?: number; says: RegExp }[] = [
  { name: 'no-such-option', value: 'x', says: /not a DHCPv4 option name/ },
  { name: 'tag:efi,67', value: 'x', says: /tag 'efi' is not known/ },
  { name: '0', value: 'x', says: /1-254/ },
  { name: '300', value: 'x', says: /not a DHCPv4 option name|1-254/ },
  { name: '53', value: '1', says: /message type/ },
  { name: '54', value: '10.0.0.1', says: /server identifier/ },
  { name: '59', value: '100', says: /ip_version 6/ },
  { name: '255', value: 'tftp.example', says: /IPv4 address/ },
  { name: '150', value: 'not-an-ip', says: /IPv4 addresses/ },
  { name: 'mtu', value: '70000', says: /0 to 65535/ },
  { name: 'bootfile-name', value: '', says: /only router/ },
  { name: 'tag:ipxe6,59', value: 'x', v: 4, says: /ip_version 6/ },
  { name: '67', value: 'a\nb', says: /one line/ },
  { name: '67', value: 'x'.repeat(256), says: /255/ },
  { name: 'x'.repeat(65), value: 'x', says: /64/ },
  { name: '67', value: 'x', v: 5, says: /ip_version must be 4 or 6/ },
];
for (const c of refused) {
  test(`refused with a clear message: ${c.name.slice(0, 20)}=${c.value.slice(0, 20)}`, () => {
    assert.throws(
      () => validateExtraDhcpOpt(c.name, c.value, c.v ?? 4),
      (err: unknown) => err instanceof InvalidInput && c.says.test(err.message) && err.message.includes(c.name),
    );
    assert.equal(translateExtraDhcpOpt(c.name, c.value, c.v ?? 4).ok, false);
  });
}

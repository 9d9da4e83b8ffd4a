import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { parseRemote } from '../../../collectors/bpf/tcpconn.js';

describe('tcpconn --remote ADDR[:PORT]', () => {
  it('IPv4 and IPv6, with and without a port, as the kernel holds them (network order)', () => {
    expect(parseRemote('10.0.0.5')).toEqual({ ok: true, value: { family: 'ipv4', addr: Buffer.from([10, 0, 0, 5]), port: 0 } });
    expect(parseRemote('127.0.0.1:5432')).toEqual({ ok: true, value: { family: 'ipv4', addr: Buffer.from([127, 0, 0, 1]), port: 5432 } });
    const v6 = parseRemote('[2001:db8::1]:443');
    expect(v6.ok && v6.value.family === 'ipv6' && v6.value.port === 443 && v6.value.addr.toString('hex')).toBe('20010db8000000000000000000000001');
    const lo = parseRemote('::1');
    expect(lo.ok && lo.value.addr.toString('hex')).toBe('00000000000000000000000000000001');
    const mapped = parseRemote('::ffff:10.1.2.3');
    expect(mapped.ok && mapped.value.addr.toString('hex')).toBe('00000000000000000000ffff0a010203');
  });

  it('refuses names, bad ports, IPv4 in brackets and garbage', () => {
    for (const bad of ['example.com:80', '10.0.0.5:0', '10.0.0.5:65536', '10.0.0.5:', '[10.0.0.5]:80', '::1:80:x', '', '1.2.3', '[::1]:99999']) expect(parseRemote(bad).ok, bad).toBe(false);
    fc.assert(
      fc.property(fc.string({ maxLength: 60 }), (s) => {
        const r = parseRemote(s);
        if (r.ok) expect([4, 16]).toContain(r.value.addr.length);
        else expect(r.error).toMatch(/ADDR\[:PORT\]|brackets|port must be/);
      }),
    );
  });
});

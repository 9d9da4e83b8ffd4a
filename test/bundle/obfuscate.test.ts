import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ipv4Class, isIpv6, Obfuscator } from '../../src/bundle/obfuscate.js';

describe('Obfuscator', () => {
  it('keeps the class and the length of IPv4 addresses, consistently', () => {
    const o = new Obfuscator('k');
    for (const a of ['10.1.2.3', '172.20.100.7', '192.168.1.254', '169.254.10.20', '8.8.8.8', '203.0.113.77', '127.0.1.1', '224.0.0.251', '100.64.3.4']) {
      const b = o.ipv4(a);
      expect(b).not.toBe(a);
      expect(b.length).toBe(a.length);
      expect(ipv4Class(b.split('.').map(Number))).toBe(ipv4Class(a.split('.').map(Number)));
      expect(o.ipv4(a)).toBe(b);
    }
    expect(o.ipv4('127.0.0.1')).toBe('127.0.0.1');
    expect(o.ipv4('0.0.0.0')).toBe('0.0.0.0');
  });
  it('never maps two addresses to one', () => {
    const o = new Obfuscator('k');
    const seen = new Map<string, string>();
    fc.assert(
      fc.property(fc.ipV4(), (a) => {
        const b = o.ipv4(a);
        const prev = seen.get(b);
        if (prev !== undefined && b !== a) expect(prev).toBe(a);
        seen.set(b, a);
      }),
      { numRuns: 500 },
    );
  });
  it('replaces addresses, MACs and host names in text keeping columns aligned', () => {
    const o = new Obfuscator('k', ['web-prod-01.example.com', 'web-prod-01']);
    const line = 'ESTAB 0 0 10.0.0.5:443 192.168.7.20:51234 users:(("nginx",pid=1,fd=3)) host web-prod-01 ether 52:54:00:12:34:56 fe80::5054:ff:fe12:3456';
    const out = o.text(line);
    expect(out.length).toBe(line.length);
    expect(out).not.toContain('10.0.0.5');
    expect(out).not.toContain('192.168.7.20');
    expect(out).not.toContain('web-prod-01');
    expect(out).not.toContain('52:54:00:12:34:56');
    expect(out).not.toContain('5054:ff:fe12:3456');
    expect(out).toMatch(/ 10\.\d+\.\d+\.\d+:443 192\.168\.\d+\.\d+:51234 /);
    expect(out).toContain('fe80::');
    expect(o.text(line)).toBe(out);
  });
  it('replaces whole host names only', () => {
    const o = new Obfuscator('k', ['vm.example.com', 'vm']);
    const out = o.text('host vm\n/proc/vmstat vmalloc kvm vm.example.com vm.overcommit_memory=0 is vm.');
    expect(out).toMatch(/^host h\w\n\/proc\/vmstat vmalloc kvm h\w\.\w{7}\.\w{3} vm\.overcommit_memory=0 is h\w\.$/);
  });
  it('does not take times or versions for IPv6', () => {
    expect(isIpv6('12:30:45')).toBe(false);
    expect(isIpv6('::1')).toBe(true);
    expect(isIpv6('2001:db8::1')).toBe(true);
  });
});

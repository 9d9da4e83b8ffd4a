import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { classifyRoot, hostViewPath } from '../../src/core/host-root.js';
import { LiveSource } from '../../src/core/live-source.js';

/** Copy a /proc file as `cp` would (procfs reports size 0: copyFileSync would copy nothing). */
function copyProcFile(from: string, to: string): void {
  writeFileSync(to, readFileSync(from));
}

const cleanups: Array<() => void> = [];
afterEach(() => {
  while (cleanups.length) cleanups.pop()!();
});

/** A tree of /proc files copied into a plain directory, as from an archive. */
function copiedTree(): string {
  const dir = mkdtempSync(join(tmpdir(), 'dhon-tree-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  mkdirSync(join(dir, 'proc/net'), { recursive: true });
  for (const f of ['stat', 'meminfo', 'loadavg']) copyProcFile(`/proc/${f}`, join(dir, 'proc', f));
  copyProcFile('/proc/net/dev', join(dir, 'proc/net/dev'));
  return dir;
}

describe('classifyRoot', () => {
  it('"/" is this machine; a directory of copied /proc files is a tree, and says why', () => {
    expect(classifyRoot('/')).toEqual({ kind: 'self' });
    const dir = copiedTree();
    const c = classifyRoot(dir);
    expect(c.kind).toBe('tree');
    expect(c.kind === 'tree' && c.why).toMatch(new RegExp(`^${join(dir, 'proc')} is not a mounted procfs \\(filesystem type 0x[0-9a-f]+, procfs is 0x9fa0\\)$`));
    const missing = classifyRoot(join(dir, 'nothing-here'));
    expect(missing.kind === 'tree' && missing.why).toMatch(/cannot be examined \(ENOENT\)$/);
  });
});

describe('hostViewPath: the observed host\'s own view is its PID 1\'s', () => {
  it('maps /proc/net and /proc/self/{ns,net,mountinfo,mounts}; leaves everything else', () => {
    expect(hostViewPath('/proc/net')).toBe('/proc/1/net');
    expect(hostViewPath('/proc/net/dev')).toBe('/proc/1/net/dev');
    expect(hostViewPath('/proc/self/ns/net')).toBe('/proc/1/ns/net');
    expect(hostViewPath('/proc/self/ns')).toBe('/proc/1/ns');
    expect(hostViewPath('/proc/self/net/snmp')).toBe('/proc/1/net/snmp');
    expect(hostViewPath('/proc/self/mountinfo')).toBe('/proc/1/mountinfo');
    expect(hostViewPath('/proc/self/mounts')).toBe('/proc/1/mounts');
    // diag's own: its capabilities and limits
    expect(hostViewPath('/proc/self/status')).toBe('/proc/self/status');
    expect(hostViewPath('/proc/self/limits')).toBe('/proc/self/limits');
    expect(hostViewPath('/proc/self/mountinfo2')).toBe('/proc/self/mountinfo2');
    expect(hostViewPath('/proc/netstat')).toBe('/proc/netstat');
    expect(hostViewPath('/proc/1234/net/dev')).toBe('/proc/1234/net/dev');
    expect(hostViewPath('/sys/class/net')).toBe('/sys/class/net');
  });
});

describe('LiveSource on a copied tree', () => {
  it('reads the tree\'s files as they are, but runs no command and asks no statfs', async () => {
    const dir = copiedTree();
    const src = new LiveSource({ root: dir });
    expect(src.host.kind).toBe('tree');
    expect(src.description).toBe(`files under ${dir} (not a running host: no commands, no statfs)`);
    // the copy's own text, not this machine's /proc/net/dev now
    writeFileSync(join(dir, 'proc/net/dev'), `${readFileSync(join(dir, 'proc/net/dev'), 'utf8')}dhon-copied0: 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16\n`);
    const dev = src.readFile('/proc/net/dev');
    expect(dev).toEqual({ status: 'ok', value: readFileSync(join(dir, 'proc/net/dev'), 'utf8') });
    expect(dev.status === 'ok' && dev.value).toMatch(/^ *lo:[\s\S]*^dhon-copied0: 1 2/m);
    const reason = `${dir} is not a running host's root: commands would describe this machine`;
    for (const spec of [{ cmd: 'ss', args: ['-tan'] }, { cmd: 'tc', args: ['-s', 'qdisc', 'show'] }, { cmd: 'ip', args: ['link'], netnsPid: 1 }]) {
      const r = await src.run(spec);
      expect(r).toMatchObject({ status: 'unavailable', code: 'not-captured', reason });
    }
    expect(src.statfs('/')).toMatchObject({ status: 'unavailable', code: 'not-captured', reason: `${dir} is not a running host's root: statfs would describe this machine's filesystems` });
    expect(src.statfs('/mnt/nfs', { mayHang: true })).toMatchObject({ status: 'unavailable', code: 'not-captured', reason: `${dir} is not a running host's root: statfs would describe this machine's filesystems` });
  });
  it('on "/" commands and statfs still run here', async () => {
    const src = new LiveSource({ root: '/' });
    expect(src.host).toEqual({ kind: 'self' });
    expect((await src.run({ cmd: 'true', args: [] })).status).toBe('ok');
    expect(src.statfs('/').status).toBe('ok');
  });
});

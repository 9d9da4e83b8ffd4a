import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseKernelLog } from '../../../collectors/commands/kernel-log/parse.js';
import { kernelLogCollector } from '../../../collectors/commands/kernel-log/collector.js';
import { commandKey } from '../../../src/core/source.js';
import { fixtureTree } from '../../helpers/fixture-host.js';
import { fuzzParser } from '../../helpers/fuzz.js';

const dmesg = readFileSync(new URL('../../fixtures/commands/dmesg-raw-6.18.txt', import.meta.url), 'utf8');

describe('parseKernelLog', () => {
  it('classifies OOM kills, I/O and filesystem errors, hung tasks, NIC timeouts, conntrack and machine checks', () => {
    const r = parseKernelLog(dmesg);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    const count = (k: string) => r.value.events.get(k as never)?.count ?? 0;
    // One OOM kill is two lines (oom-kill: and Killed process): counted once.
    expect(count('oom_kill')).toBe(1);
    expect(count('io_error')).toBe(2);
    expect(count('fs_error')).toBe(2);
    expect(count('hung_task')).toBe(1);
    expect(count('net_watchdog')).toBe(1);
    expect(count('conntrack_full')).toBe(1);
    expect(count('mce')).toBe(1);
    expect(count('segfault')).toBe(0);
    // A user-space line written to /dev/kmsg (facility user) is not a kernel error.
    expect(r.value.lines).toBe(dmesg.split('\n').filter((l) => /^<\d+>/.test(l) && Number(/^<(\d+)>/.exec(l)![1]) < 8).length);
    // Level err (3) or worse: Killed process, 2 I/O errors, 2 ext4, hung task, mce.
    expect(count('kernel_error')).toBe(7);
    expect(r.value.events.get('oom_kill')?.lastAt).toBeCloseTo(1142.771517, 5);
    expect(r.value.events.get('oom_kill')?.lastMessage).toContain('Killed process 30758 (tail)');
  });
  it('accepts an empty log and lines without timestamps (printk.time=0)', () => {
    expect(parseKernelLog('').ok).toBe(true);
    const r = parseKernelLog('<3>Memory cgroup out of memory: Killed process 5 (x)\n');
    expect(r.ok && r.value.events.get('oom_kill')?.lastAt).toBeUndefined();
  });
  it('rejects text that is not dmesg --raw output', () => {
    expect(parseKernelLog('[ 1.0] no level prefix\n').ok).toBe(false);
  });
  it('survives fuzzing', () => fuzzParser(parseKernelLog, [dmesg]));
});

describe('kernel_log collector on a fixture', () => {
  it('counts recent events against /proc/uptime and keeps the last message', async () => {
    const f = fixtureTree(
      { '/proc/uptime': '1200.00 1000.00\n' },
      { [`commands/${commandKey({ cmd: 'dmesg', args: ['--raw'] })}.json`]: { stdout: dmesg, stderr: '', exitCode: 0 } },
    );
    try {
      const out = await kernelLogCollector.collect(f.source, { sampleIndex: 0 });
      const rows = out.kernel_log;
      expect(rows?.status).toBe('ok');
      if (rows?.status !== 'ok') return;
      const oom = rows.value.find((r) => r.key === 'oom_kill');
      expect(oom?.values).toMatchObject({ events: 1, recent: 1 });
      expect(oom?.values.last_age).toBeCloseTo(1200 - 1142.771517, 3);
      expect(rows.value.find((r) => r.key === 'lockup')?.values).toMatchObject({ events: 0, recent: 0, last_age: undefined });
    } finally {
      f.cleanup();
    }
  });
  it('is unavailable, not failed, when dmesg was not recorded or is missing', async () => {
    const f = fixtureTree({ '/proc/uptime': '1.0 1.0\n' });
    try {
      const out = await kernelLogCollector.collect(f.source, { sampleIndex: 0 });
      expect(out.kernel_log?.status).toBe('unavailable');
    } finally {
      f.cleanup();
    }
  });
});

import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { COLLECTORS } from '../../../collectors/index.js';
import { configCollector } from '../../../collectors/commands/config/collector.js';
import { listenRows, SOMAXCONN_DEFAULT, withSomaxconn } from '../../../collectors/commands/config/listen.js';
import { parseEthtoolRings, parseFileNr, parseLoadavgTasks, parseProcessMemoryFacts, parseSysctlNumber, parseTcpListeners, parseThpMode } from '../../../collectors/commands/config/parse.js';
import { ringRow } from '../../../collectors/commands/config/rings.js';
import { adviceFor } from '../../../collectors/commands/config/settings.js';
import { irqsCollector, linesOf, spreadOf } from '../../../collectors/procfs/irqs/collector.js';
import { maskHasCpus, parseInterrupts } from '../../../collectors/procfs/irqs/parse.js';
import { parseSsSockets } from '../../../collectors/commands/sockets/parse.js';
import { commandKey } from '../../../src/core/source.js';
import { builtinPlaybookDir, loadPlaybooks } from '../../../src/engine/loader.js';
import { buildCatalogue } from '../../../src/engine/metrics.js';
import { runPlaybook } from '../../../src/engine/run.js';
import { fixtureTree } from '../../helpers/fixture-host.js';
import { fuzzParser } from '../../helpers/fuzz.js';

const fx = (name: string) => readFileSync(new URL(`../../fixtures/commands/config/${name}`, import.meta.url), 'utf8');

describe('config parsers', () => {
  it('reads ring sizes and maxima (virtio capture; a NIC with headroom), refuses text without both blocks', () => {
    expect(parseEthtoolRings(fx('ethtool-g-virtio-6.18.txt'))).toEqual({ ok: true, value: { rxMax: 256, txMax: 256, rx: 256, tx: 256 } });
    expect(parseEthtoolRings(fx('ethtool-g-headroom-synthetic.txt'))).toEqual({ ok: true, value: { rxMax: 4096, txMax: 4096, rx: 512, tx: 512 } });
    expect(parseEthtoolRings('Ring parameters for x:\nRX: 5\n').ok).toBe(false);
    fuzzParser(parseEthtoolRings, [fx('ethtool-g-virtio-6.18.txt'), fx('ethtool-g-headroom-synthetic.txt')]);
  });

  it('reads file-nr, loadavg tasks, THP mode, sysctl numbers, listeners in /proc/net/tcp, status lines', () => {
    const nr = parseFileNr(fx('file-nr-6.18.txt'));
    expect(nr.ok && nr.value.max).toBe(2466300);
    expect(parseFileNr('1 0 9223372036854775807').ok).toBe(true);
    expect(parseFileNr('1 0').ok).toBe(false);
    expect(parseLoadavgTasks(fx('loadavg-6.18.txt')).ok).toBe(true);
    expect(parseLoadavgTasks('0.1 0.2 0.3 2/345 678\n')).toEqual({ ok: true, value: 345 });
    expect(parseThpMode(fx('thp-enabled-6.18.txt'))).toEqual({ ok: true, value: 'madvise' });
    expect(parseThpMode('always madvise never').ok).toBe(false);
    expect(parseSysctlNumber('4096\n')).toEqual({ ok: true, value: 4096 });
    expect(parseSysctlNumber('-1').ok).toBe(false);
    expect(parseTcpListeners(fx('proc-net-tcp-6.18.txt'))).toEqual({ ok: true, value: 1 });
    expect(parseTcpListeners('garbage').ok).toBe(false);
    const st = parseProcessMemoryFacts(fx('status-6.18.txt'));
    expect(st.ok && st.value.thpEnabled).toBe(1);
    expect(st.ok && st.value.swapKb).toBe(0);
    fuzzParser(parseFileNr, [fx('file-nr-6.18.txt')], 300, { lossy: ['max'] });
    fuzzParser(parseLoadavgTasks, [fx('loadavg-6.18.txt')]);
    fuzzParser(parseThpMode, [fx('thp-enabled-6.18.txt')]);
    fuzzParser(parseSysctlNumber, ['4096\n', '9223372036854775807\n'], 300, { lossy: [''] });
    fuzzParser(parseTcpListeners, [fx('proc-net-tcp-6.18.txt')]);
    fuzzParser(parseProcessMemoryFacts, [fx('status-6.18.txt')]);
  });

  it('reads /proc/interrupts per CPU column and CPU masks', () => {
    const p = parseInterrupts(fx('interrupts-6.18.txt'));
    expect(p.ok).toBe(true);
    if (!p.ok) return;
    expect(p.value.cpus).toEqual([0, 1]);
    expect(p.value.lines.find((l) => l.name === 'virtio2-input.0')?.irq).toBe(38);
    expect(p.value.lines.some((l) => l.name === 'Non-maskable')).toBe(false);
    expect(maskHasCpus('00000000,00000000\n')).toEqual({ ok: true, value: false });
    expect(maskHasCpus('3\n')).toEqual({ ok: true, value: true });
    expect(maskHasCpus('zz').ok).toBe(false);
    fuzzParser(parseInterrupts, [fx('interrupts-6.18.txt'), fx('interrupts-one-cpu-synthetic.txt')]);
    fuzzParser(maskHasCpus, ['00000000,00000003\n']);
  });
});

describe('config rows (pure)', () => {
  it('a listener whose backlog is the somaxconn cap below the default is capped; one under the default cap is not', () => {
    const ss = parseSsSockets('LISTEN 65 64 127.0.0.1:5000 0.0.0.0:* ino:123 sk:1 <->\nLISTEN 0 511 127.0.0.1:6000 0.0.0.0:* ino:124 sk:2 <->\n');
    expect(ss.ok).toBe(true);
    if (!ss.ok) return;
    const rows = listenRows(ss.value.sockets, new Map([[123, [{ name: 'python3', pid: 42, fd: 3 }]]]));
    const [a, b] = [withSomaxconn(rows[0]!, 64), withSomaxconn(rows[1]!, SOMAXCONN_DEFAULT)];
    expect(a).toMatchObject({ key: '127.0.0.1:5000', labels: { process: 'python3', pid: '42' }, values: { backlog: 64, queued: 65, somaxconn: 64, capped: 1 } });
    expect(a.values.queue_pct).toBeCloseTo(101.5625);
    expect(b.values).toMatchObject({ backlog: 511, capped: 0, queue_pct: 0 });
    // at the default 4096 a socket at the cap is what a default kernel gives: not flagged
    expect(withSomaxconn({ key: 'x', values: { backlog: 4096 } }, 4096).values.capped).toBe(0);
  });

  it('rings: headroom only when the NIC allows more', () => {
    expect(ringRow('eth0', { rx: 256, rxMax: 256, tx: 256, txMax: 256 }, 0, 0).values.rx_headroom).toBe(0);
    expect(ringRow('enp3s0', { rx: 512, rxMax: 4096, tx: 512, txMax: 4096 }, 7, 9).values).toMatchObject({ rx_headroom: 3584, rx_overruns: 7 });
    expect(ringRow('enp3s0', { rx: 512, rxMax: 4096, tx: 512, txMax: 4096 }, 7, 9, 31).values).toMatchObject({ tx_headroom: 3584, tx_dropped: 31 });
    // a driver without a TX maximum: no headroom, so never judged
    expect(ringRow('eth9', { rx: 512, rxMax: 4096, tx: 512, txMax: undefined }, 0, 0, 31).values.tx_headroom).toBeUndefined();
  });

  it("interrupt lines by the interface's or its device's name, and the top CPU's share", () => {
    const p = parseInterrupts(fx('interrupts-6.18.txt'));
    if (!p.ok) throw p.error;
    const lines = linesOf('eth0', 'virtio2', p.value, new Set());
    expect(lines.map((l) => l.irq)).toEqual([37, 38, 39]);
    const one = parseInterrupts(fx('interrupts-one-cpu-synthetic.txt'));
    if (!one.ok) throw one.error;
    const s = spreadOf(linesOf('enp3s0', '0000:03:00.0', one.value, new Set()), one.value.cpus);
    expect(s).toMatchObject({ total: 17_000_001, topCpu: 0 });
    expect(s.topPct).toBe(100);
  });

  it('databases by process name, Oracle by its pmon prefix; others are not databases', () => {
    expect(adviceFor('redis-server')?.overcommitAlways).toBe(true);
    expect(adviceFor('ora_pmon_ORCL')?.database).toBe('Oracle Database');
    expect(adviceFor('constructor')).toBeUndefined();
    expect(adviceFor('bash')).toBeUndefined();
  });
});

/**
 * The playbook on a fixture host (two samples): a NIC at ring 512 of 4096 that overran, its
 * interrupts all on CPU0 at 20,000/s with no irqbalance or RPS, pid_max nearly used up. Each
 * finding at its exact scope; a virtio NIC at its maximum is not flagged.
 */
describe('config playbook on a fixture host', () => {
  const irqs = (n: number) => fx('interrupts-one-cpu-synthetic.txt').replace('9000000', String(9_000_000 + n));
  const ring = (args: string[], stdout: string) => ({ [`commands/${commandKey({ cmd: 'ethtool', args })}.json`]: { stdout, stderr: '', exitCode: 0 } });
  const host = (i: number) =>
    fixtureTree(
      {
        '/proc/interrupts': irqs(i * 20_000),
        '/proc/sys/fs/file-nr': '1000\t0\t100000\n',
        '/proc/loadavg': '0.1 0.2 0.3 2/31000 678\n',
        '/proc/sys/kernel/pid_max': '32768\n',
        '/proc/sys/kernel/threads-max': '190000\n',
        '/proc/sys/vm/swappiness': '60\n',
        '/proc/sys/vm/overcommit_memory': '0\n',
        '/proc/meminfo': 'MemTotal: 1000 kB\nSwapTotal: 0 kB\nCommitLimit: 500 kB\nCommitted_AS: 400 kB\n',
        '/sys/kernel/mm/transparent_hugepage/enabled': 'always [madvise] never\n',
        '/sys/class/net/enp3s0/statistics/rx_fifo_errors': '0\n',
        '/sys/class/net/enp3s0/statistics/rx_missed_errors': '1234\n',
        '/sys/class/net/enp3s0/statistics/rx_over_errors': '0\n',
        '/sys/class/net/enp3s0/statistics/rx_dropped': '1234\n',
        '/sys/class/net/enp3s0/statistics/tx_dropped': '31\n',
        // at its maximum TX ring: drops on the way out are not the ring's size
        '/sys/class/net/eth1/statistics/tx_dropped': '5\n',
        '/sys/class/net/enp3s0/queues/rx-0/rps_cpus': '0\n',
        '/sys/class/net/eth1/statistics/rx_missed_errors': '50\n',
        '/sys/class/net/lo/statistics/rx_dropped': '0\n',
        '/proc/1/comm': 'init\n',
      },
      {
        'clock.json': { monoMs: 1_000 + i * 1_000, wall: `2026-12-04T10:00:0${i}.000Z` },
        'links.json': { '/sys/class/net/enp3s0/device': '../../../0000:03:00.0', '/sys/class/net/eth1/device': '../../../virtio3' },
        ...ring(['-g', 'enp3s0'], fx('ethtool-g-headroom-synthetic.txt')),
        ...ring(['-g', 'eth1'], fx('ethtool-g-virtio-6.18.txt')),
      },
    );
  const trees = [host(0), host(1)];
  afterAll(() => trees.forEach((t) => t.cleanup()));

  it('finds the ring, the interrupts on one CPU and pid_max, each at its scope', async () => {
    const cat = buildCatalogue(COLLECTORS);
    const pb = loadPlaybooks(cat, [{ dir: builtinPlaybookDir(), origin: 'builtin' }], { only: 'config', cache: null }).playbooks.get('config');
    if (!pb) throw new Error('config playbook not loaded');
    const r = await runPlaybook({ playbook: pb, catalogue: cat, collectors: [configCollector, irqsCollector], sources: [trees[0]!.source, trees[1]!.source], windowMs: 1000, changesLookbackSeconds: 0 });
    const got = r.findings.map((f) => [f.check, f.scope, f.severity]).sort();
    expect(got).toEqual(
      [
        ['limit-use', 'setting:kernel.pid_max', 'warning'],
        ['nic-irqs-one-cpu', 'interface:enp3s0', 'warning'],
        ['nic-ring-below-max', 'interface:enp3s0', 'warning'],
        ['nic-tx-ring-below-max', 'interface:enp3s0', 'warning'],
      ].sort(),
    );
    expect(r.findings.find((f) => f.check === 'nic-tx-ring-below-max')?.title).toBe('Interface enp3s0: TX ring 512 of a possible 4096, 31 transmit drops since it came up');
    const ringF = r.findings.find((f) => f.check === 'nic-ring-below-max')!;
    expect(ringF.title).toBe('Interface enp3s0: RX ring 512 of a possible 4096, 1234 receive overruns since it came up');
    const irqF = r.findings.find((f) => f.check === 'nic-irqs-one-cpu')!;
    expect(irqF.title).toBe('Interface enp3s0: 20000 interrupts/s, 100% of them on CPU 0 (no irqbalance, no RPS)');
  });
});

import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cgroupDir, cgroupDirs, cgroupVersion } from '../helpers/cgroup-fs.js';
import { liveRequirement } from '../helpers/capabilities.js';
import { selectedText, TmuxTui } from '../helpers/tmux.js';
import { sleep, until, Workloads } from '../scenarios/helpers.js';

/**
 * The first screen of the real `diag` names the cause of a planted fault, without a key pressed:
 * four busy loops in a cgroup of ours, and the findings list names that cgroup and the loops'
 * PIDs beside "Host CPUs busy". The loops are bounded by timeout(1) and killed by their process
 * group, the cgroup removed in afterAll, whatever happened.
 */
const need = liveRequirement('root', 'cmd:tmux', 'cmd:timeout', 'cgroup:cpu', 'cgroup:cpuacct', 'cgroup:memory');
const NAME = `dguide-${process.pid}`;
// cgroup v2 (one hierarchy) or v1 (the cpu, cpuacct and memory controllers, each its own hierarchy)
// (found in /proc/self/mountinfo, not assumed at /sys/fs/cgroup)
const V2 = !need.skip && cgroupVersion('cpu') === 2;
const DIRS = need.skip ? [] : cgroupDirs(['cpu', 'cpuacct', 'memory'], NAME);
const work = new Workloads();
let tui: TmuxTui | undefined;
let loops: string[] = [];

const members = (): string[] => {
  try {
    return readFileSync(`${DIRS[0]}/cgroup.procs`, 'utf8')
      .split('\n')
      .filter((l) => /^\d+$/.test(l));
  } catch {
    return [];
  }
};
const isLoop = (pid: string): boolean => {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'sh' && readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('while');
  } catch {
    return false;
  }
};

const started = (): TmuxTui => {
  if (!tui) throw new Error('diag did not start in tmux');
  return tui;
};

/** Presses j until the highlighted row (below the header and the tab bar) matches, at most `max` times. */
async function selectRow(t: TmuxTui, re: RegExp, max = 20): Promise<string> {
  for (let i = 0; i <= max; i++) {
    const sel = selectedText(t.capture({ escapes: true }), 2) ?? '';
    if (re.test(sel)) return sel;
    t.keys('j');
    await t.waitFor((x) => (selectedText(x, 2) ?? '') !== sel, 'the highlight to move', 3000, { escapes: true }).catch(() => undefined);
  }
  throw new Error(`no row matching ${re} could be selected; the screen was:\n${t.capture()}`);
}

/** The rows of the Findings box (between its top border and the next border). */
function findingsBox(screen: string): string[] {
  const lines = screen.split('\n');
  const top = lines.findIndex((l) => /^┌─.* Findings/.test(l));
  if (top < 0) return [];
  const out: string[] = [];
  for (const l of lines.slice(top + 1)) {
    if (l.startsWith('└')) break;
    out.push(l.replace(/^│/, '').replace(/│$/, '').trimEnd());
  }
  return out;
}

describe.skipIf(need.skip)('the first screen names the culprits', () => {
  beforeAll(async () => {
    for (const d of DIRS) mkdirSync(d);
    // The cgroup weighs as 16 busy processes (a v1 group's default weighs as one), so its loops
    // are the busiest on a host shared with other work too, as they would be on a quiet one.
    if (V2) {
      try {
        writeFileSync(`${DIRS[0]}/cpu.weight`, '1600');
      } catch {
        // the cpu controller is not enabled for children of the root: the loops weigh as processes of it
      }
    } else writeFileSync(`${cgroupDir('cpu', NAME)}/cpu.shares`, '16384');
    // Four loops on two CPUs, 150 s at most (both tests).
    const gate = work.gated('for i in 1 2 3 4; do timeout -s KILL 150 sh -c "while :; do :; done" & done; wait');
    for (const d of DIRS) writeFileSync(`${d}/cgroup.procs`, String(gate.pid));
    gate.stdin?.end('go\n');
    // the loops: sh running the while loop (not the gate's sh, whose script names it too)
    const mine = () => members().filter((p) => p !== String(gate.pid) && isLoop(p));
    await until(() => mine().length === 4, 15_000);
    loops = mine();
    // 100x30: the small layout, its first tab (Overview) with eight rows of findings
    tui = TmuxTui.start({ name: 'dguide-cgroup', cols: 100, rows: 30 });
  });

  afterAll(async () => {
    tui?.kill();
    await work.stop();
    // timeout(1) leads a process group of its own: what is left in the cgroup is killed by PID
    for (let round = 0; round < 5 && existsSync(DIRS[0]!) && members().length > 0; round++) {
      for (const pid of members()) {
        try {
          process.kill(Number(pid), 'SIGKILL');
        } catch {
          // gone already
        }
      }
      await sleep(100);
    }
    for (const d of DIRS) {
      for (let i = 0; i < 30 && existsSync(d); i++) {
        try {
          rmdirSync(d);
        } catch {
          await sleep(100);
        }
      }
    }
  });

  it('four busy loops in a cgroup: the findings name the cgroup and the loops\' PIDs; Enter goes to one of them', { timeout: 90_000 }, async () => {
    expect(loops).toHaveLength(4);
    const tui = started();
    const named = (s: string) => findingsBox(s).find((l) => l.includes(`cgroup /${NAME}: sh `) && loops.every((p) => l.includes(p)));
    const s = await tui.waitFor((x) => named(x) !== undefined, `a finding naming cgroup /${NAME} and PIDs ${loops.join(', ')}`, 45_000);
    // no key was pressed: the Overview tab, as diag opened
    expect(selectedText(tui.capture({ escapes: true }).split('\n')[1] ?? '')).toContain('Overview');
    expect(named(s)).toMatch(new RegExp(`^(CRIT|WARN) .*— cgroup /${NAME}: sh \\d+, \\d+, \\d+, \\d+ \\(4 processes`));
    for (const l of s.split('\n')) expect([...l].length).toBeLessThanOrEqual(100);
    // Enter on that finding goes to its first culprit: one of the loops, in the process list.
    // From the top: the cursor stays on the finding it was on when others came in above it.
    tui.keys('g');
    for (let i = 0; i < 20 && !selectedText(tui.capture({ escapes: true }), 2)?.includes(`cgroup /${NAME}`); i++) {
      const before = selectedText(tui.capture({ escapes: true }), 2);
      tui.keys('j');
      await tui.waitFor((x) => selectedText(x, 2) !== before, 'the cursor to move', 5000, { escapes: true }).catch(() => undefined);
    }
    expect(selectedText(tui.capture({ escapes: true }), 2)).toContain(`cgroup /${NAME}`);
    tui.keys('Enter');
    // the list and the footer's message come in one state, but the terminal is drawn line by
    // line: a capture taken mid-draw can show the new list above the old footer
    const p = await tui.waitFor((x) => /Processes sort:cpu/.test(x) && /culprit 1 of "/.test(x), 'the process list and the message naming the culprit', 10_000);
    const sel = selectedText(tui.capture({ escapes: true }), 2) ?? '';
    expect(loops).toContain(/^\s*(\d+) /.exec(sel)?.[1]);
    expect(p).toMatch(/culprit 1 of "/);
  });

  it('the guide recommends the playbook of the strongest finding and ends on its culprits: Enter goes to one', { timeout: 90_000 }, async () => {
    const t = started();
    t.keys('i');
    let s = await t.waitFor(/Investigate: pick a playbook/, 'the playbook list', 10_000);
    // the recommendation says which finding it follows
    expect(s).toMatch(/<- recommended(?: for \S+)?: \S/);
    await selectRow(t, /^cpu +CPU/);
    t.keys('Enter');
    s = await t.waitFor(/cpu: (WARNING|CRITICAL) - steps/, 'the steps of the cpu playbook', 30_000);
    // the first step is one that found something (the strongest evidence first)
    expect(selectedText(t.capture({ escapes: true }), 2)).toMatch(/^\[(CRIT|WARN)\] cpu\//);
    t.keys('Enter');
    s = await t.waitFor(/┌─ cpu \/ cpu-.*\(Enter: go to the culprit/, 'the step with its culprits', 10_000);
    // it names the culprit with its evidence: the report's two lines, the value against its threshold
    const first = selectedText(t.capture({ escapes: true }), 2) ?? '';
    const pid = /^1\. process:(\d+) sh: /.exec(first)?.[1];
    expect(loops).toContain(pid);
    expect(s).toContain(`cgroup /${NAME}`);
    expect(s).toMatch(/value [\d.]+ \S+ \(\S+ over [\d.]+ s\); threshold warning >= [\d.]+; critical >= [\d.]+/);
    expect(s).not.toMatch(/\w+=\d+ \w+=\d+/); // no key=value record
    // and acts on it: Enter goes to that process's row
    t.keys('Enter');
    await t.waitFor((x) => /Processes sort:cpu/.test(x) && !/\(Esc back\)/.test(x), 'the process list', 10_000);
    expect(selectedText(t.capture({ escapes: true }), 2)).toMatch(new RegExp(`^\\s*${pid} `));
  });
});

/**
 * A namespace that drops: two network namespaces of ours joined by a veth pair, a tbf qdisc on
 * one end limited to 100 kbit/s and a UDP sender in that namespace sending ~1.6 MB/s to the
 * other end (traffic only between our namespaces): most packets are dropped at the qdisc. The
 * dashboard's slow lane (the namespace sweep, tc inside namespaces that show drops) judges it;
 * the first screen names the namespace and the qdisc. The sender is bounded by timeout(1) and
 * killed by PID; the namespaces are deleted in afterAll.
 */
const needNs = liveRequirement('root', 'cmd:tmux', 'cmd:timeout', 'cmd:ip', 'cmd:tc');
const NS = { a: `${NAME}-a`, b: `${NAME}-b` };
const VETH = { a: `dg${process.pid}a`.slice(-15), b: `dg${process.pid}b`.slice(-15) };
const SENDER = "const s = require('dgram').createSocket('udp4'); const m = Buffer.alloc(512, 65); setInterval(() => { for (let i = 0; i < 32; i++) s.send(m, 5002, '10.251.0.2', () => {}); }, 10);";
let nsTui: TmuxTui | undefined;
let senders: number[] = [];

function sh(cmd: string, args: readonly string[]): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 20_000 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}): ${r.stderr}`);
  return r.stdout;
}
const nsPids = (ns: string): number[] =>
  spawnSync('ip', ['netns', 'pids', ns], { encoding: 'utf8' })
    .stdout.split('\n')
    .filter((l) => /^\d+$/.test(l))
    .map(Number);

/** Packets the tbf qdisc dropped so far (tc -s inside the namespace). */
const qdiscDrops = (): number => Number(/dropped (\d+)/.exec(spawnSync('ip', ['netns', 'exec', NS.a, 'tc', '-s', 'qdisc', 'show', 'dev', VETH.a], { encoding: 'utf8' }).stdout)?.[1] ?? 0);

describe.skipIf(needNs.skip)('the first screen names a namespace that drops', () => {
  beforeAll(async () => {
    for (const ns of [NS.a, NS.b]) sh('ip', ['netns', 'add', ns]);
    sh('ip', ['link', 'add', VETH.a, 'netns', NS.a, 'type', 'veth', 'peer', 'name', VETH.b, 'netns', NS.b]);
    sh('ip', ['-n', NS.a, 'addr', 'add', '10.251.0.1/30', 'dev', VETH.a]);
    sh('ip', ['-n', NS.b, 'addr', 'add', '10.251.0.2/30', 'dev', VETH.b]);
    for (const [ns, dev] of [
      [NS.a, VETH.a],
      [NS.b, VETH.b],
    ] as const) {
      sh('ip', ['-n', ns, 'link', 'set', dev, 'up']);
      sh('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
    }
    sh('ip', ['netns', 'exec', NS.a, 'tc', 'qdisc', 'add', 'dev', VETH.a, 'root', 'tbf', 'rate', '100kbit', 'burst', '2kb', 'limit', '2kb']);
    work.start('ip', ['netns', 'exec', NS.a, 'timeout', '-s', 'KILL', '90', process.execPath, '-e', SENDER]);
    await until(() => nsPids(NS.a).length >= 2);
    senders = nsPids(NS.a);
    // node takes a moment to start sending on a loaded host
    await until(() => qdiscDrops() > 100, 15_000);
    nsTui = TmuxTui.start({ name: 'dguide-netns', cols: 100, rows: 30 });
  });

  afterAll(async () => {
    nsTui?.kill();
    await work.stop();
    // timeout(1) leads a process group of its own: what is left in the namespace is killed by PID
    for (const pid of [...senders, ...nsPids(NS.a)]) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone already
      }
    }
    for (const ns of [NS.a, NS.b]) spawnSync('ip', ['netns', 'delete', ns], { stdio: 'ignore' });
  });

  it('a tbf qdisc dropping most packets in a namespace: the findings name the qdisc and the namespace; Enter shows its processes', { timeout: 90_000 }, async () => {
    const t = nsTui;
    if (!t) throw new Error('diag did not start in tmux');
    expect(qdiscDrops(), 'the qdisc drops the sender\'s packets').toBeGreaterThan(100);
    const named = (s: string) => findingsBox(s).find((l) => l.includes(`qdisc tbf on ${VETH.a} in ${NS.a}`));
    const s = await t.waitFor((x) => named(x) !== undefined, `a finding naming the tbf qdisc on ${VETH.a} in ${NS.a}`, 60_000);
    // no key was pressed: the Overview tab, as diag opened
    expect(selectedText(t.capture({ escapes: true }).split('\n')[1] ?? '')).toContain('Overview');
    expect(named(s)).toMatch(new RegExp(`^CRIT qdisc tbf on ${VETH.a} in ${NS.a} \\(netns \\d+`));
    // Enter on it: the qdisc is seen in its namespace, whose processes are shown (the sender).
    // From the top: the cursor stays on the finding it was on when others came in above it.
    t.keys('g');
    // wait for 'g' to be drawn before looking: a cursor left on a finding below (it stays on the
    // one it was on when this one came in above it) would otherwise be read as the start
    const first = () => (findingsBox(t.capture())[0] ?? '').trim();
    await t.waitFor((x) => (selectedText(x, 2) ?? '').trim() === first(), 'the cursor on the first finding', 5000, { escapes: true });
    for (let i = 0; i < 10 && !selectedText(t.capture({ escapes: true }), 2)?.includes(`in ${NS.a}`); i++) {
      const before = selectedText(t.capture({ escapes: true }), 2);
      t.keys('j');
      await t.waitFor((x) => selectedText(x, 2) !== before, 'the cursor to move', 3000, { escapes: true }).catch(() => undefined);
    }
    expect(selectedText(t.capture({ escapes: true }), 2), t.capture()).toContain(`qdisc tbf on ${VETH.a} in ${NS.a}`);
    t.keys('Enter');
    const p = await t.waitFor(new RegExp(`processes of netns ${NS.a}`), 'the namespace\'s processes', 10_000);
    const rows = p.split('\n').filter((l) => /^│\s+\d+ /.test(l)).map((l) => Number(/^│\s+(\d+) /.exec(l)![1]));
    expect(rows.length).toBeGreaterThan(0);
    for (const pid of rows) expect(senders).toContain(pid);
  });
});

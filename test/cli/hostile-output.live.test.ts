import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { liveRequirement } from '../helpers/capabilities.js';
import { diag } from '../helpers/diag-cli.js';
import { TmuxTui } from '../helpers/tmux.js';

// test-group: shared (it checks only what it made (its own processes, names and outputs), never the host's load): it runs beside another file (vitest.config.ts)

/**
 * Live: a process of ours whose name (comm) and command line carry every class of character the
 * sanitiser escapes (C0, DEL, C1, bidi, zero-width). None of them reaches any output raw: the
 * text report, --markdown, --json (where they are \uXXXX escapes and parse back to the same
 * name), `diag collect processes`, `diag overview` and the bytes the TUI writes to its terminal
 * (tmux pipe-pane). The process holds 49 of 50 fds (a finding whose title names it) and burns
 * CPU (so the CPU-sorted process tables list it).
 */
const req = liveRequirement('root', 'cmd:python3', 'cmd:tmux');
const MARK = 'diagt-rd-hostile';
// 14 bytes of UTF-8 (comm holds 15): RLO, ZWSP, CSI (C1), ESC, ALM, DEL
const COMM = 'e\u202e\u200b\u009b\u001b\u061c\u007fZ';
const SHOWN_COMM = 'e\\u202e\\u200b\\x9b\\x1b\\u061c\\x7fZ';
const EVERY = 'a\u0001\u0007\u001b[31m\u007f\u0085\u009b\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c\u200b\u200c\u200d\ufeff\u2060z';
/** What must never be written raw (line structure aside: \n, \t). */
const RAW = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200b-\u200f\u2028\u2029\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]/;
/** In a terminal's byte stream: the same but ESC (and BEL, CR, BS) that the TUI's own escape sequences use. */
const RAW_IN_SCREEN = /[\u0000-\u0006\u000e-\u001a\u001c-\u001f\u007f-\u009f\u061c\u200b-\u200f\u2028\u2029\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]/;

const SCRIPT = `
import os, resource, sys, time
with open('/proc/self/comm', 'wb') as f:
    f.write(sys.argv[1].encode('utf-8', 'surrogateescape'))
resource.setrlimit(resource.RLIMIT_NOFILE, (50, 50))
keep = []
while len(os.listdir('/proc/self/fd')) - 1 < 49:
    keep.append(open('/dev/null'))
sys.stdout.write('ready\\n')
sys.stdout.flush()
end = time.time() + 240
while time.time() < end:
    pass
`;

let child: ChildProcess | undefined;
let pid = 0;
const work = mkdtempSync(join(tmpdir(), 'diagt-rd-'));

function rawOf(text: string): string[] {
  return [...new Set([...text].filter((c) => RAW.test(c)).map((c) => `U+${c.codePointAt(0)!.toString(16).padStart(4, '0')}`))];
}

describe.skipIf(req.skip)('outputs of a host whose process names are hostile', () => {
  beforeAll(async () => {
    child = spawn('python3', ['-', COMM, MARK, EVERY], { stdio: ['pipe', 'pipe', 'inherit'], argv0: 'python3' });
    child.stdin!.end(SCRIPT);
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error('the hostile process did not start within 20 s')), 20_000);
      child!.once('error', reject);
      child!.stdout!.on('data', (d: Buffer) => {
        if (d.toString().includes('ready')) {
          clearTimeout(t);
          resolve();
        }
      });
    });
    pid = child.pid!;
    expect(readFileSync(`/proc/${pid}/comm`, 'utf8')).toBe(`${COMM}\n`);
  }, 30_000);

  afterAll(() => {
    if (child?.pid && child.exitCode === null) process.kill(child.pid, 'SIGKILL');
    rmSync(work, { recursive: true, force: true });
  });

  it('the text report shows the name escaped, nothing raw', async () => {
    const r = await diag(['run', 'playbook', 'use'], { timeoutMs: 120_000 });
    expect(rawOf(r.stdout + r.stderr)).toEqual([]);
    expect(r.stdout).toContain(`Process ${pid} (${SHOWN_COMM})`);
  }, 130_000);

  it('--markdown shows the name escaped, nothing raw', async () => {
    const r = await diag(['run', 'playbook', 'use', '--markdown'], { timeoutMs: 120_000 });
    expect(rawOf(r.stdout + r.stderr)).toEqual([]);
    // in a code span (as written) or in prose (backslashes escaped: they render as \u202e)
    expect([SHOWN_COMM, SHOWN_COMM.replace(/\\/g, '\\\\')].some((shown) => r.stdout.includes(shown)), r.stdout).toBe(true);
    expect(r.stdout).toContain(`${pid}`);
  }, 130_000);

  it('--json carries the name as \\uXXXX escapes and parses back to it', async () => {
    const r = await diag(['run', 'playbook', 'use', '--json'], { timeoutMs: 120_000 });
    expect(rawOf(r.stdout + r.stderr)).toEqual([]);
    expect(r.stdout).toContain('\\u009b');
    expect(r.stdout).toContain('\\u202e');
    const report = JSON.parse(r.stdout) as { findings: Array<{ title: string }> };
    expect(report.findings.some((f) => f.title.includes(`Process ${pid} (${COMM})`))).toBe(true);
  }, 130_000);

  it('collect processes and overview list the process escaped, nothing raw', async () => {
    for (const args of [
      ['collect', 'processes', '--window', '1s'],
      ['overview', '--window', '1s'],
    ]) {
      const r = await diag(args, { timeoutMs: 120_000 });
      expect(rawOf(r.stdout + r.stderr), args[0]).toEqual([]);
      const row = r.stdout.split('\n').find((l) => new RegExp(`^  ${pid} `).test(l));
      expect(row, `${args[0]}: the row of ${pid}`).toBeDefined();
      expect(row).toContain(SHOWN_COMM);
      // the command line too (cut at 60 characters: its start, with the name)
      expect(row).toContain(`python3 - ${SHOWN_COMM.slice(0, 12)}`);
    }
  }, 250_000);

  it("the TUI's byte stream carries the name escaped, nothing raw", async () => {
    const stream = join(work, 'pane.bytes');
    const tui = TmuxTui.start({ name: 'rd-hostile', cols: 220, rows: 60 });
    try {
      tui.tmux('pipe-pane', '-o', '-t', tui.target, `cat >> ${stream}`);
      await tui.waitFor((s) => /\b(OK|WARNING|CRITICAL|UNKNOWN)\b/.test(s.split('\n')[0] ?? ''), 'the header with a status', 60_000);
      tui.keys('/');
      tui.type(MARK);
      tui.keys('Enter');
      await tui.waitFor((s) => s.split('\n').some((l) => new RegExp(`^│ +${pid} `).test(l)), 'the filtered process list', 30_000);
      tui.keys('Enter');
      await tui.waitFor(new RegExp(`Process ${pid} `), 'the process detail', 20_000);
      const bytes = readFileSync(stream).toString('utf8');
      const raw = [...new Set([...bytes].filter((c) => RAW_IN_SCREEN.test(c)).map((c) => `U+${c.codePointAt(0)!.toString(16).padStart(4, '0')}`))];
      expect(raw).toEqual([]);
      expect(bytes).toContain('\\u202e');
      expect(bytes).toContain('\\x9b');
    } finally {
      tui.kill();
    }
  }, 150_000);
});

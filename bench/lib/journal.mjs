// A journal of a given size for the changes benchmark, written by systemd's own writer
// (systemd-journal-remote, Debian package systemd-journal-remote) from journal export format
// (https://systemd.io/JOURNAL_EXPORT_FORMATS/): what journalctl then reads is a real journal file
// with its field indexes, hash tables and compression, as journald would have written it.
//
// The entries look like a busy server's: many services' log lines (sshd, cron, nginx, kernel,
// a chatty application), with systemd's unit lifecycle messages (the MESSAGE_IDs the changes
// collector asks for) among them: a timer unit started and stopped every 5 minutes, a service
// failing and restarting now and then. They span `days` days ending now, evenly, so about
// 1/days of them fall in the default 24 h look-back.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';

export const JOURNAL_REMOTE = '/lib/systemd/systemd-journal-remote';

const IDS = { started: '39f53479d3a045ac8e11786248231fbf', stopped: '9d1aaa27d60140bd96365438aad20286', failed: 'be02cf6855d2428ba40df7e9d022f03d', restart: '5eb03494b6584870a536b337290809b3' };

/** Bytes of the *.journal files under dir. */
export function journalBytes(dir) {
  if (!existsSync(dir)) return 0;
  let total = 0;
  for (const n of readdirSync(dir)) if (n.endsWith('.journal')) total += statSync(join(dir, n)).size;
  return total;
}

function field(k, v) {
  return `${k}=${v}\n`;
}

/** One entry of export format. */
function entry(usec, mono, boot, f) {
  let s = field('__REALTIME_TIMESTAMP', usec) + field('__MONOTONIC_TIMESTAMP', mono) + field('_BOOT_ID', boot) + field('_HOSTNAME', 'bench-host') + field('_MACHINE_ID', '0123456789abcdef0123456789abcdef');
  for (const [k, v] of Object.entries(f)) s += field(k, v);
  return `${s}\n`;
}

/** Write `count` entries spanning `days` days before `nowS` into dir/system.journal (dir replaced). */
async function writeEntries(dir, count, { days, nowS, seed }) {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const out = join(dir, 'system.journal');
  const child = spawn(JOURNAL_REMOTE, ['--output', out, '--split-mode', 'none', '-'], { stdio: ['pipe', 'ignore', 'pipe'] });
  let err = '';
  child.stderr.setEncoding('utf8').on('data', (d) => (err += d));
  const done = new Promise((res) => child.on('close', (code) => res(code)));
  let x = seed >>> 0;
  const rnd = () => ((x = (Math.imul(x, 1664525) + 1013904223) >>> 0) / 2 ** 32);
  const boot = '5e1f0c2a9b3d4e6f8a7b6c5d4e3f2a1b';
  const services = [
    { unit: 'ssh.service', comm: 'sshd', exe: '/usr/sbin/sshd', msg: () => `Accepted publickey for deploy from 192.0.2.${Math.floor(rnd() * 250)} port ${1024 + Math.floor(rnd() * 60000)} ssh2: ED25519 SHA256:${Math.floor(rnd() * 1e12).toString(36)}` },
    { unit: 'cron.service', comm: 'cron', exe: '/usr/sbin/cron', msg: () => `(root) CMD (/usr/local/bin/rotate-metrics --quiet ${Math.floor(rnd() * 100)})` },
    { unit: 'nginx.service', comm: 'nginx', exe: '/usr/sbin/nginx', msg: () => `${Math.floor(rnd() * 1e6)}#0: *${Math.floor(rnd() * 1e7)} upstream timed out (110: Connection timed out) while reading response header from upstream, client: 198.51.100.${Math.floor(rnd() * 250)}, request: "GET /api/v1/items/${Math.floor(rnd() * 1e5)} HTTP/1.1"` },
    { unit: 'app.service', comm: 'app', exe: '/opt/app/bin/app', msg: () => `level=info ts=${Math.floor(rnd() * 1e9)} caller=worker.go:${Math.floor(rnd() * 900)} msg="processed batch" batch=${Math.floor(rnd() * 1e6)} items=${Math.floor(rnd() * 500)} duration_ms=${Math.floor(rnd() * 2000)}` },
    { unit: 'systemd-journald.service', comm: 'kernel', exe: '', msg: () => `TCP: request_sock_TCP: Possible SYN flooding on port ${Math.floor(rnd() * 65535)}. Sending cookies.  Check SNMP counters.` },
  ];
  const start = nowS - days * 86_400;
  let unitEntries = 0;
  let inLookback = 0;
  for (let i = 0; i < count; i++) {
    const t = start + (i / count) * days * 86_400;
    const usec = Math.floor(t * 1e6);
    const mono = Math.floor((t - start) * 1e6);
    let text;
    // every 60th entry a unit lifecycle message (the timer's start/stop; a failing service now and then)
    if (i % 60 === 0) {
      const k = rnd();
      const [what, id, unit] = k < 0.45 ? ['Started', IDS.started, 'metrics-export.service'] : k < 0.9 ? ['Deactivated successfully', IDS.stopped, 'metrics-export.service'] : k < 0.95 ? ['Failed with result \'exit-code\'', IDS.failed, 'app.service'] : ['Scheduled restart job, restart counter is at 1', IDS.restart, 'app.service'];
      text = entry(usec, mono, boot, { PRIORITY: 6, SYSLOG_FACILITY: 3, SYSLOG_IDENTIFIER: 'systemd', _PID: 1, _UID: 0, _GID: 0, _COMM: 'systemd', _EXE: '/usr/lib/systemd/systemd', _SYSTEMD_UNIT: 'init.scope', MESSAGE_ID: id, UNIT: unit, MESSAGE: `${unit}: ${what}.` });
      unitEntries++;
    } else {
      const s = services[Math.floor(rnd() * services.length)];
      const f = { PRIORITY: 3 + Math.floor(rnd() * 4), SYSLOG_FACILITY: 3, SYSLOG_IDENTIFIER: s.comm, _PID: 1000 + Math.floor(rnd() * 30000), _UID: 0, _GID: 0, _COMM: s.comm, _SYSTEMD_UNIT: s.unit, _SYSTEMD_CGROUP: `/system.slice/${s.unit}`, _TRANSPORT: 'syslog', MESSAGE: s.msg() };
      if (s.exe) f._EXE = s.exe;
      text = entry(usec, mono, boot, f);
    }
    if (t >= nowS - 86_400) inLookback++;
    if (!child.stdin.write(text)) await new Promise((r) => child.stdin.once('drain', r));
  }
  child.stdin.end();
  const code = await done;
  if (code !== 0) throw new Error(`systemd-journal-remote exited ${code}: ${err.slice(-400)}`);
  return { bytes: journalBytes(dir), entries: count, unitEntries, inLookback };
}

/**
 * A journal of at least `targetBytes` in `dir` (replaced), spanning `days` days before `nowS`:
 * written once at an estimated count, again with more entries if it came out smaller.
 * Returns { bytes, entries, unitEntries, inLookback }.
 */
export async function writeJournal(dir, targetBytes, { days = 7, nowS = Date.now() / 1000, seed = 1, bytesPerEntry = 640 } = {}) {
  if (!existsSync(JOURNAL_REMOTE)) throw new Error(`${JOURNAL_REMOTE} is missing: apt-get install systemd-journal-remote (scripts/setup.mjs test installs it)`);
  let count = Math.ceil(targetBytes / bytesPerEntry);
  for (let tries = 0; ; tries++) {
    const r = await writeEntries(dir, count, { days, nowS, seed });
    if (r.bytes >= targetBytes || tries === 2) return r;
    count = Math.ceil((count * targetBytes * 1.05) / r.bytes);
  }
}

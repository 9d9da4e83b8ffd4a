import { int, parsed, parseFail, seconds, uint, type ParseResult } from '../../../src/core/parse-result.js';

/**
 * OOM kills as events, from `dmesg --raw` (pure). One kill is a block of kernel messages
 * (mm/oom_kill.c, mm/memcontrol.c); the ones used here, as Linux 6.18 prints them:
 *
 *   <4>[ 1313.236819] hog invoked oom-killer: gfp_mask=0xcc0(GFP_KERNEL), order=0, oom_score_adj=0
 *   <6>[ 1313.237005] memory: usage 16384kB, limit 16384kB, failcnt 214        (memcg OOM only)
 *   <6>[ 1313.237008] memory+swap: usage 16384kB, limit 9007199254740988kB, failcnt 0   (v1; v2: "swap:")
 *   <6>[ 1313.237010] Memory cgroup stats for /dcg-oomcap:
 *   <6>[ 1313.237058] oom-kill:constraint=CONSTRAINT_MEMCG,nodemask=(null),cpuset=/,mems_allowed=0,oom_memcg=/dcg-oomcap,task_memcg=/dcg-oomcap/child,task=hog,pid=7192,uid=0
 *   <3>[ 1313.237074] Memory cgroup out of memory: Killed process 7192 (hog) total-vm:24540kB, anon-rss:16256kB, file-rss:4408kB, shmem-rss:0kB, UID:0 pgtables:84kB oom_score_adj:0
 *
 * A global OOM says "global_oom" instead of oom_memcg= and "Out of memory: Killed process".
 * Older kernels: "Task in /x killed as a result of limit of /y" (before 4.19) and a bare
 * "Killed process PID (comm) total-vm:..kB, anon-rss:..kB, file-rss:..kB[, shmem-rss:..kB]"
 * after "Kill process PID (comm) score N or sacrifice child" (before 5.1). The header is rate
 * limited (oom_rs); the "Killed process" line is always printed, so it alone makes an event and
 * the context before it is added when it names the same victim.
 */
export interface OomKill {
  /** Stable across samples: the kernel time of the "Killed process" line and the PID ("1313.237074/7192"). */
  readonly key: string;
  /** Seconds since boot (undefined without printk timestamps). */
  readonly at: number | undefined;
  readonly pid: number;
  /** Missing when the line was cut before it. */
  readonly comm?: string;
  readonly uid?: number;
  /** Bytes. */
  readonly totalVm?: number;
  readonly anonRss?: number;
  readonly fileRss?: number;
  readonly shmemRss?: number;
  readonly pgtables?: number;
  readonly oomScoreAdj?: number;
  /** CONSTRAINT_MEMCG (a cgroup's limit), CONSTRAINT_NONE (the whole machine), CONSTRAINT_CPUSET, CONSTRAINT_MEMORY_POLICY. */
  readonly constraint?: string;
  /** The memory cgroup whose limit was hit (memcg OOM). */
  readonly oomMemcg?: string;
  /** The victim's memory cgroup. */
  readonly taskMemcg?: string;
  readonly cpuset?: string;
  /** "Memory cgroup out of memory", "Out of memory"... (what precedes "Killed process"). */
  readonly reason?: string;
  /** The task whose allocation invoked the OOM killer, its allocation flags and order. */
  readonly invoker?: string;
  readonly gfpMask?: string;
  readonly order?: number;
  /** The memcg's counters when it went OOM (bytes; a v1 "no limit" is left out). */
  readonly memcgUsage?: number;
  readonly memcgLimit?: number;
  readonly memswUsage?: number;
  readonly memswLimit?: number;
  /** The "Killed process" message, at most 300 characters. */
  readonly message: string;
}

export interface OomKills {
  /** Oldest first. */
  readonly events: OomKill[];
  /** "Killed process" lines that did not parse (no PID): counted, not guessed. */
  readonly garbled: number;
}

/** Linux's PID_MAX_LIMIT (4M on 64-bit): a larger "PID" is garbage. */
const PID_MAX_LIMIT = 4 * 1024 * 1024;
const LINE = /^<(\d{1,3})>(?:\[\s*(\d+)\.(\d+)\]\s?)?(.*)$/;
const INVOKED = /^(.*) invoked oom-killer: gfp_mask=(\S+?),(?: nodemask=\S+,)? order=(-?\d+)/;
const COUNTER = /^(memory|memory\+swap|swap): usage (\d+)kB, limit (\d+)kB/;
const KILLED = /^(?:(.*): )?Killed process (\S+)(.*)$/;
const TASK_IN = /^Task in (.*) killed as a result of limit of (.*)$/;
const KB_FIELDS = [
  ['totalVm', /\btotal-vm:(\d+)kB/],
  ['anonRss', /\banon-rss:(\d+)kB/],
  ['fileRss', /\bfile-rss:(\d+)kB/],
  ['shmemRss', /\bshmem-rss:(\d+)kB/],
  ['pgtables', /\bpgtables:(\d+)kB/],
] as const;

/** A kB count in bytes; v1 prints "no limit" as PAGE_COUNTER_MAX pages (9007199254740988 kB): no limit. */
function kbToBytes(text: string | undefined): number | undefined {
  const v = uint(text);
  if (v === undefined) return undefined;
  const b = v * 1024;
  return b >= 2 ** 62 || !Number.isSafeInteger(b) ? undefined : b;
}

interface Context {
  invoker?: string;
  gfpMask?: string;
  order?: number;
  memcgUsage?: number;
  memcgLimit?: number;
  memswUsage?: number;
  memswLimit?: number;
  statsFor?: string;
  constraint?: string;
  oomMemcg?: string;
  taskMemcg?: string;
  cpuset?: string;
  global?: boolean;
  /** pid= of the oom-kill: line, which must name the victim of the Killed line that follows. */
  victim?: number;
}

function parseSummary(msg: string, ctx: Context): void {
  // oom-kill:constraint=...,nodemask=...,cpuset=...,mems_allowed=...,(oom_memcg=...|global_oom),task_memcg=...,task=...,pid=N,uid=N
  // Values may hold commas (a nodemask "0-1,3", cgroup names): only the known keys delimit.
  ctx.constraint = /^oom-kill:constraint=([A-Z_]+)/.exec(msg)?.[1];
  ctx.cpuset = /,cpuset=(.*?),mems_allowed=/.exec(msg)?.[1];
  ctx.oomMemcg = /,oom_memcg=(.*?),task_memcg=/.exec(msg)?.[1];
  ctx.global = /,global_oom(?:,|$)/.test(msg);
  const tail = /,task_memcg=(.*),task=(.*),pid=(\d+),uid=(\d+)\s*$/.exec(msg);
  if (tail) {
    ctx.taskMemcg = tail[1];
    ctx.victim = uint(tail[3]);
  }
}

export function parseOomKills(text: string, keep = 256): ParseResult<OomKills> {
  const events: OomKill[] = [];
  let garbled = 0;
  let sawPrefix = false;
  let ctx: Context = {};
  let untimed = 0;
  for (const raw of text.split('\n')) {
    if (raw.length === 0) continue;
    const m = LINE.exec(raw);
    if (!m) continue; // continuation of a multi-line message
    sawPrefix = true;
    if (Number(m[1]) >> 3 !== 0) continue; // not from the kernel: user space can write to /dev/kmsg
    const msg = m[4] ?? '';
    const inv = INVOKED.exec(msg);
    if (inv) {
      ctx = { invoker: inv[1], gfpMask: inv[2], order: int(inv[3]) };
      continue;
    }
    const c = COUNTER.exec(msg);
    if (c) {
      if (c[1] === 'memory') {
        ctx.memcgUsage = kbToBytes(c[2]);
        ctx.memcgLimit = kbToBytes(c[3]);
      } else {
        ctx.memswUsage = kbToBytes(c[2]);
        ctx.memswLimit = kbToBytes(c[3]);
      }
      continue;
    }
    if (msg.startsWith('Memory cgroup stats for ')) {
      ctx.statsFor = msg.slice(24).replace(/:$/, '');
      continue;
    }
    if (msg.startsWith('oom-kill:')) {
      parseSummary(msg, ctx);
      continue;
    }
    const ti = TASK_IN.exec(msg);
    if (ti) {
      ctx.taskMemcg = ti[1];
      ctx.oomMemcg = ti[2];
      ctx.constraint ??= 'CONSTRAINT_MEMCG';
      continue;
    }
    const k = KILLED.exec(msg);
    if (!k) continue;
    const pid = uint(k[2]);
    if (pid === undefined || pid > PID_MAX_LIMIT) {
      garbled++;
      continue;
    }
    // The comm is at most 15 characters but may hold spaces and parentheses: " (hog (x) y) total-vm:".
    const rest = k[3] ?? '';
    const open = rest.startsWith(' (');
    const cut = rest.indexOf(') total-vm:');
    const comm = !open ? undefined : cut >= 0 ? rest.slice(2, cut) : rest.endsWith(')') ? rest.slice(2, -1) : undefined;
    const after = cut >= 0 ? rest.slice(cut) : '';
    const at = m[2] === undefined ? undefined : seconds(m[2], m[3]);
    const same: Context = ctx.victim === undefined || ctx.victim === pid ? ctx : {};
    const kb: Partial<Record<(typeof KB_FIELDS)[number][0], number>> = {};
    for (const [name, re] of KB_FIELDS) {
      const v = kbToBytes(re.exec(after)?.[1]);
      if (v !== undefined) kb[name] = v;
    }
    const uid = uint(/\bUID:(\d+)/.exec(after)?.[1]);
    const adj = int(/\boom_score_adj:(-?\d+)/.exec(after)?.[1]);
    const constraint = same.constraint ?? (same.global ? 'CONSTRAINT_NONE' : undefined);
    const oomMemcg = same.oomMemcg ?? (constraint === 'CONSTRAINT_MEMCG' ? same.statsFor : undefined);
    events.push({
      key: `${at === undefined ? `?${++untimed}` : `${m[2]}.${m[3]}`}/${pid}`,
      at,
      pid,
      ...(comm !== undefined ? { comm } : {}),
      ...(uid !== undefined ? { uid } : {}),
      ...kb,
      ...(adj !== undefined ? { oomScoreAdj: adj } : {}),
      ...(constraint !== undefined ? { constraint } : {}),
      ...(oomMemcg !== undefined ? { oomMemcg } : {}),
      ...(same.taskMemcg !== undefined ? { taskMemcg: same.taskMemcg } : {}),
      ...(same.cpuset !== undefined ? { cpuset: same.cpuset } : {}),
      ...(k[1] !== undefined ? { reason: k[1] } : {}),
      ...(same.invoker !== undefined ? { invoker: same.invoker } : {}),
      ...(same.gfpMask !== undefined ? { gfpMask: same.gfpMask } : {}),
      ...(same.order !== undefined ? { order: same.order } : {}),
      ...(same.memcgUsage !== undefined ? { memcgUsage: same.memcgUsage } : {}),
      ...(same.memcgLimit !== undefined ? { memcgLimit: same.memcgLimit } : {}),
      ...(same.memswUsage !== undefined ? { memswUsage: same.memswUsage } : {}),
      ...(same.memswLimit !== undefined ? { memswLimit: same.memswLimit } : {}),
      message: msg.slice(0, 300),
    });
    ctx = {};
  }
  if (!sawPrefix && text.trim().length > 0) return parseFail('dmesg --raw', 'no "<level>[time] message" lines: expected the output of dmesg --raw');
  return parsed({ events: events.length > keep ? events.slice(events.length - keep) : events, garbled });
}

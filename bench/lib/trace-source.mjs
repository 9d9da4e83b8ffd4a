// Sources used by the scan benchmark to split "what diag reads" from "what diag does with it".
//   TraceSource  wraps a live source and keeps every call (kind + path) and its answer, so the
//                bench can hand the exact same read plan to the C reader and replay the answers.
//   ReplaySource answers from a TraceSource's memory: diag's work on the inputs without the
//                system calls. File texts are kept as bytes and decoded on every read, as the
//                live source decodes them, so only the syscalls are left out.

/** A Source wrapper recording every call and answer. */
export class TraceSource {
  constructor(inner) {
    this.inner = inner;
    this.kind = 'recording';
    this.description = `trace of ${inner.description}`;
    /** Every call in order: { kind: 'file'|'dir'|'link'|'statfs', path }. */
    this.calls = [];
    this.commands = [];
    this.answers = new Map();
  }
  keep(kind, path, o) {
    this.calls.push({ kind, path });
    this.answers.set(`${kind} ${path}`, kind === 'file' && o.status === 'ok' ? { status: 'ok', bytes: Buffer.from(o.value, 'utf8') } : o);
    return o;
  }
  readFile(path) {
    return this.keep('file', path, this.inner.readFile(path));
  }
  readDir(path) {
    return this.keep('dir', path, this.inner.readDir(path));
  }
  readLink(path) {
    return this.keep('link', path, this.inner.readLink(path));
  }
  statfs(path, opts) {
    // mayHang statfs runs `stat -f` in a child process on the live source: count those apart.
    if (opts?.mayHang) this.boundedStatfs = (this.boundedStatfs ?? 0) + 1;
    return this.keep('statfs', path, this.inner.statfs(path, opts));
  }
  now(label) {
    return this.inner.now(label);
  }
  async run(spec) {
    const o = await this.inner.run(spec);
    this.commands.push(spec);
    this.answers.set(`run ${JSON.stringify([spec.cmd, spec.args, spec.netnsPid ?? null])}`, o);
    return o;
  }
}

const notRecorded = (what) => ({ status: 'unavailable', reason: `${what} was not recorded` });

/** Replays a TraceSource's answers from memory. */
export class ReplaySource {
  constructor(trace, clockFrom) {
    this.answers = trace.answers;
    this.clockFrom = clockFrom;
    this.kind = 'fixture';
    this.description = 'in-memory replay';
  }
  readFile(path) {
    const a = this.answers.get(`file ${path}`);
    if (a === undefined) return notRecorded(path);
    return a.status === 'ok' ? { status: 'ok', value: a.bytes.toString('utf8') } : a;
  }
  readDir(path) {
    const a = this.answers.get(`dir ${path}`);
    if (a === undefined) return notRecorded(path);
    return a.status === 'ok' ? { status: 'ok', value: [...a.value] } : a;
  }
  readLink(path) {
    return this.answers.get(`link ${path}`) ?? notRecorded(path);
  }
  statfs(path) {
    return this.answers.get(`statfs ${path}`) ?? notRecorded(`statfs(${path})`);
  }
  now(label) {
    return this.clockFrom.now(label);
  }
  run(spec) {
    return Promise.resolve(this.answers.get(`run ${JSON.stringify([spec.cmd, spec.args, spec.netnsPid ?? null])}`) ?? notRecorded(spec.cmd));
  }
}

const PER_PID = /^\/proc\/(\d+)(?:\/(.*))?$/;

/**
 * The C reader's plan from a trace of one scan: host paths as they are, and per-process paths
 * (/proc/PID/x read for at least half the PIDs) as templates applied to every PID. Per-process
 * paths read for only a few PIDs stay fixed paths. Returns the plan text and a summary.
 */
export function planFromTrace(calls) {
  const KIND = { file: 'F', dir: 'D', link: 'L', statfs: 'S' };
  const perPid = new Map(); // "kind rest" -> Set of pids
  const pids = new Set();
  const host = [];
  const skipped = [];
  const seen = new Set();
  let duplicates = 0;
  let listedProc = false;
  for (const { kind, path } of calls) {
    const id = `${kind} ${path}`;
    if (seen.has(id)) {
      duplicates++;
      continue;
    }
    seen.add(id);
    if (path.includes('\n')) {
      skipped.push(path);
      continue;
    }
    const m = kind === 'statfs' ? null : PER_PID.exec(path);
    if (m) {
      pids.add(m[1]);
      const key = `${kind} ${m[2] === undefined || m[2] === '' ? '.' : m[2]}`;
      if (!perPid.has(key)) perPid.set(key, new Set());
      perPid.get(key).add(m[1]);
    } else if (kind === 'dir' && (path === '/proc' || path === '/proc/')) {
      listedProc = true;
    } else {
      host.push(`${KIND[kind]} ${path}`);
    }
  }
  const templates = [];
  for (const [key, set] of perPid) {
    const sp = key.indexOf(' ');
    const kind = key.slice(0, sp);
    const rest = key.slice(sp + 1);
    if (set.size >= Math.max(1, pids.size / 2)) templates.push(`${KIND[kind].toLowerCase()} ${rest}`);
    else for (const pid of set) host.push(`${KIND[kind]} /proc/${pid}${rest === '.' ? '' : `/${rest}`}`);
  }
  // The C reader lists /proc to find the PIDs when it has per-PID templates; otherwise it lists
  // /proc only if diag did.
  if (listedProc && templates.length === 0) host.push('D /proc');
  const uniqueHost = [...new Set(host)];
  return {
    text: [...uniqueHost, ...templates].join('\n') + '\n',
    hostItems: uniqueHost.length,
    templates,
    pidsSeen: pids.size,
    /** Inputs diag read more than once in one scan (the C reader reads each once). */
    duplicates,
    skipped,
  };
}

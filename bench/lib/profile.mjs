// CPU profiling of a piece of a benchmark through the inspector (same data as node --cpu-prof,
// but only around the code being measured). Writes a .cpuprofile (open it in Chrome DevTools
// or speedscope) and summarises self time per function and per file.
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';

function post(session, method, params = {}) {
  return new Promise((resolve, reject) => session.post(method, params, (err, res) => (err ? reject(err) : resolve(res))));
}

/** Run fn under the sampling profiler; returns { result, profile }. */
export async function profiled(fn, { intervalUs = 100 } = {}) {
  const session = new Session();
  session.connect();
  try {
    await post(session, 'Profiler.enable');
    await post(session, 'Profiler.setSamplingInterval', { interval: intervalUs });
    await post(session, 'Profiler.start');
    const result = await fn();
    const { profile } = await post(session, 'Profiler.stop');
    return { result, profile };
  } finally {
    session.disconnect();
  }
}

function shortUrl(url, root) {
  if (!url) return '';
  try {
    return url.startsWith('file:') ? relative(root, fileURLToPath(url)) : url;
  } catch {
    return url;
  }
}

/** Self time per function and per file, biggest first, as percentages of all samples. */
export function summarise(profile, root, top = 15) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const hits = new Map();
  for (const id of profile.samples) hits.set(id, (hits.get(id) ?? 0) + 1);
  const total = profile.samples.length || 1;
  const fns = new Map();
  const files = new Map();
  for (const [id, count] of hits) {
    const n = byId.get(id);
    if (!n) continue;
    const cf = n.callFrame;
    const file = shortUrl(cf.url, root) || `(${cf.functionName || 'native'})`;
    const name = `${cf.functionName || '(anonymous)'} ${file}${cf.url ? `:${cf.lineNumber + 1}` : ''}`;
    fns.set(name, (fns.get(name) ?? 0) + count);
    files.set(file, (files.get(file) ?? 0) + count);
  }
  const pct = (m) =>
    [...m.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([k, v]) => ({ what: k, selfPct: Math.round((1000 * v) / total) / 10 }));
  return { samples: total, functions: pct(fns), files: pct(files) };
}

export function writeProfile(path, profile) {
  writeFileSync(path, JSON.stringify(profile));
}

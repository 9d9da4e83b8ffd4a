import { whyMissing } from '../frame.js';
import { bar, bytes, fit, num, pct, safe } from '../text.js';
import { alarm, toneOf } from '../tones.js';
import { memoryVM } from '../view-models/resources.js';
import type { TextPanel } from './types.js';

/** RAM and swap as bars (coloured by the playbooks' thresholds), reclaim, pressure, OOM kills. */
export const memoryPanel: TextPanel = {
  kind: 'text',
  id: 'memory',
  title: 'Memory',
  selectable: false,
  lines(f, env, t, width) {
    const m = memoryVM(f.model);
    if (m.total === undefined) return [t.tone('unknown', safe(whyMissing(f.model, 'meminfo') ?? 'no memory data'))];
    const bw = Math.max(4, width - 30);
    const usedF = m.used !== undefined && m.total ? m.used / m.total : undefined;
    const swapF = m.swapTotal ? (m.swapUsed ?? 0) / m.swapTotal : undefined;
    const tone = (metric: string) => toneOf(env.tones, f, metric) ?? 'dim';
    const oom = alarm(toneOf(env.tones, f, 'vmstat.oom_kill'));
    const oomText = `OOM kills ${m.oomKills ?? 0}`;
    return [
      `mem  ${t.tone(tone('meminfo.used_pct'), bar(usedF, bw, t.unicode))} ${fit(bytes(m.used), 6, 'right')}/${fit(bytes(m.total), 6)}`,
      `swap ${m.swapTotal ? t.tone(tone('meminfo.swap_used_pct'), bar(swapF, bw, t.unicode)) : fit('(no swap)', bw)} ${fit(bytes(m.swapUsed), 6, 'right')}/${fit(bytes(m.swapTotal), 6)}`,
      `avail ${m.availableEstimated ? `~${bytes(m.available)} (estimate)` : bytes(m.available)}  cache ${bytes(m.buffCache)}`,
      `majflt/s ${num(m.majorFaults)}  scan/s ${num(m.scan)}  swap io/s ${num(m.swapIo)}`,
      `PSI some ${pct(m.psiSome)} full ${pct(m.psiFull)}  ${oom ? t.tone(oom, oomText) : oomText}`,
    ];
  },
};

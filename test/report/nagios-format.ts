/**
 * A strict reader of monitoring plugin output, as the Nagios plugin guidelines and
 * monitoring-plugins' development guidelines define it (what Nagios/Icinga core parse): the
 * first line is the status text, up to a `|`; the lines after it are long output up to the first
 * `|`, the rest is performance data, `'label'=value[UOM];[warn];[crit];[min];[max]` separated by
 * spaces, numbers in the C locale.
 */
export interface PerfDatum {
  readonly label: string;
  readonly value: number;
  readonly uom: string;
  readonly warn: string;
  readonly crit: string;
  readonly min: string;
  readonly max: string;
}

export interface PluginOutput {
  readonly status: string;
  readonly longOutput: readonly string[];
  readonly perf: readonly PerfDatum[];
}

const NUM = '-?[0-9]+(?:\\.[0-9]+)?';
/** A threshold range: [@][start:][end], start may be ~ (guidelines, "Threshold and ranges"). */
const RANGE = `(?:@?(?:(?:~|${NUM}):)?(?:${NUM})?)`;
const DATUM = new RegExp(`^('(?:[^'=]|'')+'|[^'= ]+)=(${NUM})(s|ms|us|%|B|KB|MB|TB|c)?(?:;(${RANGE}))?(?:;(${RANGE}))?(?:;(${NUM})?)?(?:;(${NUM})?)?$`);

export function parsePluginOutput(text: string): PluginOutput {
  if (!text.endsWith('\n')) throw new Error('output does not end in a newline');
  const lines = text.slice(0, -1).split('\n');
  const first = lines[0] ?? '';
  const [status, firstPerf, ...extra] = first.split('|');
  if (extra.length > 0) throw new Error(`more than one | on the status line: ${first}`);
  const perfTexts: string[] = firstPerf === undefined ? [] : [firstPerf];
  const longOutput: string[] = [];
  let inPerf = false;
  for (const l of lines.slice(1)) {
    if (inPerf) {
      perfTexts.push(l);
      continue;
    }
    const i = l.indexOf('|');
    if (i < 0) longOutput.push(l);
    else {
      longOutput.push(l.slice(0, i));
      perfTexts.push(l.slice(i + 1));
      inPerf = true;
    }
  }
  const perf: PerfDatum[] = [];
  for (const item of perfTexts.join(' ').trim().split(/ +(?=(?:'[^']*'|[^'= ]+)=)/)) {
    if (item === '') continue;
    const m = DATUM.exec(item);
    if (!m) throw new Error(`performance datum not in the guidelines' syntax: ${JSON.stringify(item)}`);
    perf.push({ label: m[1]!.replace(/^'|'$/g, ''), value: Number(m[2]), uom: m[3] ?? '', warn: m[4] ?? '', crit: m[5] ?? '', min: m[6] ?? '', max: m[7] ?? '' });
  }
  return { status: status!.trimEnd(), longOutput, perf };
}

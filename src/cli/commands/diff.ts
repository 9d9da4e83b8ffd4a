import { diffModels, diffReports, type BundleDiff, type MetricChange } from '../../bundle/diff.js';
import { openOffline, type OfflineInput } from '../../bundle/input.js';
import { UsageError } from '../../core/errors.js';
import { sanitizeForTerminal } from '../../core/sanitize.js';
import { parseCommandArgs } from '../args.js';
import { replayUse } from '../replay-bundle.js';
import { cliSession } from '../session.js';
import { fmtNumber } from '../render-model.js';

export const HELP = `Usage: diag diff BUNDLE_A BUNDLE_B [--json] [--all]

Compare two snapshot bundles or sosreports (A before, B after), finding by finding and metric by metric:
findings that appeared, were resolved, or got worse or better; metrics by relative change;
rows (devices, interfaces, processes...) that appeared or disappeared. Both sides are
judged again from the bundles' raw inputs (as run playbook use --from does): the
results a bundle stores (report.json, records/model.json) are not read.
  --all    list every changed metric (text shows the 30 largest changes)
Exit code: 0 when no finding appeared or got worse, 1 when one did.`;

function fmtRel(m: MetricChange): string {
  if (!Number.isFinite(m.relative)) return m.relative > 0 ? 'from 0' : 'to 0';
  const pct = m.relative * 100;
  return `${pct > 0 ? '+' : ''}${pct.toFixed(pct > -10 && pct < 10 ? 1 : 0)}%`;
}

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs('diff', argv, { json: { type: 'boolean' }, all: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } });
  if (values.help) {
    process.stdout.write(HELP + '\n');
    return 0;
  }
  if (positionals.length !== 2) throw new UsageError('diff: give exactly two bundles, the older first', { hint: 'diag diff before.tar.gz after.tar.gz' });
  const a = await openOffline(positionals[0]!);
  let b: OfflineInput | undefined;
  try {
    b = await openOffline(positionals[1]!);
    if (Date.parse(b.takenAt) < Date.parse(a.takenAt)) {
      process.stderr.write(`diag: warning: the "after" input (${b.takenAt}) was taken before the "before" one (${a.takenAt}): appeared and resolved are swapped; give the older first\n`);
    }
    if (a.host.hostname !== b.host.hostname) process.stderr.write(`diag: warning: the two inputs come from different hosts (${sanitizeForTerminal(a.host.hostname)}, ${sanitizeForTerminal(b.host.hostname)})\n`);
    const session = cliSession(undefined, 'use');
    const ra = await replayUse(a, session);
    const rb = await replayUse(b, session);
    const diff: BundleDiff = { ...diffReports(ra.report, rb.report), ...diffModels(ra.records, rb.records) };
    if (values.json) {
      const rel = (m: MetricChange) => (Number.isFinite(m.relative) ? m.relative : null);
      process.stdout.write(
        JSON.stringify(
          {
            schema: 'diag.diff/v1',
            before: { file: a.file, createdAt: a.takenAt, host: a.bundle?.manifest.host ?? a.host },
            after: { file: b.file, createdAt: b.takenAt, host: b.bundle?.manifest.host ?? b.host },
            ...diff,
            metrics: diff.metrics.map((m) => ({ ...m, relative: rel(m) })),
          },
          null,
          2,
        ) + '\n',
      );
    } else {
      const out: string[] = [];
      out.push(`before: ${sanitizeForTerminal(a.file)} (${a.takenAt}, ${sanitizeForTerminal(a.host.hostname)}${a.kind === 'sosreport' ? ', sosreport' : ''})`);
      out.push(`after:  ${sanitizeForTerminal(b.file)} (${b.takenAt}, ${sanitizeForTerminal(b.host.hostname)}${b.kind === 'sosreport' ? ', sosreport' : ''})`);
      out.push(`status: ${diff.statusBefore} -> ${diff.statusAfter}`, '');
      const changed = diff.findings.filter((f) => f.change !== 'unchanged');
      out.push(changed.length === 0 ? 'findings: no change' : 'findings:');
      for (const f of changed) {
        const x = f.after ?? f.before!;
        const sev = f.before && f.after && f.before.severity !== f.after.severity ? `${f.before.severity} -> ${f.after.severity}` : x.severity;
        out.push(`  ${f.change.padEnd(9)} ${sev.padEnd(8)} ${x.resource}/${x.kind} ${sanitizeForTerminal(x.scope)}: ${sanitizeForTerminal(x.title)}`);
      }
      const unchanged = diff.findings.length - changed.length;
      if (unchanged > 0) out.push(`  (${unchanged} findings unchanged)`);
      // Noise filter for people: ignore changes between tiny values.
      const shown = diff.metrics.filter((m) => values.all || Math.max(Math.abs(m.before), Math.abs(m.after)) >= 1);
      const limit = values.all ? shown.length : 30;
      out.push('', `metrics: ${diff.metrics.length} values changed${shown.length > limit ? `, the ${limit} largest relative changes:` : ':'}`);
      for (const m of shown.slice(0, limit)) {
        out.push(`  ${fmtRel(m).padStart(8)}  ${m.metric} ${sanitizeForTerminal(m.scope)}: ${fmtNumber(m.before)} -> ${fmtNumber(m.after)} ${m.unit}`);
      }
      if (diff.rowsAppeared.length || diff.rowsDisappeared.length) {
        out.push('', `rows: ${diff.rowsAppeared.length} appeared, ${diff.rowsDisappeared.length} disappeared`);
        const list = (rows: Array<{ table: string; key: string }>) => {
          const byTable = new Map<string, string[]>();
          for (const r of rows) byTable.set(r.table, [...(byTable.get(r.table) ?? []), r.key]);
          return [...byTable].map(([t, keys]) => `    ${t}: ${keys.slice(0, 12).map(sanitizeForTerminal).join(', ')}${keys.length > 12 ? `, ... (${keys.length})` : ''}`);
        };
        if (diff.rowsAppeared.length) out.push('  appeared:', ...list(diff.rowsAppeared));
        if (diff.rowsDisappeared.length) out.push('  disappeared:', ...list(diff.rowsDisappeared));
      }
      process.stdout.write(out.join('\n') + '\n');
    }
    const worse = diff.findings.some((f) => f.change === 'appeared' || f.change === 'worse');
    return worse ? 1 : 0;
  } finally {
    a.close();
    b?.close();
  }
}

import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { UsageError } from '../../core/errors.js';
import { openBundle } from '../../bundle/reader.js';
import { EXIT_CODE_MODES, reportSchema, type ExitCodeMode, type Report } from '../../engine/report-schema.js';
import { runPlaybook } from '../../engine/run.js';
import { renderFleetText, summarizeFleet, type FleetHost } from '../../report/fleet.js';
import { parseCommandArgs } from '../args.js';
import { cliSession } from '../session.js';

export const HELP = `Usage: diag fleet DIR|FILE... [--json] [--exit-codes nagios|npd]

Many hosts' reports side by side: diag.report/v1 JSON files (diag run playbook use --json) and
snapshot bundles (.tar.gz, judged again from their raw inputs), given as files or found in
directories (to three levels down). Prints the hosts by status, the findings many hosts share
("7 of 20 hosts: ...") and the outliers only one host has ("1 host (db3): ..."), then a table of
hosts. A host is named by its file (db3.json, db3.tar.gz; report.json by its folder).
contrib/ansible/ gathers such reports from an inventory.

  --json               one diag.fleet/v1 document on stdout
  --exit-codes MODE    the worst host's status as nagios (default: 0 ok, 1 warning, 2 critical,
                       3 unknown) or npd (0 ok, 1 a problem, 2 unknown) exit codes; a file that
                       is not a report counts as an unknown host`;

const OPTIONS = {
  help: { type: 'boolean', short: 'h' },
  json: { type: 'boolean' },
  'exit-codes': { type: 'string' },
  quiet: { type: 'boolean', short: 'q' },
} as const;

const MAX_REPORT_BYTES = 64 * 1024 * 1024;
const isReportFile = (f: string) => f.endsWith('.json') || f.endsWith('.tar.gz') || f.endsWith('.tgz');

/** Report and bundle files under `dir`, sorted, at most `depth` levels down. */
function filesUnder(dir: string, depth: number): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
    if (e.name.startsWith('.')) continue;
    const p = join(dir, e.name);
    if (e.isDirectory() && depth > 0) out.push(...filesUnder(p, depth - 1));
    else if (e.isFile() && isReportFile(e.name)) out.push(p);
  }
  return out;
}

function hostName(file: string): string {
  const b = basename(file).replace(/\.(json|tar\.gz|tgz)$/, '');
  return b === 'report' ? basename(join(file, '..')) : b;
}

async function readHost(file: string, judgeBundle: (file: string) => Promise<Report>): Promise<FleetHost> {
  const name = hostName(file);
  try {
    if (!file.endsWith('.json')) return { name, source: file, report: await judgeBundle(file) };
    if (statSync(file).size > MAX_REPORT_BYTES) return { name, source: file, problem: `larger than ${MAX_REPORT_BYTES / 1024 / 1024} MB: not a report` };
    const parsed = reportSchema.safeParse(JSON.parse(readFileSync(file, 'utf8')));
    if (!parsed.success) {
      const i = parsed.error.issues[0];
      return { name, source: file, problem: `not a diag.report/v1 report (${i ? `${i.path.join('.') || 'document'}: ${i.message}` : 'invalid'})` };
    }
    return { name, source: file, report: parsed.data };
  } catch (err) {
    return { name, source: file, problem: err instanceof Error ? err.message : String(err) };
  }
}

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs('fleet', argv, OPTIONS);
  if (values.help) {
    process.stdout.write(HELP + '\n');
    return 0;
  }
  if (positionals.length === 0) throw new UsageError('fleet: which reports? give a directory or files', { hint: 'diag fleet reports/' });
  const mode = values['exit-codes'] ?? 'nagios';
  if (!(mode in EXIT_CODE_MODES)) throw new UsageError(`--exit-codes: expected nagios or npd, got ${JSON.stringify(mode)}`);
  const files: string[] = [];
  for (const p of positionals) {
    let st;
    try {
      st = statSync(p);
    } catch {
      throw new UsageError(`fleet: ${JSON.stringify(p)} does not exist`);
    }
    if (st.isDirectory()) files.push(...filesUnder(p, 3));
    else files.push(p);
  }
  if (files.length === 0) throw new UsageError(`fleet: no .json reports or .tar.gz bundles in ${positionals.join(', ')}`);
  let session: ReturnType<typeof cliSession> | undefined;
  const judgeBundle = async (file: string): Promise<Report> => {
    session ??= cliSession(undefined, 'use');
    const playbook = session.loaded.playbooks.get('use');
    if (!playbook) throw new Error('the use playbook did not load');
    const b = await openBundle(file);
    try {
      return await runPlaybook({ playbook, catalogue: session.catalogue, collectors: session.collectors, sources: b.sources, windowMs: b.manifest.windowMs });
    } finally {
      b.close();
    }
  };
  const hosts: FleetHost[] = [];
  for (const f of files) hosts.push(await readHost(f, judgeBundle));
  // the same file name twice (two folders): name them by path
  const counts = new Map<string, number>();
  for (const h of hosts) counts.set(h.name, (counts.get(h.name) ?? 0) + 1);
  const named = hosts.map((h) => ((counts.get(h.name) ?? 0) > 1 ? { ...h, name: h.source } : h));
  for (const h of named) if (h.problem && !values.quiet) process.stderr.write(`diag: fleet: ${h.source}: ${h.problem}\n`);
  const summary = summarizeFleet(named);
  process.stdout.write(values.json ? JSON.stringify(summary, null, 2) + '\n' : renderFleetText(summary));
  return EXIT_CODE_MODES[mode as ExitCodeMode][summary.status];
}

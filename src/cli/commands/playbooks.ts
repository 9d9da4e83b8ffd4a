import { sanitizeForTerminal as clean } from '../../core/sanitize.js';
import { USE_KINDS } from '../../engine/playbook-schema.js';
import { cliSession } from '../session.js';
import { parseCommandArgs, COMMON_OPTIONS } from '../args.js';

export const HELP = `Usage: diag playbooks [--json] [--playbook-dir DIR] [-v]

List the playbooks: built-in (playbooks/), /etc/diag/playbooks, ~/.config/diag/playbooks and
--playbook-dir. Invalid playbook files are listed with the file, line and field at fault
(exit 3 when there is one). -v lists each playbook's checks.`;

export async function run(argv: string[]): Promise<number> {
  const { values } = parseCommandArgs('playbooks', argv, { ...COMMON_OPTIONS, json: { type: 'boolean' }, 'playbook-dir': { type: 'string' }, verbose: { type: 'boolean', short: 'v' } });
  if (values.help) {
    process.stdout.write(HELP + '\n');
    return 0;
  }
  const { loaded } = cliSession(values['playbook-dir']);
  const list = [...loaded.playbooks.values()].sort((a, b) => (a.name === 'use' ? -1 : b.name === 'use' ? 1 : a.name.localeCompare(b.name)));
  if (values.json) {
    const doc = {
      schema: 'diag.playbooks/v1',
      playbooks: list.map((p) => ({
        name: p.name,
        title: p.title,
        description: p.description.trim(),
        file: p.file,
        origin: p.origin,
        ...(p.overrides ? { overrides: p.overrides } : {}),
        target: p.target,
        resources: p.resources,
        includes: p.includes,
        essential: p.essential,
        checks: p.checks.map((c) => ({ id: c.id, resource: c.resource, kind: c.kind, metric: c.metric, playbook: c.playbook })),
      })),
      errors: loaded.errors.map((e) => ({ file: e.file, line: e.position?.line ?? null, column: e.position?.column ?? null, field: e.field, message: e.message })),
    };
    process.stdout.write(JSON.stringify(doc, null, 2) + '\n');
    return loaded.errors.length > 0 ? 3 : 0;
  }
  const w = Math.max(4, ...list.map((p) => p.name.length));
  for (const p of list) {
    const cells = p.resources.length * USE_KINDS.length;
    const covered = new Set(p.checks.map((c) => `${c.resource}/${c.kind}`)).size;
    const tgt = p.target === 'required' ? ' [--pid|--cgroup]' : '';
    process.stdout.write(`${p.name.padEnd(w)}  ${clean(p.title)}${tgt}\n${''.padEnd(w)}  ${p.checks.length} checks, ${covered}/${cells} USE cells; ${p.origin}${p.origin === 'builtin' ? '' : `: ${clean(p.file)}`}${p.overrides ? ` (overrides ${clean(p.overrides)})` : ''}\n`);
    if (values.verbose) for (const c of p.checks) process.stdout.write(`${''.padEnd(w)}    ${c.id}: ${c.resource} ${c.kind} <- ${c.metric}\n`);
  }
  if (loaded.errors.length > 0) {
    process.stdout.write(`\nInvalid playbooks (not loaded):\n`);
    for (const e of loaded.errors) process.stdout.write(`  ${clean(e.toString())}\n`);
    return 3;
  }
  return 0;
}

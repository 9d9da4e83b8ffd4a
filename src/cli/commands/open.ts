import { UsageError } from '../../core/errors.js';
import { parseCommandArgs } from '../args.js';
import { launchBundleTui } from '../tui-launch.js';

export const HELP = `Usage: diag open BUNDLE.tar.gz|SOSREPORT [--playbook-dir DIR] [--no-mouse]

Open the terminal UI on a snapshot bundle, offline: the same panels, findings and guided
investigation as on the live host, with time frozen at the capture (probes need a live host).
A sosreport (.tar.xz, .tar.gz or extracted folder) opens at its one moment: levels and
limits are shown, rates are unknown. Needs a terminal; for a report use:
diag run playbook use --from BUNDLE
--no-mouse leaves the mouse to the terminal (no clicks or wheel in the UI).`;

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs('open', argv, { help: { type: 'boolean', short: 'h' }, 'playbook-dir': { type: 'string' }, 'no-mouse': { type: 'boolean' } });
  if (values.help) {
    process.stdout.write(HELP + '\n');
    return 0;
  }
  if (positionals.length !== 1) throw new UsageError('open: give one bundle', { hint: 'diag open diag-host-20261122-031500.tar.gz' });
  if (!process.stdout.isTTY || !process.stdin.isTTY) throw new UsageError('open: needs a terminal', { hint: `for a report without a terminal: diag run playbook use --from ${positionals[0]}` });
  return launchBundleTui(positionals[0]!, values['playbook-dir'], values['no-mouse'] !== true);
}

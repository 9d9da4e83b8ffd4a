import { UsageError } from '../../core/errors.js';
import { parseCommandArgs } from '../args.js';
import { parseDelay, TUI_OPTIONS } from '../tui-options.js';
import { runNamedPlaybook, RUN_OPTIONS } from './run.js';

export const HELP = `Usage: diag [--json | --markdown] [--window 1s] [--playbook-dir DIR] [--root DIR]
       diag [--delay 2s | -d 20] [--allow-signals] [--no-mouse]

With no command on a terminal, diag opens the terminal UI (press ? for its keys),
refreshed every second, or every --delay (a duration, or tenths of a second as htop's -d).
--allow-signals lets F9 signal (after a y/N) and F7/F8 renice the selected process;
without it, and always on a bundle or with --root, those keys send nothing.
A click selects a row or sorts by a column title, the wheel scrolls (Shift-drag selects
text in most terminals); --no-mouse leaves the mouse to the terminal.
Otherwise (or with --json / --markdown, TERM=dumb, or DIAG_NO_TUI=1) it runs the 'use' playbook (every resource: utilization, saturation,
errors) and prints its report; the exit code follows the report (0 ok, 1 warning,
2 critical, 3 could not judge). \`diag overview\` prints every collector's raw view instead.`;

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs('diag', argv, { ...RUN_OPTIONS, ...TUI_OPTIONS });
  if (values.help) {
    process.stdout.write(HELP + '\n');
    return 0;
  }
  if (positionals.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(positionals[0])}`, { hint: 'see diag --help' });
  const refreshMs = parseDelay(values.delay);
  // On a terminal (and asked for no report format): the TUI. Otherwise the 'use' report.
  // TERM=dumb cannot move the cursor: a full-screen UI there is garbage, so it gets the report.
  if (process.stdout.isTTY && process.stdin.isTTY && process.env.TERM !== 'dumb' && !values.json && !values.markdown && !values.nagios && values.openmetrics === undefined && process.env.DIAG_NO_TUI !== '1') {
    const { launchLiveTui } = await import('../tui-launch.js');
    const { liveSourceFor } = await import('../source-options.js');
    return launchLiveTui(liveSourceFor(values.root), refreshMs, values['playbook-dir'], values['allow-signals'] === true && values.root === undefined, values['no-mouse'] !== true);
  }
  return runNamedPlaybook('use', values);
}

import { parseCommandArgs } from '../args.js';
import { runNamedPlaybook, RUN_OPTIONS } from './run.js';

export const HELP = `Usage: diag [--json | --markdown] [--window 1s] [--playbook-dir DIR] [--root DIR]

With no command, diag runs the 'use' playbook (every resource: utilization, saturation,
errors) and prints its report; the exit code follows the report (0 ok, 1 warning,
2 critical, 3 could not judge). \`diag overview\` prints every collector's raw view instead.`;

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs('diag', argv, RUN_OPTIONS);
  if (values.help) {
    process.stdout.write(HELP + '\n');
    return 0;
  }
  if (positionals.length > 0) return 64;
  // A TTY gets the same text report for now (the TUI is a later issue).
  return runNamedPlaybook('use', values);
}

import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UsageError } from '../core/errors.js';

type Options = NonNullable<ParseArgsConfig['options']>;

/** parseArgs with its errors turned into UsageError (exit 64) with the command named. */
export function parseCommandArgs<O extends Options>(command: string, argv: string[], options: O) {
  try {
    return parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (err) {
    const msg = err instanceof Error ? err.message.replace(/\. To specify a positional argument.*$/s, '') : String(err);
    // The command with no subcommand is diag itself: "diag: Unknown option", not "diag: diag: ...".
    const top = command === 'diag';
    throw new UsageError(top ? msg : `${command}: ${msg}`, { hint: top ? 'see diag --help' : `see diag ${command} --help` });
  }
}

export const COMMON_OPTIONS = {
  root: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
  /** No colour in text output (also NO_COLOR=1; colour is only ever on for a terminal). */
  'no-color': { type: 'boolean' },
} as const;

/** `--at -10m` as `--at=-10m`: a relative time starts with a dash, which parseArgs takes for an option. */
export function joinRelativeTimes(argv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const next = argv[i + 1];
    if ((a === '--at' || a === '--since') && next !== undefined && /^-\d/.test(next)) {
      out.push(`${a}=${next}`);
      i++;
    } else out.push(a);
  }
  return out;
}

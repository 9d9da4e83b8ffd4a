import { parseCommandArgs } from '../args.js';
import { cliReference, type Reference } from '../reference.js';

export const HELP = `Usage: diag man

Print diag's manual page (roff, section 1), made from the same help texts as --help, so it
never disagrees with them. Read it with: diag man | man -l -
Install it with: diag man > /usr/local/share/man/man1/diag.1`;

/** Text for roff: backslashes escaped, no line read as a request, hyphens as minus signs. */
function roff(text: string): string {
  return text
    .split('\n')
    .map((l) => l.replace(/\\/g, '\\e').replace(/-/g, '\\-'))
    .map((l) => (/^[.']/.test(l) ? `\\&${l}` : l))
    .join('\n');
}

export function manPage(ref: Reference): string {
  const out = [
    `.TH DIAG 1 "" "diag ${ref.version}" "User Commands"`,
    '.SH NAME',
    'diag \\- Linux troubleshooting: from "something is slow" to a named cause, with evidence',
    '.SH SYNOPSIS',
    '.B diag',
    '[\\fIcommand\\fR] [\\fIoptions\\fR]',
    '.SH DESCRIPTION',
    '.nf',
    roff(ref.help),
    '.fi',
    '.SH COMMANDS',
  ];
  for (const c of ref.commands) out.push(`.SS diag ${c.name}`, '.nf', roff(c.help), '.fi');
  out.push(
    '.SH ENVIRONMENT',
    '.TP',
    '.B NO_COLOR',
    'When set and not empty, text output has no colour (as \\-\\-no\\-color).',
    '.SH SEE ALSO',
    '.BR ss (8),',
    '.BR tc (8),',
    '.BR sar (1),',
    '.BR sos (1)',
  );
  return out.join('\n') + '\n';
}

export async function run(argv: string[]): Promise<number> {
  const { positionals } = parseCommandArgs('man', argv, { help: { type: 'boolean', short: 'h' } });
  if (positionals.length > 0) throw new (await import('../../core/errors.js')).UsageError(`man: unexpected argument ${JSON.stringify(positionals[0])}`);
  process.stdout.write(manPage(await cliReference()));
  return 0;
}

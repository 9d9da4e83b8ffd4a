import { COLLECTORS } from '../../collectors/index.js';
import { fitHelp } from './help-format.js';
import { diagVersion } from './version.js';

/**
 * Everything the manual page and the completion scripts say, from the one source the CLI prints:
 * diag's help, each command's help (at 80 columns, as --help prints it) and the options its
 * usage lines name.
 */
export interface CommandReference {
  readonly name: string;
  readonly summary: string;
  readonly help: string;
  /** Long options named in the help ("--json", "--window"). */
  readonly options: readonly string[];
}

export interface Reference {
  readonly version: string;
  readonly help: string;
  readonly commands: readonly CommandReference[];
  readonly collectors: readonly string[];
}

export async function cliReference(): Promise<Reference> {
  // main.ts imports this module's users lazily; by then it is loaded.
  const { COMMANDS, help } = await import('./main.js');
  const commands: CommandReference[] = [];
  for (const [name, c] of Object.entries(COMMANDS)) {
    const mod = await c.load();
    const text = fitHelp(mod.HELP);
    const options = [...new Set([...text.matchAll(/(?<![\w-])--[a-z][a-z-]*/g)].map((m) => m[0]))].sort();
    commands.push({ name, summary: c.summary, help: text, options });
  }
  return { version: diagVersion(), help: fitHelp(help()), commands, collectors: COLLECTORS.map((c) => c.id) };
}

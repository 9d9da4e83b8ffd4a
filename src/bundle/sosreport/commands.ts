import type { CommandSpec } from '../../core/source.js';

/**
 * Which saved output of a sosreport answers a command diag would run, and how it is read. sos
 * saves each command's output under sos_commands/<plugin>/<mangled command line> (spaces become
 * "_", "/" becomes "."), so a command diag runs with exactly the arguments sos used is found by
 * that name in any plugin folder. A few of diag's commands differ from what sos runs only in a
 * flag that changes the format, not the content: those are listed here with the reading that
 * makes sos's output what diag's parser expects. Anything else is not captured: a sosreport is
 * never answered with a command run on the machine reading it.
 */
export interface SosCommandMatch {
  /** Saved outputs to try, first found wins (basename under any sos_commands/<plugin>/). */
  readonly candidates: readonly SosCandidate[];
  /**
   * Saved outputs of the same command in another format (the text form of a JSON one): when
   * one of these exists, the JSON form is answered as a tool without JSON output would answer
   * ('bad-option'), so the collector reads the text form as it does on an old iproute2.
   */
  readonly otherForms?: readonly string[];
}

export interface SosCandidate {
  readonly name: string;
  /** Turns the saved text into what diag's command would have printed. */
  readonly read: (text: string) => string;
  /** Why this saved output is a reduced form of what diag reads (said with the answer). */
  readonly caveat?: string;
}

/** sos's file name for a command line (sos.utilities: spaces to "_", "/" to "."), cut as sos cuts it. */
export function mangleCommand(argv: readonly string[]): string {
  return argv.join(' ').replace(/\//g, '.').replace(/\s+/g, '_').replace(/[^\w.,+=:@%-]/g, '').slice(0, 255);
}

const same = (t: string): string => t;

/** `sysctl KEY...`: the lines of `sysctl -a` for those keys, in the order asked. */
export function sysctlFromAll(all: string, keys: readonly string[]): string {
  const values = new Map<string, string>();
  for (const line of all.split('\n')) {
    const i = line.indexOf(' = ');
    if (i > 0) values.set(line.slice(0, i).trim(), line);
  }
  return keys
    .map((k) => values.get(k))
    .filter((l): l is string => l !== undefined)
    .join('\n')
    .concat('\n');
}

/**
 * `dmesg` as sos saves it ("[  12.345678] message") in the form of `dmesg --raw` ("<6>[...]"):
 * sos's copy has no priority, so every line is given level 6 (info) with kernel facility; the
 * caveat says that errors by level alone cannot be counted from it.
 */
export function rawFromPlainDmesg(text: string): string {
  return text
    .split('\n')
    .map((l) => (/^\[\s*\d+\.\d+\]/.test(l) ? `<6>${l}` : l))
    .join('\n');
}

/** The saved output that answers `spec`, or undefined when sos has none for it. */
export function sosCommandFor(spec: CommandSpec): SosCommandMatch | undefined {
  // Commands inside another network namespace: sos names those by namespace name, which diag
  // does not know from a PID or a path.
  if (spec.netnsPid !== undefined || spec.netnsPath !== undefined) return undefined;
  const argv = [spec.cmd, ...spec.args];
  const exact = mangleCommand(argv);
  if (spec.cmd === 'sysctl' && spec.args.every((a) => !a.startsWith('-'))) {
    return { candidates: [{ name: 'sysctl_-a', read: (t) => sysctlFromAll(t, spec.args) }] };
  }
  if (spec.cmd === 'dmesg' && spec.args.length === 1 && spec.args[0] === '--raw') {
    return {
      candidates: [
        { name: 'dmesg_--raw', read: same },
        { name: 'dmesg_-r', read: same },
        {
          name: 'dmesg',
          read: rawFromPlainDmesg,
          caveat: 'the sosreport\'s dmesg has no message priorities: kernel errors are counted by their text only (OOM kills, I/O and filesystem errors, hung tasks, ...), not by level',
        },
      ],
    };
  }
  const json: readonly string[] = spec.args.filter((a) => a === '-j' || a === '-json' || a === '--json');
  if (json.length > 0) {
    return { candidates: [{ name: exact, read: same }], otherForms: [mangleCommand([spec.cmd, ...spec.args.filter((a) => !json.includes(a))])] };
  }
  return { candidates: [{ name: exact, read: same }] };
}

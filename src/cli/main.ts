import { DiagError, UsageError } from '../core/errors.js';
import { guardProcessOutput } from '../core/sanitize.js';
import { diagVersion } from './version.js';
import { fitHelp } from './help-format.js';

/** A subcommand: its module is imported only when it runs, to keep startup fast. */
export interface Command {
  readonly summary: string;
  readonly load: () => Promise<{ run(argv: string[]): Promise<number>; HELP: string }>;
}

/** Every subcommand, in the order --help lists them. Adding one is one line here. */
export const COMMANDS: Readonly<Record<string, Command>> = {
  run: { summary: 'judge the host with a playbook: diag run playbook <name> [--json | --markdown] [--window 1s] [--pid PID | --cgroup PATH]', load: () => import('./commands/run.js') },
  playbooks: { summary: 'list playbooks (and invalid playbook files with file, line and field)', load: () => import('./commands/playbooks.js') },
  metrics: { summary: 'list the metric catalogue playbooks refer to: diag metrics [PREFIX] [--json]', load: () => import('./commands/metrics.js') },
  overview: { summary: "print every collector's view over a window (raw tables)", load: () => import('./commands/overview.js') },
  collectors: { summary: 'list collectors with their availability on this host', load: () => import('./commands/collectors.js') },
  collect: { summary: "print one collector's record: diag collect <id> [--json] [--window 1s]", load: () => import('./commands/collect.js') },
  snapshot: { summary: 'write a bundle for a ticket: diag snapshot [-o FILE.tar.gz] [--window 1s] [--obfuscate]', load: () => import('./commands/snapshot.js') },
  record: { summary: 'the flight recorder: sample the host every interval into a bounded recording: diag record [--dir DIR] [--interval 10s]', load: () => import('./commands/record.js') },
  open: { summary: 'the terminal UI on a snapshot bundle, offline: diag open BUNDLE', load: () => import('./commands/open.js') },
  diff: { summary: 'compare two bundles finding by finding and metric by metric: diag diff A B', load: () => import('./commands/diff.js') },
  probes: { summary: 'list BPF probes with availability, the hook in use and why not', load: () => import('./commands/probes.js') },
  serve: { summary: 'HTTP endpoint for Prometheus: /metrics (OpenMetrics), /report, /healthz: diag serve [--listen 127.0.0.1:9464]', load: () => import('./commands/serve.js') },
  fleet: { summary: "many hosts' reports side by side: shared findings vs outliers: diag fleet DIR|FILE...", load: () => import('./commands/fleet.js') },
  man: { summary: 'print the manual page (roff), made from these help texts: diag man | man -l -', load: () => import('./commands/man.js') },
  completion: { summary: 'print a shell completion script: diag completion bash|zsh|fish', load: () => import('./commands/completion.js') },
  probe: { summary: 'run one BPF probe: diag probe <name> [--duration 5s] [--json] [--pid PID | --cgroup PATH]', load: () => import('./commands/probe.js') },
};

export const EXIT_USAGE = 64;
export const EXIT_SOFTWARE = 70;

export function help(): string {
  const w = Math.max(...Object.keys(COMMANDS).map((c) => c.length));
  return `diag ${diagVersion()} - Linux troubleshooting: from "something is slow" to a named cause

Usage: diag [command] [options]

With no command: the terminal UI on a terminal (press ? for its keys); otherwise (a pipe,
a bot, --json, --markdown) the 'use' playbook's report over a 1 s window, with its exit
code. 'diag overview' prints every collector's raw view.

Commands:
${Object.entries(COMMANDS)
  .map(([n, c]) => `  ${n.padEnd(w)}  ${c.summary}`)
  .join('\n')}

Options for every command:
  --root DIR   read the host's /proc and /sys under DIR (diag in a container: commands
               enter that host's network namespace; a copied tree: files only, no commands)
  --help, -h   help for a command
  --version    print diag's version

Exit codes: 0 ok, 1 warning, 2 critical, 3 could not judge, 64 usage error.
`;
}

export async function main(argv: string[]): Promise<number> {
  const [first, ...rest] = argv;
  if (first === '--version' || first === '-V') {
    process.stdout.write(`${diagVersion()}\n`);
    return 0;
  }
  if (first === '--help' || first === '-h' || first === 'help') {
    process.stdout.write(fitHelp(help()));
    return 0;
  }
  if (first === undefined || first.startsWith('-')) {
    const use = await import('./commands/default.js');
    return use.run(argv);
  }
  const cmd = COMMANDS[first];
  if (!cmd) throw new UsageError(`unknown command ${JSON.stringify(first)}`, { hint: 'see diag --help' });
  const mod = await cmd.load();
  // Every command's help, at 80 columns whatever width it was written at.
  if (rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(fitHelp(mod.HELP) + '\n');
    return 0;
  }
  return mod.run(rest);
}

/** Run main and turn every failure into a message and an exit code, never a stack trace for an expected condition. */
export async function runCli(argv: string[]): Promise<void> {
  // Every string diag writes passes the sanitiser on its way out (text, Markdown, JSON, errors):
  // host text is escaped where it is formatted, and whatever was missed is escaped here. The
  // terminal UI releases the guard when it takes the terminal (src/tui/app.ts).
  guardProcessOutput();
  let code: number;
  try {
    code = await main(argv);
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`diag: ${err.message}\n${err.hint ? `hint: ${err.hint}\n` : ''}`);
      code = EXIT_USAGE;
    } else if (err instanceof DiagError) {
      process.stderr.write(`diag: ${err.message}\n${err.hint ? `hint: ${err.hint}\n` : ''}`);
      code = 3;
    } else {
      const e = err instanceof Error ? err : new Error(String(err));
      process.stderr.write(`diag: internal error: ${e.message}\nThis is a bug in diag; please report it with the trace below.\n${e.stack ?? ''}\n`);
      code = EXIT_SOFTWARE;
    }
  }
  process.exitCode = code;
}

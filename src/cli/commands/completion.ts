import { UsageError } from '../../core/errors.js';
import { parseCommandArgs } from '../args.js';
import { cliReference, type Reference } from '../reference.js';

export const HELP = `Usage: diag completion bash|zsh|fish

Print a completion script for a shell: commands, each command's options (from its help)
and collector names after "diag collect".
  bash:  diag completion bash > /etc/bash_completion.d/diag
  zsh:   diag completion zsh > "\${fpath[1]}/_diag"
  fish:  diag completion fish > ~/.config/fish/completions/diag.fish`;

/** Words are diag's own command and option names ([a-z-]): safe inside single quotes. */
const words = (xs: readonly string[]) => xs.join(' ');

export function bashCompletion(ref: Reference): string {
  const cases = ref.commands.map((c) => `    ${c.name}) opts='${words(c.options)}' ;;`).join('\n');
  return `# bash completion for diag (diag completion bash)
_diag_complete() {
  local cur=\${COMP_WORDS[COMP_CWORD]} cmd=\${COMP_WORDS[1]} opts=''
  if [ "$COMP_CWORD" -eq 1 ]; then
    COMPREPLY=($(compgen -W '${words(ref.commands.map((c) => c.name))} --help --version' -- "$cur"))
    return
  fi
  case "$cmd" in
${cases}
  esac
  if [ "$cmd" = collect ] && [ "$COMP_CWORD" -eq 2 ]; then
    COMPREPLY=($(compgen -W '${words(ref.collectors)}' -- "$cur"))
  elif [[ "$cur" == -* ]]; then
    COMPREPLY=($(compgen -W "$opts --help" -- "$cur"))
  else
    COMPREPLY=($(compgen -f -- "$cur"))
  fi
}
complete -F _diag_complete diag
`;
}

export function zshCompletion(ref: Reference): string {
  const described = ref.commands.map((c) => `    '${c.name}:${c.summary.split(':')[0]!.replace(/'/g, '').replace(/:/g, ' ')}'`).join('\n');
  const cases = ref.commands.map((c) => `    ${c.name}) _arguments '*:file:_files' ${c.options.map((o) => `'${o}[option]'`).join(' ')} ;;`).join('\n');
  return `#compdef diag
# zsh completion for diag (diag completion zsh)
_diag() {
  local -a commands
  commands=(
${described}
  )
  if (( CURRENT == 2 )); then
    _describe 'diag command' commands
    return
  fi
  case "$words[2]" in
    collect) (( CURRENT == 3 )) && { compadd -- ${words(ref.collectors)}; return } ;|
${cases}
  esac
}
_diag "$@"
`;
}

export function fishCompletion(ref: Reference): string {
  const lines = ['# fish completion for diag (diag completion fish)', 'complete -c diag -f'];
  for (const c of ref.commands) {
    lines.push(`complete -c diag -n __fish_use_subcommand -a ${c.name} -d '${c.summary.split(':')[0]!.replace(/'/g, '')}'`);
    for (const o of c.options) lines.push(`complete -c diag -n '__fish_seen_subcommand_from ${c.name}' -l ${o.slice(2)}`);
  }
  lines.push(`complete -c diag -n '__fish_seen_subcommand_from collect' -a '${words(ref.collectors)}'`);
  return lines.join('\n') + '\n';
}

export async function run(argv: string[]): Promise<number> {
  const { positionals } = parseCommandArgs('completion', argv, { help: { type: 'boolean', short: 'h' } });
  const shell = positionals[0];
  const make = shell === 'bash' ? bashCompletion : shell === 'zsh' ? zshCompletion : shell === 'fish' ? fishCompletion : undefined;
  if (!make || positionals.length > 1) throw new UsageError(`completion: which shell? expected bash, zsh or fish, got ${JSON.stringify(positionals.join(' '))}`, { hint: 'diag completion bash > /etc/bash_completion.d/diag' });
  process.stdout.write(make(await cliReference()));
  return 0;
}

/**
 * Help text at 80 columns, whatever width a command's help was written at: a longer line is
 * wrapped at spaces, its continuation lines indented to where its text starts (the description
 * column of an option line, "  --from BUNDLE   judge ...", or the line's own indent). Usage lines
 * continue under the first argument after "Usage: diag <command>". A word longer than the width
 * (a URL) stays whole on its own line.
 */
export const HELP_WIDTH = 80;

function continuationIndent(line: string): number {
  const usage = /^(Usage: diag(?: [a-z-]+)?(?: [a-z]+)? )/.exec(line);
  if (usage) return usage[1]!.length;
  // An option or command table: text after a run of two or more spaces following the term.
  const table = /^(\s+\S(?:\S| (?! ))*\s{2,})\S/.exec(line);
  if (table && table[1]!.length <= 40) return table[1]!.length;
  return /^\s*/.exec(line)![0].length;
}

function wrapLine(line: string, width: number): string[] {
  if (line.length <= width) return [line];
  const indent = continuationIndent(line);
  const out: string[] = [];
  let rest = line;
  let first = true;
  while (rest.length > width) {
    const min = first ? indent : indent + 1;
    let cut = rest.lastIndexOf(' ', width);
    while (cut > 0 && rest[cut - 1] === ' ') cut--;
    if (cut <= min) {
      // No space to break at within the width: break after the long word.
      const next = rest.indexOf(' ', width);
      if (next < 0) break;
      cut = next;
    }
    out.push(rest.slice(0, cut).trimEnd());
    rest = ' '.repeat(indent) + rest.slice(cut).trimStart();
    first = false;
  }
  out.push(rest);
  return out;
}

/**
 * Lines a help text broke by hand at its own width belong together again before they are wrapped
 * at ours: a line at the previous line's continuation indent continues it when the previous one
 * was long (a short line ended where its author meant it to).
 */
function joinHandWrapped(lines: readonly string[]): string[] {
  const out: string[] = [];
  let lastOriginal = '';
  for (const line of lines) {
    const prev = out[out.length - 1];
    const indent = /^\s*/.exec(line)![0].length;
    // A row of a table ("  term   text") continues only at its text column; a line that starts
    // a label ("Collectors: ...") or a list item starts anew.
    const gap = /^(\s*\S(?:\S| (?! ))*\s{2,})\S/.exec(prev ?? '')?.[1]?.length;
    const continues = gap === undefined ? indent === continuationIndent(prev ?? '') : indent === gap;
    if (prev !== undefined && prev.trim() !== '' && line.trim() !== '' && lastOriginal.length >= 60 && continues && !/^\s*(-|[A-Z][\w /-]*:)/.test(line)) {
      out[out.length - 1] = `${prev.trimEnd()} ${line.trim()}`;
    } else out.push(line);
    lastOriginal = line;
  }
  return out;
}

export function fitHelp(text: string, width: number = HELP_WIDTH): string {
  return joinHandWrapped(text.split('\n'))
    .flatMap((l) => wrapLine(l, width))
    .join('\n');
}

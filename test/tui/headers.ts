import { expect } from 'vitest';

/**
 * The column headers of the table panels as a screen shows them, every title whole and the
 * last right-aligned one against the box's right border (nothing cut at the border). Used by
 * the tmux tests at 80x24, 120x40 and 200x60.
 */
export const HEADERS = {
  disks: /│(device +r\/s +w\/s +rkB\/s +wkB\/s +await +aqu +util) *│/,
  network: /│(iface +rxkB\/s +txkB\/s +rxpk\/s +txpk\/s +drop\/s +err\/s) *│/,
  cgroups: /│(cgroup +procs +cpu% +thr% +mem +mem% +oom) *│/,
  /** 80 columns: USER only; from 120: htop's USER, NI, VIRT and TIME+ too. */
  processes80: /│( +PID USER +S +CPU% +RSS +IO\/s +THR +FD COMMAND) *│/,
  processes: /│( +PID USER +NI S +CPU% +VIRT +RSS +IO\/s +THR +FD +TIME\+ COMMAND) *│/,
} as const;

/**
 * Asserts the header of a panel is on the screen whole, and that every row under it (up to the
 * box's bottom border) has a value ending where each right-aligned column title ends: a number
 * cut at the border, or shifted by a too-wide cell, fails.
 */
export function expectWholeTable(screen: string, header: RegExp, what: string): void {
  const lines = screen.split('\n');
  const at = lines.findIndex((l) => header.test(l));
  expect(at, `${what}: a whole header ${header} on\n${screen}`).toBeGreaterThanOrEqual(0);
  const line = lines[at]!;
  const m = header.exec(line)!;
  const start = m.index + 1;
  // the box's right border closes the match
  const right = m.index + m[0].length - 1;
  const titles = [...m[1]!.matchAll(/\S+/g)];
  // right-aligned columns: every title but the first (a name) and a last COMMAND (text)
  const ends = titles.filter((t, i) => i > 0 && t[0] !== 'COMMAND' && t[0] !== 'USER').map((t) => start + t.index + t[0].length - 1);
  let rows = 0;
  for (const row of lines.slice(at + 1)) {
    const body = [...row];
    // rows inside the same box (its borders in the header's columns), up to a blank one
    const text = body.slice(start, right).join('');
    if (body[m.index] !== '│' || body[right] !== '│' || !/\S/.test(text)) break;
    if (/^(reading processes|no (processes|block devices|interfaces))/.test(text.trim())) break;
    rows++;
    for (const end of ends) expect(body[end], `${what}: a value ends at column ${end} of\n${line}\n${text}`).toMatch(/[\S]/);
  }
  expect(rows, `${what}: rows under the header`).toBeGreaterThan(0);
}

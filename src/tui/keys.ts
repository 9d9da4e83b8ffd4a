/**
 * Every key the TUI answers to, in one table: the bindings and the help overlay both read it,
 * so nothing needs a key the help does not show.
 */
export interface KeyBinding {
  readonly keys: readonly string[];
  /** What the help shows for the keys, e.g. "j / down". */
  readonly label: string;
  readonly action: KeyAction;
  readonly help: string;
}

export type KeyAction =
  | 'quit'
  | 'help'
  | 'next-panel'
  | 'prev-panel'
  | 'down'
  | 'up'
  | 'page-down'
  | 'page-up'
  | 'top'
  | 'bottom'
  | 'enter'
  | 'evidence'
  | 'back'
  | 'filter'
  | 'search'
  | 'sort-cpu'
  | 'sort-mem'
  | 'sort-io'
  | 'sort-pid'
  | 'sort-next'
  | 'sort-prev'
  | 'sort-reverse'
  | 'tree'
  | 'pause'
  | 'guide'
  | 'snapshot'
  | 'kill'
  | 'nice-down'
  | 'nice-up'
  | 'all-cgroups'
  | 'goto-tab'
  | 'time-back'
  | 'time-forward'
  | 'time-back-more'
  | 'time-forward-more'
  | 'time-start'
  | 'time-end'
  | 'finding-next'
  | 'finding-prev';

export const KEYMAP: readonly KeyBinding[] = [
  { keys: ['?', 'h', 'f1'], label: '? / h / F1', action: 'help', help: 'this help (j/k scroll it, any other key closes it)' },
  { keys: ['q', 'f10', 'C-c'], label: 'q / F10 / Ctrl-C', action: 'quit', help: 'quit (the terminal is restored)' },
  { keys: ['tab'], label: 'Tab', action: 'next-panel', help: 'next panel (on small screens: then the next tab)' },
  { keys: ['S-tab'], label: 'Shift-Tab', action: 'prev-panel', help: 'previous panel' },
  { keys: ['1', '2', '3', '4', '5', '6'], label: '1-6', action: 'goto-tab', help: 'small screens: tab Overview, Findings, Processes, Disks+Net, Cgroups (6: History, on a recording)' },
  { keys: ['down', 'j'], label: 'j / Down', action: 'down', help: 'move down' },
  { keys: ['up', 'k'], label: 'k / Up', action: 'up', help: 'move up' },
  { keys: ['pagedown', 'C-f'], label: 'PgDn / Ctrl-F', action: 'page-down', help: 'page down' },
  { keys: ['pageup', 'C-b'], label: 'PgUp / Ctrl-B', action: 'page-up', help: 'page up' },
  { keys: ['home', 'g'], label: 'Home / g', action: 'top', help: 'first row' },
  { keys: ['end', 'S-g'], label: 'End / G', action: 'bottom', help: 'last row' },
  { keys: ['enter'], label: 'Enter', action: 'enter', help: 'drill in: a finding goes to its first culprit, a cgroup shows its processes, a process its detail' },
  { keys: ['e'], label: 'e', action: 'evidence', help: 'a finding\'s evidence and all its culprits (Enter on a culprit goes to it)' },
  { keys: ['escape', 'backspace'], label: 'Esc / Backspace', action: 'back', help: 'back out of a detail or a filter' },
  { keys: ['/', 'f4'], label: '/ / F4', action: 'filter', help: 'filter processes by name, command line or pid:N[,M...]' },
  { keys: ['f3'], label: 'F3', action: 'search', help: 'search processes: typing jumps to the next one whose name or command line matches, F3 again to the one after' },
  { keys: ['c'], label: 'c', action: 'sort-cpu', help: 'sort processes by CPU' },
  { keys: ['m'], label: 'm', action: 'sort-mem', help: 'sort processes by memory (RSS)' },
  { keys: ['o'], label: 'o', action: 'sort-io', help: 'sort processes by I/O bytes' },
  { keys: ['n'], label: 'n', action: 'sort-pid', help: 'sort processes by PID' },
  { keys: ['>', 'f6'], label: '> / F6', action: 'sort-next', help: 'sort the focused panel by its next column' },
  { keys: ['<'], label: '<', action: 'sort-prev', help: 'sort the focused panel by its previous column' },
  { keys: ['S-i'], label: 'I', action: 'sort-reverse', help: 'reverse the sort order of the focused panel' },
  { keys: ['t', 'f5'], label: 't / F5', action: 'tree', help: 'process tree on/off' },
  { keys: ['a'], label: 'a', action: 'all-cgroups', help: 'all cgroups / only busy or troubled ones' },
  { keys: ['p', 'space'], label: 'p / Space', action: 'pause', help: 'pause / resume refresh' },
  { keys: ['i'], label: 'i', action: 'guide', help: 'guided investigation: walk a playbook step by step' },
  { keys: ['f9', 'S-k'], label: 'F9 / K', action: 'kill', help: 'send a signal to the selected process (a menu, TERM first; y/N to confirm); only with diag --allow-signals, never on a bundle' },
  { keys: ['f7'], label: 'F7', action: 'nice-down', help: 'renice the selected process -1 (higher priority; needs root); only with --allow-signals' },
  { keys: ['f8'], label: 'F8', action: 'nice-up', help: 'renice the selected process +1 (lower priority); only with --allow-signals' },
  { keys: ['s'], label: 's', action: 'snapshot', help: 'write a snapshot bundle (with the investigation path)' },
];

/**
 * Keys of time travel (diag open --recording, or a bundle with a history): looked up before
 * KEYMAP, so on a recording Home/End move in time (g/G still go to the first/last row) and n/N
 * go to findings (sorting by PID stays on > and <).
 */
export const TIMELINE_KEYMAP: readonly KeyBinding[] = [
  { keys: ['[', 'left'], label: '[ / Left', action: 'time-back', help: 'one sample back in the recording' },
  { keys: [']', 'right'], label: '] / Right', action: 'time-forward', help: 'one sample forward' },
  { keys: ['{'], label: '{', action: 'time-back-more', help: 'one minute back (at least one sample)' },
  { keys: ['}'], label: '}', action: 'time-forward-more', help: 'one minute forward' },
  { keys: ['home'], label: 'Home', action: 'time-start', help: 'the first window of the recording (g: the first row)' },
  { keys: ['end'], label: 'End', action: 'time-end', help: 'the last window of the recording (G: the last row)' },
  { keys: ['n'], label: 'n', action: 'finding-next', help: 'the next moment a finding starts (windows are judged on the way; any key stops the search)' },
  { keys: ['S-n'], label: 'N', action: 'finding-prev', help: 'the previous moment a finding starts' },
];

export function actionFor(key: string, timeline = false): KeyAction | undefined {
  return (timeline ? TIMELINE_KEYMAP.find((b) => b.keys.includes(key))?.action : undefined) ?? KEYMAP.find((b) => b.keys.includes(key))?.action;
}

/** Key names as the help's labels show them (the keys time travel takes over from KEYMAP). */
const LABEL_OF: Readonly<Record<string, string>> = { home: 'Home', end: 'End', n: 'n' };

/** The bindings the help lists: on a recording, the time-travel keys first, then the others without the keys those took. */
function helpBindings(timeline: boolean): KeyBinding[] {
  const taken = new Set(timeline ? TIMELINE_KEYMAP.flatMap((b) => b.keys) : []);
  const rest = KEYMAP.flatMap((b) => {
    const keys = b.keys.filter((k) => !taken.has(k));
    if (keys.length === b.keys.length) return [b];
    if (keys.length === 0) return [];
    const gone = new Set(b.keys.filter((k) => taken.has(k)).map((k) => LABEL_OF[k] ?? k));
    return [{ ...b, keys, label: b.label.split(' / ').filter((l) => !gone.has(l)).join(' / ') }];
  });
  return [...(timeline ? TIMELINE_KEYMAP : []), ...rest];
}

/** Columns of the help's label column (labels and the two spaces after them). */
export function helpLabelWidth(timeline = false): number {
  return Math.max(...helpBindings(timeline).map((b) => b.label.length)) + 2;
}

/** The help's lines: the keys' label, then what they do. */
export function helpLines(timeline = false): string[] {
  const w = helpLabelWidth(timeline) - 2;
  return helpBindings(timeline).map((b) => `${b.label.padEnd(w)}  ${b.help}`);
}

import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/**
 * The real `diag` (bin/diag.js over dist/) running in a tmux pane of its own tmux server, so a
 * test can type keys (send-keys) and read the screen (capture-pane) like a person would.
 *
 * The pane runs a small sh wrapper: it prints a marker line with $TERM before diag starts and,
 * after diag exits, its exit code and the terminal modes (icanon/echo): whether the terminal was
 * given back. remain-on-exit keeps the pane readable after that.
 */
export interface TuiStartOptions {
  /** Unique per test: the tmux socket is `diagt-tui-<pid>-<name>`. */
  readonly name: string;
  readonly cols: number;
  readonly rows: number;
  /** diag's arguments (default: none: the live dashboard). */
  readonly args?: readonly string[];
  /** Environment of the pane (TERM, NO_COLOR, LANG ...). */
  readonly env?: Readonly<Record<string, string>>;
  /** Working directory of diag (where `s` writes its snapshot); default: the repository. */
  readonly cwd?: string;
}

export interface PaneState {
  readonly dead: boolean;
  readonly deadStatus?: number;
  readonly alternate: boolean;
  readonly title: string;
  readonly pid: number;
  readonly cursorVisible: boolean;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const WRAPPER = [
  'printf "diagt-before TERM=%s\\n" "$TERM"',
  // the command as a user runs it (its sh launcher picks node's flags), with this node first on PATH
  `PATH="$(dirname "$DIAGT_NODE"):$PATH" "$DIAGT_ROOT/bin/diag.js" "$@"`,
  'rc=$?',
  'printf "diagt-exit=%s\\n" "$rc"',
  'printf "diagt-tty %s\\n" "$(stty -a | tr " ;" "\\n\\n" | grep -x -e "-\\{0,1\\}icanon" -e "-\\{0,1\\}echo" | tr "\\n" " ")"',
  // Stay alive until Enter, so the test can read the pane's modes (cursor, alternate screen)
  // as the shell got them back from diag; bounded so a forgotten pane cannot wait forever.
  'printf "diagt-done\\n"',
  'timeout 20 head -n 1 >/dev/null || true',
  'exit $rc',
].join('; ');

export class TmuxTui {
  readonly socket: string;
  readonly target = 'diagt:0.0';
  private readonly dir: string;
  private killed = false;

  private constructor(readonly opts: TuiStartOptions) {
    this.socket = `diagt-tui-${process.pid}-${opts.name}`;
    this.dir = mkdtempSync(join(tmpdir(), 'diagt-tui-'));
  }

  /** Starts tmux and diag in it. Always pair with kill() in a finally/afterAll. */
  static start(opts: TuiStartOptions): TmuxTui {
    const t = new TmuxTui(opts);
    const conf = join(t.dir, 'tmux.conf');
    // No user configuration; keep the pane after diag exits; no status line (all rows are diag's).
    const env: Record<string, string> = { LANG: 'C.UTF-8', TERM: 'xterm-256color', ...opts.env, DIAGT_NODE: process.execPath, DIAGT_ROOT: ROOT };
    // tmux sets TERM in the pane from default-terminal (a -e TERM=... is overridden).
    writeFileSync(conf, `set -g remain-on-exit on\nset -g status off\nset -g history-limit 0\nset -g default-terminal "${env.TERM}"\n`);
    const envArgs = Object.entries(env).flatMap(([k, v]) => ['-e', `${k}=${v}`]);
    const args = ['-f', conf, 'new-session', '-d', '-s', 'diagt', '-x', String(opts.cols), '-y', String(opts.rows), '-c', opts.cwd ?? ROOT, ...envArgs, 'sh', '-c', WRAPPER, 'sh', ...(opts.args ?? [])];
    // NO_COLOR and the like must not leak from the test runner into the tmux server itself.
    const serverEnv = { ...process.env };
    delete serverEnv.NO_COLOR;
    delete serverEnv.TMUX;
    const r = spawnSync('tmux', ['-L', t.socket, ...args], { encoding: 'utf8', env: serverEnv });
    if (r.status !== 0) {
      t.kill();
      throw new Error(`tmux new-session failed (${r.status}): ${r.stderr}`);
    }
    return t;
  }

  tmux(...args: string[]): string {
    const r = spawnSync('tmux', ['-L', this.socket, ...args], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`tmux ${args.join(' ')} failed (${r.status}): ${r.stderr.trim()}`);
    return r.stdout;
  }

  /** The visible screen as text (escapes: with SGR attributes, as `capture-pane -e`). */
  capture(opts: { escapes?: boolean } = {}): string {
    return this.tmux('capture-pane', '-p', '-t', this.target, ...(opts.escapes ? ['-e'] : [])).replace(/\n$/, '');
  }

  /** Polls the screen until `test` holds; throws with the last screen after timeoutMs. */
  async waitFor(test: RegExp | ((screen: string) => boolean), what: string, timeoutMs = 20_000, opts: { escapes?: boolean } = {}): Promise<string> {
    const ok = typeof test === 'function' ? test : (s: string) => test.test(s);
    const deadline = Date.now() + timeoutMs;
    let screen = '';
    for (;;) {
      screen = this.capture(opts);
      if (ok(screen)) return screen;
      if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; the screen was:\n${screen}`);
      await sleep(100);
    }
  }

  /** Keys in tmux's names (Tab, Enter, Escape, C-c, BTab, j, ...), one send-keys each. */
  keys(...keys: string[]): void {
    for (const k of keys) this.tmux('send-keys', '-t', this.target, k);
  }

  /** Text typed literally. */
  type(text: string): void {
    this.tmux('send-keys', '-t', this.target, '-l', text);
  }

  /**
   * A mouse event as a terminal sends it once the application asked for mouse reporting with
   * SGR coordinates (xterm modes 1000 + 1006): ESC [ < button ; column ; row M (press) or m
   * (release), 1-based. tmux forwards only mouse events of an attached client, so the bytes are
   * written into the pane as input (send-keys -H), exactly what the terminal would have sent.
   * `x`, `y` are 0-based screen cells.
   */
  mouse(event: 'click' | 'wheel-up' | 'wheel-down', x: number, y: number): void {
    const at = `${x + 1};${y + 1}`;
    const seqs = event === 'click' ? [`\x1b[<0;${at}M`, `\x1b[<0;${at}m`] : [`\x1b[<${event === 'wheel-up' ? 64 : 65};${at}M`];
    // one send-keys per event: a read that holds two sequences is parsed for its first only
    for (const seq of seqs) this.tmux('send-keys', '-t', this.target, '-H', ...[...Buffer.from(seq, 'latin1')].map((b) => b.toString(16).padStart(2, '0')));
  }

  /** The pane's mouse modes as the application set them: 1000 (standard), 1002 (button motion), 1003 (all motion), 1006 (SGR). */
  mouseModes(): { standard: boolean; button: boolean; all: boolean; sgr: boolean } {
    const f = this.tmux('display-message', '-p', '-t', this.target, '#{mouse_standard_flag} #{mouse_button_flag} #{mouse_all_flag} #{mouse_sgr_flag}').trim().split(' ');
    return { standard: f[0] === '1', button: f[1] === '1', all: f[2] === '1', sgr: f[3] === '1' };
  }

  resize(cols: number, rows: number): void {
    this.tmux('resize-window', '-t', 'diagt:0', '-x', String(cols), '-y', String(rows));
  }

  pane(): PaneState {
    const f = this.tmux('display-message', '-p', '-t', this.target, '#{pane_dead}\t#{pane_dead_status}\t#{alternate_on}\t#{pane_pid}\t#{cursor_flag}\t#{pane_title}').replace(/\n$/, '');
    const [dead, status, alt, pid, cursor, ...title] = f.split('\t');
    return {
      dead: dead === '1',
      ...(status !== undefined && status !== '' ? { deadStatus: Number(status) } : {}),
      alternate: alt === '1',
      pid: Number(pid),
      cursorVisible: cursor === '1',
      title: title.join('\t'),
    };
  }

  /** PID of diag itself (the node child of the wrapper shell), or undefined once it exited. */
  diagPid(): number | undefined {
    const sh = this.pane().pid;
    const r = spawnSync('sh', ['-c', 'cat /proc/"$1"/task/*/children 2>/dev/null', 'sh', String(sh)], { encoding: 'utf8' });
    const kids = r.stdout.split(/\s+/).filter(Boolean).map(Number);
    return kids.find((k) => {
      const c = spawnSync('cat', [`/proc/${k}/comm`], { encoding: 'utf8' }).stdout.trim();
      return c === 'node' || c === 'diag';
    });
  }

  /** The running diag's command line (node, its flags, the script, diag's arguments). */
  diagArgv(): string[] | undefined {
    const pid = this.diagPid();
    if (pid === undefined) return undefined;
    return spawnSync('cat', [`/proc/${pid}/cmdline`], { encoding: 'latin1' }).stdout.split('\0').filter(Boolean);
  }

  /** An environment variable of the running diag (what it really got, e.g. TERM). */
  diagEnv(name: string): string | undefined {
    const pid = this.diagPid();
    if (pid === undefined) return undefined;
    const env = spawnSync('cat', [`/proc/${pid}/environ`], { encoding: 'latin1' }).stdout.split('\0');
    return env.find((e) => e.startsWith(`${name}=`))?.slice(name.length + 1);
  }

  /**
   * Waits until diag has exited (the wrapper printed its marker); returns diag's exit code and
   * the pane's state right after, while the wrapper shell still owns the terminal.
   */
  async waitExit(timeoutMs = 15_000): Promise<{ code: number; pane: PaneState; screen: string }> {
    const screen = await this.waitFor(/diagt-done/, 'diag to exit', timeoutMs);
    const code = Number(/diagt-exit=(\d+)/.exec(screen)?.[1] ?? NaN);
    const pane = this.pane();
    this.keys('Enter');
    const deadline = Date.now() + 5000;
    while (!this.pane().dead && Date.now() < deadline) await sleep(50);
    const after = this.pane();
    if (after.deadStatus !== undefined && after.deadStatus !== code) throw new Error(`the wrapper exited ${after.deadStatus}, diag ${code}`);
    return { code, pane, screen };
  }

  /** Stops the tmux server (and with it diag, by SIGHUP) and removes the temporary files. */
  kill(): void {
    if (this.killed) return;
    this.killed = true;
    const pid = (() => {
      try {
        return this.diagPid();
      } catch {
        return undefined;
      }
    })();
    spawnSync('tmux', ['-L', this.socket, 'kill-server'], { stdio: 'ignore' });
    // the server leaves its socket file behind
    rmSync(join(process.env.TMUX_TMPDIR ?? '/tmp', `tmux-${process.getuid?.() ?? 0}`, this.socket), { force: true });
    if (pid !== undefined) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone with the pane already
      }
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** The text of the row drawn in inverse video (the selection), from a `capture-pane -e` screen. */
export function selectedText(escaped: string, fromLine = 0): string | undefined {
  for (const line of escaped.split('\n').slice(fromLine)) {
    // tmux writes SGR attributes as \x1b[...m; 7 is inverse, 27 or a reset ends it.
    const m = /\x1b\[(?:[0-9;]*;)?7(?:;[0-9;]*)?m(.*?)(?:\x1b\[(?:[0-9;]*;)?27(?:;[0-9;]*)?m|\x1b\[0?m|$)/.exec(line);
    if (m) return m[1]!.replace(/\x1b\[[0-9;]*m/g, '');
  }
  return undefined;
}

/** SGR colour codes (30-37, 38;..., 40-47, 48;..., 90-97, 100-107) in a `capture-pane -e` screen. */
export function colourCodes(escaped: string): string[] {
  const out: string[] = [];
  for (const m of escaped.matchAll(/\x1b\[([0-9;]*)m/g)) {
    const parts = m[1]!.split(';');
    for (let i = 0; i < parts.length; i++) {
      const n = Number(parts[i]);
      if ((n >= 30 && n <= 49) || (n >= 90 && n <= 107)) {
        out.push(m[0]!);
        break;
      }
    }
  }
  return out;
}

/** Lines showing the "lqqk" letters a terminal prints when box drawing went through a wrong ACS. */
export function acsGarbage(screen: string): string[] {
  return screen.split('\n').filter((l) => /[lmtu]q{3,}|q{3,}[kjxu]|^x.*x$/.test(l.trim()) && !/[─│┌┐└┘]/.test(l));
}

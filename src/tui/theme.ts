/** Severities the views colour by. */
export type Tone = 'ok' | 'info' | 'warning' | 'critical' | 'unknown' | 'dim' | 'accent';

export interface Theme {
  readonly color: boolean;
  readonly unicode: boolean;
  /** Wrap already-safe text in the tags of a tone. */
  tone(tone: Tone, text: string): string;
  bold(text: string): string;
  inverse(text: string): string;
}

const COLORS: Record<Tone, string | undefined> = {
  ok: 'green-fg',
  info: 'cyan-fg',
  warning: 'yellow-fg',
  critical: 'red-fg',
  unknown: 'magenta-fg',
  dim: undefined,
  accent: 'cyan-fg',
};

/**
 * Only the eight basic colours (they degrade on 8-colour terminals and the linux console);
 * NO_COLOR (https://no-color.org) turns colour off, keeping bold and inverse so selection and
 * severity stay visible.
 */
export function makeTheme(opts: { color: boolean; unicode: boolean }): Theme {
  return {
    color: opts.color,
    unicode: opts.unicode,
    tone(tone, text) {
      if (!opts.color) return tone === 'critical' || tone === 'warning' ? `{bold}${text}{/bold}` : text;
      const c = COLORS[tone];
      if (tone === 'critical') return `{bold}{${c}}${text}{/${c}}{/bold}`;
      return c ? `{${c}}${text}{/${c}}` : text;
    },
    bold: (t) => `{bold}${t}{/bold}`,
    inverse: (t) => `{inverse}${t}{/inverse}`,
  };
}

export function themeFromEnv(env: NodeJS.ProcessEnv = process.env): Theme {
  const noColor = env.NO_COLOR !== undefined && env.NO_COLOR !== '';
  const lang = `${env.LC_ALL ?? ''}${env.LC_CTYPE ?? ''}${env.LANG ?? ''}`;
  const unicode = /utf-?8/i.test(lang) || env.DIAG_UNICODE === '1' || (lang === '' && env.TERM !== 'linux');
  return makeTheme({ color: !noColor && env.TERM !== 'dumb', unicode });
}

/**
 * The theme for the terminal the screen found: colour only where its terminfo entry has at least
 * the eight basic colours (vt100 and other monochrome entries have none: colour codes there are
 * garbage or ignored), as NO_COLOR otherwise. `colors` is terminfo's max_colors (-1 or undefined
 * when the entry has none: then colour is kept only when the entry is unknown to terminfo).
 */
export function themeForTerminal(theme: Theme, colors: number | undefined): Theme {
  if (!theme.color || colors === undefined || colors >= 8) return theme;
  return makeTheme({ color: false, unicode: theme.unicode });
}

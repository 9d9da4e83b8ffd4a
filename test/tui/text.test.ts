import { describe, expect, it } from 'vitest';
import { KEYMAP, actionFor, helpLines } from '../../src/tui/keys.js';
import { bar, bytes, cell, cut, fit, num, pct, safe, sparkline, textWidth, wrapTagged } from '../../src/tui/text.js';

/** Text with blessed tags as blessed shows it: {open}/{close} are braces, other tags nothing. */
const shown = (s: string) => s.replace(/\{(\/?)([a-z-]+)\}/g, (_, slash: string, name: string) => (name === 'open' ? '{' : name === 'close' ? '}' : ''));

describe('safe() and cell()', () => {
  it('escape sequences, newlines and other controls become visible text', () => {
    expect(safe('ev\x1b[2Jil\nX')).toBe('ev\\x1b[2Jil\\nX');
    expect(safe('\x1b]0;pwned\x07')).toBe('\\x1b]0;pwned\\x07');
    expect(safe('a\tb\rc\x7f\x9bd')).toBe('a\\tb\\rc\\x7f\\x9bd');
    // bidi overrides cannot reorder the line
    expect(safe('abc\u202Efed')).toBe('abc\\u202efed');
    expect(safe('plain')).toBe('plain');
  });

  it('braces are escaped: a name with blessed tags cannot style the screen', () => {
    const s = safe('{red-fg}x{/red-fg} {bold}');
    expect(s).toBe('{open}red-fg{close}x{open}/red-fg{close} {open}bold{close}');
    expect(s).not.toMatch(/\{(?!open\}|close\})[a-z/-]+\}/);
    expect(shown(s)).toBe('{red-fg}x{/red-fg} {bold}');
    expect(shown(cell('{red-fg}', 10))).toBe('{red-fg}  ');
  });

  it('cuts to a width with an ellipsis, counting the escapes as shown', () => {
    expect(safe('abcdef', 4)).toBe('abc…');
    expect(safe('\x1b[2J', 5)).toBe('\\x1b…');
    expect(shown(safe('{red-fg}', 4))).toBe('{re…');
    expect(cell('abc', 6)).toBe('abc   ');
    expect(cell('abc', 6, 'right')).toBe('   abc');
    expect(cell('a\nb', 3)).toBe('a\\…');
  });

  it('wide text is measured in terminal columns', () => {
    expect(textWidth('日本語')).toBe(6);
    expect(textWidth('e\u0301')).toBe(1); // e + combining acute
    expect(textWidth('a😀')).toBe(3);
    expect(cut('日本語テキスト', 6)).toBe('日本…');
    expect(textWidth(cut('日本語テキスト', 6))).toBeLessThanOrEqual(6);
    expect(fit('日本', 6)).toBe('日本  ');
    expect(textWidth(fit('日本語テキスト', 7))).toBe(7);
    expect(textWidth(cell('процесс-日本語', 9))).toBe(9);
    expect(fit('abc', 0)).toBe('');
  });
});

describe('wrapTagged()', () => {
  it('wraps at spaces to the width, tags take no room, continuation indented', () => {
    const w = wrapTagged(['{bold}one two three{/bold} four'], 10, 2);
    expect(w.map(shown)).toEqual(['one two', '  three', '  four']);
    for (const l of w) expect(textWidth(shown(l))).toBeLessThanOrEqual(10);
  });
  it('cuts words longer than a line, counts {open} as one column', () => {
    const w = wrapTagged(['{open}abcdefghijkl'], 6, 0);
    expect(w.map(shown)).toEqual(['{abcde', 'fghijk', 'l']);
  });
  it('keeps empty lines and short lines as they are', () => {
    expect(wrapTagged(['', 'ab'], 10)).toEqual(['', 'ab']);
  });
});

describe('numbers', () => {
  it('bytes, numbers, percentages, bars and sparklines stay short; missing shows -', () => {
    expect(bytes(512)).toBe('512B');
    expect(bytes(1536)).toBe('1.5K');
    expect(bytes(128 * 2 ** 30)).toBe('128G');
    expect(bytes(undefined)).toBe('-');
    expect(num(12345)).toBe('12k');
    expect(num(2.345)).toBe('2.3');
    expect(num(NaN)).toBe('-');
    expect(pct(99.96)).toBe('100%');
    expect(pct(undefined)).toBe('-');
    expect(bar(0.5, 4)).toBe('██░░');
    expect(bar(0.5, 4, false)).toBe('##..');
    expect(bar(undefined, 3)).toBe('   ');
    expect(sparkline([0, 100, undefined], 100)).toBe('▁█ ');
    expect(sparkline([0, 100], 100, false)).toBe('_#');
  });
});

describe('keys', () => {
  it('one binding per key, every action reachable, the help lists every binding', () => {
    const keys = KEYMAP.flatMap((b) => b.keys);
    expect(new Set(keys).size).toBe(keys.length);
    for (const b of KEYMAP) for (const k of b.keys) expect(actionFor(k)).toBe(b.action);
    const help = helpLines();
    expect(help).toHaveLength(KEYMAP.length);
    KEYMAP.forEach((b, i) => expect(help[i]).toMatch(new RegExp(`^${b.label.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} +${b.help.slice(0, 10).replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}`)));
    expect(actionFor('x')).toBeUndefined();
  });
});

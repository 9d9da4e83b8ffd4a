import { actionFor } from './keys.js';
import type { Action, TuiState } from './state.js';

/** A keypress as blessed reports it. */
export interface KeyPress {
  readonly full?: string;
  readonly name?: string;
  readonly ctrl?: boolean;
}

/**
 * The actions a keypress stands for: while a filter or a search (F3) is typed, edits of it; otherwise the KEYMAP
 * binding of the key (by its full name, then by its character), or 'other-key'.
 */
export function keyActions(s: TuiState, ch: string | undefined, key: KeyPress): Action[] {
  // blessed reports a carriage return twice: as "enter", then as "return"
  if (key.name === 'return') return [];
  if (s.filtering !== undefined) {
    if (key.name === 'enter') return [{ type: 'filter-edit', edit: 'apply' }];
    if (key.name === 'escape') return [{ type: 'filter-edit', edit: 'cancel' }];
    if (key.name === 'backspace') return [{ type: 'filter-edit', edit: 'backspace' }];
    if (key.ctrl && key.name === 'c') return [{ type: 'quit' }];
    return ch && ch.length === 1 && ch >= ' ' ? [{ type: 'filter-char', ch }] : [];
  }
  if (s.signal !== undefined) {
    if (key.ctrl && key.name === 'c') return [{ type: 'quit' }];
    const k = key.name === 'enter' || key.name === 'escape' ? key.name : (ch ?? key.name ?? '');
    return [{ type: 'signal-key', key: k }];
  }
  if (s.searching !== undefined) {
    if (key.name === 'enter') return [{ type: 'search-edit', edit: 'apply' }];
    if (key.name === 'escape') return [{ type: 'search-edit', edit: 'cancel' }];
    if (key.name === 'backspace') return [{ type: 'search-edit', edit: 'backspace' }];
    if (key.name === 'f3') return [{ type: 'search-edit', edit: 'next' }];
    if (key.ctrl && key.name === 'c') return [{ type: 'quit' }];
    return ch && ch.length === 1 && ch >= ' ' ? [{ type: 'search-char', ch }] : [];
  }
  const name = key.full ?? key.name ?? ch ?? '';
  // Two Escapes in a row arrive as one "M-escape" (ESC ESC): back out twice.
  if (name === 'M-escape') return [{ type: 'back' }, { type: 'back' }];
  const timeline = s.config.timeline === true;
  const action = actionFor(name, timeline) ?? (ch ? actionFor(ch, timeline) : undefined);
  if (action === undefined) return [{ type: 'other-key' }];
  if (action === 'goto-tab') return [{ type: 'goto-tab', tab: Number(ch ?? name) - 1 }];
  // every key action but goto-tab is an Action of its own name (too many for TypeScript to check the union)
  return [{ type: action } as Action];
}

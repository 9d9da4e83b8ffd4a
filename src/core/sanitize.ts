/**
 * Host text (process names, command lines, interface names, file contents) can hold control
 * characters and escape sequences. Before any of it reaches a terminal, C0/C1 controls and DEL
 * are replaced by visible escapes, so "\x1b[2J" shows as "\x1b[2J" text instead of clearing the
 * screen, and a newline in a process name cannot forge a new line of output.
 */
export function sanitizeForTerminal(text: string): string {
  // Fast path: nothing to escape.
  if (!/[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/.test(text)) return text;
  let out = '';
  for (const ch of text) {
    const c = ch.codePointAt(0) ?? 0;
    if (c === 0x0a) out += '\\n';
    else if (c === 0x09) out += '\\t';
    else if (c === 0x0d) out += '\\r';
    else if (c < 0x20 || (c >= 0x7f && c <= 0x9f) || c === 0x2028 || c === 0x2029 || (c >= 0x202a && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069)) {
      out += c <= 0xff ? `\\x${c.toString(16).padStart(2, '0')}` : `\\u${c.toString(16).padStart(4, '0')}`;
    } else out += ch;
  }
  return out;
}

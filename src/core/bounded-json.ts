/**
 * JSON from outside (a bundle someone sent, a recorded command's output) parsed within bounds:
 * at most `maxBytes` of text and `maxDepth` nested arrays and objects. V8's JSON.parse takes
 * 200,000 nested arrays, but everything that walks the result recursively afterwards (zod,
 * JSON.stringify, a renderer) then overflows the stack: the depth is checked before parsing, in
 * one pass over the text that allocates nothing.
 */
export interface JsonLimits {
  /** Longest text accepted, in UTF-16 code units (a byte or more each). */
  readonly maxBytes: number;
  /** Deepest nesting of arrays and objects accepted (a scalar is depth 0, `[]` depth 1). */
  readonly maxDepth: number;
}

/**
 * What diag writes nests at most ~12 deep (a report's evidence, nft's JSON expressions); 128
 * leaves room and stays far from any recursion limit. 64 MiB: a bundle member's own limit.
 */
export const JSON_LIMITS: JsonLimits = { maxBytes: 64 * 1024 * 1024, maxDepth: 128 };

export type JsonResult = { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly reason: string };

/** How deep `text` nests, stopping as soon as it passes `limit` (then limit + 1). Strings are skipped. */
export function jsonDepth(text: string, limit: number): number {
  let depth = 0;
  let max = 0;
  const n = text.length;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === 34) {
      // a string: skip to its closing quote (a backslash escapes the next character)
      for (i++; i < n; i++) {
        const d = text.charCodeAt(i);
        if (d === 92) i++;
        else if (d === 34) break;
      }
    } else if (c === 91 || c === 123) {
      if (++depth > max) {
        max = depth;
        if (max > limit) return max;
      }
    } else if (c === 93 || c === 125) depth--;
  }
  return max;
}

/**
 * Parse `text` as JSON within `limits`; never throws. The reason follows the document's name
 * ("report.json is not JSON (...)", "... nests arrays or objects more than 128 levels deep").
 */
export function parseJsonBounded(text: string, limits: JsonLimits = JSON_LIMITS): JsonResult {
  if (text.length > limits.maxBytes) return { ok: false, reason: `is ${text.length} bytes of JSON, over the limit of ${limits.maxBytes}` };
  if (jsonDepth(text, limits.maxDepth) > limits.maxDepth) return { ok: false, reason: `nests arrays or objects more than ${limits.maxDepth} levels deep` };
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch (err) {
    return { ok: false, reason: `is not JSON (${err instanceof Error ? err.message : String(err)})` };
  }
}

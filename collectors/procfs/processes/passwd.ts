import { parsed, uint, type ParseResult } from '../../../src/core/parse-result.js';

/** A user name as shown in a USER column: printable ASCII without blanks or ':', at most 32 characters. */
const NAME = /^[\x21-\x39\x3b-\x7e]{1,32}$/;
/** uid_t is 32 bits; (uid_t)-1 is "no user". */
const UID_MAX = 0xfffffffe;

/**
 * /etc/passwd as uid -> name (name:password:uid:gid:gecos:home:shell per line), the first line of
 * a uid winning as getpwuid(3) does. Lines that are not entries (comments, NIS "+" lines, a
 * garbled uid) and names that are not plain printable text are skipped: such a uid shows as its
 * number. Never fails: a file without one entry is an empty map.
 */
export function parsePasswd(text: string): ParseResult<ReadonlyMap<number, string>> {
  const users = new Map<number, string>();
  for (const line of text.split('\n')) {
    const f = line.split(':');
    if (f.length < 4) continue;
    const name = f[0]!;
    const uid = uint(f[2]!);
    if (uid === undefined || uid > UID_MAX || !NAME.test(name) || name.startsWith('+') || name.startsWith('-')) continue;
    if (!users.has(uid)) users.set(uid, name);
  }
  return parsed(users);
}

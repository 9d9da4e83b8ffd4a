/**
 * Redaction of secrets in everything a snapshot stores. On by default: a bundle is attached to
 * tickets, and tickets are read by many people. Each rule counts its hits; the manifest lists
 * them, so a reader knows what was masked (and that nothing was silently dropped).
 *
 * Environment variables are never collected in the first place (no collector reads
 * /proc/PID/environ, and the snapshot refuses to store such a path).
 */

export const MASK = '*****';

export interface RedactionRule {
  readonly id: string;
  readonly description: string;
}

export const RULES: readonly RedactionRule[] = [
  { id: 'secret-option', description: 'values of --password/--token/--secret/--api-key/... options' },
  { id: 'db-client-password', description: '-pPASSWORD of mysql/mariadb/sshpass-style clients' },
  { id: 'url-credentials', description: 'user:password@ in URLs' },
  { id: 'authorization-header', description: 'Authorization: / Proxy-Authorization: header values' },
  { id: 'secret-assignment', description: 'NAME=value and name: value where the name says password, secret, token or key' },
  { id: 'token-format', description: 'well-known token formats (AWS, GitHub, GitLab, Slack, Google, Stripe, JWT)' },
  { id: 'private-key', description: 'PEM private key blocks' },
];

const SECRET_WORD = String.raw`(?:pass(?:word|wd|phrase)?|pwd|secret|token|api[-_]?key|apikey|access[-_]?key|secret[-_]?key|private[-_]?key|auth[-_]?token|client[-_]?secret|credentials?|session[-_]?key|signing[-_]?key)`;

/** --password, -password, --db-password, --api_key ... (the option name alone). */
const OPTION_NAME = new RegExp(String.raw`^--?(?:[A-Za-z0-9]+[-_])*${SECRET_WORD}$`, 'i');
/** --password=value, --api-key=value */
const OPTION_ASSIGN = new RegExp(String.raw`^(--?(?:[A-Za-z0-9]+[-_])*${SECRET_WORD}=)(.+)$`, 'is');
/** Programs whose -pVALUE (no space) is a password. */
const P_PASSWORD_PROGRAMS = /^(?:mysql|mysqldump|mysqladmin|mysqlimport|mysqlshow|mysqlcheck|mysqlpump|mariadb|mariadb-dump|mariadb-admin|sshpass)$/;

interface TextRule {
  readonly id: string;
  readonly re: RegExp;
  readonly replace: (m: string, ...groups: string[]) => string;
}

const TEXT_RULES: readonly TextRule[] = [
  {
    id: 'private-key',
    re: /-----BEGIN ((?:[A-Z0-9]+ )*PRIVATE KEY)-----[\s\S]*?(?:-----END \1-----|$)/g,
    replace: (_m, kind: string) => `-----BEGIN ${kind}-----${MASK}-----END ${kind}-----`,
  },
  {
    id: 'url-credentials',
    re: /\b([a-z][a-z0-9+.-]{1,20}:\/\/)([^\s:@/\u0000]{0,256}):([^\s@/\u0000]{1,256})@/gi,
    replace: (_m, scheme: string, user: string) => `${scheme}${user}:${MASK}@`,
  },
  {
    id: 'authorization-header',
    re: /\b((?:proxy-)?authorization\s*[:=]\s*)(?:(bearer|basic|token|digest|negotiate)\s+)?([^\s\u0000"',]+)/gi,
    replace: (_m, head: string, scheme: string | undefined) => `${head}${scheme ? `${scheme} ` : ''}${MASK}`,
  },
  {
    id: 'token-format',
    re: /\b(?:AKIA|ASIA)[0-9A-Z]{16}\b|\bgh[pousr]_[A-Za-z0-9]{30,255}\b|\bgithub_pat_[A-Za-z0-9_]{22,255}\b|\bglpat-[A-Za-z0-9_-]{20,}\b|\bxox[abposr]-[A-Za-z0-9-]{10,}\b|\bAIza[0-9A-Za-z_-]{35}\b|\b[sr]k_(?:live|test)_[0-9A-Za-z]{16,}\b|\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\b/g,
    replace: () => MASK,
  },
  {
    id: 'secret-assignment',
    // NAME=value (env-style, INI, URLs' query strings) and name: value (YAML), with optional quotes.
    re: new RegExp(String.raw`(^|[\s\u0000;&?,{"'=])((?:[A-Za-z0-9_.-]*[-_.])?${SECRET_WORD}(?:[-_.][A-Za-z0-9_.-]*)?["']?\s*(?:=|:(?!//))[ \t]*)(["']?)([^\s\u0000"'&;,}]+)`, 'gim'),
    replace: (_m, pre: string, head: string, quote: string) => `${pre}${head}${quote}${MASK}`,
  },
];

/** Counts hits per rule over a whole snapshot. */
export class Redactor {
  readonly hits = new Map<string, number>();

  private hit(id: string, n = 1): void {
    this.hits.set(id, (this.hits.get(id) ?? 0) + n);
  }

  /** Mask secrets in free text (config files, command output, a single argument). */
  text(input: string): string {
    let out = input;
    for (const rule of TEXT_RULES) {
      rule.re.lastIndex = 0;
      if (!rule.re.test(out)) continue;
      rule.re.lastIndex = 0;
      out = out.replace(rule.re, (...args: unknown[]) => {
        const m = String(args[0]);
        const groups = args.slice(1, -2).map((g) => (g === undefined ? '' : String(g)));
        const r = rule.replace(m, ...groups);
        if (r !== m) this.hit(rule.id);
        return r;
      });
    }
    return out;
  }

  /** Mask secrets in an argument vector (a command line), option by option. */
  argv(args: readonly string[]): string[] {
    const out: string[] = [];
    const prog = (args[0] ?? '').split('/').pop() ?? '';
    for (let i = 0; i < args.length; i++) {
      const a = args[i]!;
      const prev = out.length > 0 ? args[i - 1] : undefined;
      if (prev !== undefined && OPTION_NAME.test(prev) && !a.startsWith('-')) {
        out.push(MASK);
        this.hit('secret-option');
        continue;
      }
      const assign = OPTION_ASSIGN.exec(a);
      if (assign) {
        out.push(`${assign[1]}${MASK}`);
        this.hit('secret-option');
        continue;
      }
      if (P_PASSWORD_PROGRAMS.test(prog) && /^-p.+/s.test(a)) {
        out.push(`-p${MASK}`);
        this.hit('db-client-password');
        continue;
      }
      if (P_PASSWORD_PROGRAMS.test(prog) && /^--password=/.test(a)) {
        out.push(`--password=${MASK}`);
        this.hit('db-client-password');
        continue;
      }
      out.push(this.text(a));
    }
    return out;
  }

  /** /proc/PID/cmdline: NUL-separated argv (with a trailing NUL), kept in that form. */
  cmdline(raw: string): string {
    if (raw.length === 0) return raw;
    const trailing = raw.endsWith('\u0000');
    const parts = (trailing ? raw.slice(0, -1) : raw).split('\u0000');
    // A process that rewrote its title may have one long space-separated "argument".
    const masked = parts.length === 1 ? this.argv(parts[0]!.split(' ')).join(' ') : this.argv(parts).join('\u0000');
    return trailing ? masked + '\u0000' : masked;
  }

  /** Redact the text of a file by its path on the host. */
  file(path: string, text: string): string {
    if (/^\/proc\/(?:\d+\/(?:task\/\d+\/)?)?cmdline$/.test(path)) return this.cmdline(text);
    return this.text(text);
  }

  summary(): Array<{ rule: string; description: string; hits: number }> {
    return RULES.map((r) => ({ rule: r.id, description: r.description, hits: this.hits.get(r.id) ?? 0 }));
  }
}

/** Paths a snapshot never stores, redaction or not: they hold secrets by nature. */
export function isForbiddenPath(path: string): boolean {
  return /^\/proc\/(?:\d+|self|thread-self)\/(?:task\/\d+\/)?environ$/.test(path) || /^\/proc\/(?:\d+|self)\/(?:mem|pagemap|auxv)$/.test(path);
}

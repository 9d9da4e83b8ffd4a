/**
 * Redaction: a policy over every string that enters a bundle, not a list of argv patterns. On
 * by default: a bundle is attached to tickets, and tickets are read by many people.
 *
 * What it covers (docs/architecture.md, "Redaction policy"):
 *  - file contents, command outputs and link targets (`text`), command lines (`argv`, `cmdline`);
 *  - names: every component of every path stored (archive entry paths, directory listings, the
 *    keys of the .diag/ JSON files), process names (comm, in /proc/PID/stat, status and comm) and
 *    the argv of recorded commands (an interface or namespace name given to `ethtool -i`);
 *  - consistently: a secret found in one place (an option's value, a name) is learned and masked
 *    wherever else it appears, and a name is masked the same way in paths, contents and keys, so
 *    the bundle replays (`diag run --from`) with the processes, cgroups and interfaces listed
 *    under their masked names. Two names that would mask alike get distinct masks (`*****~2`).
 *
 * Each rule counts its hits; the manifest lists them, so a reader knows what was masked (and that
 * nothing was silently dropped). Environment variables are never collected in the first place (no
 * collector reads /proc/PID/environ, and the snapshot refuses to store such a path).
 */

export const MASK = '*****';

export interface RedactionRule {
  readonly id: string;
  readonly description: string;
}

export const RULES: readonly RedactionRule[] = [
  { id: 'secret-option', description: 'values of --password/--token/--secret/--api-key/-storepass/... options' },
  { id: 'db-client-password', description: '-pPASSWORD of mysql/mariadb/sshpass/7z-style clients' },
  { id: 'client-password', description: 'the argument after a client\'s password flag (sshpass -p, redis-cli -a, mongo -p, ldapsearch -w, mosquitto -P, sqlcmd -P, ...)' },
  { id: 'user-password', description: 'user:password after -u/--user/-U/--proxy-user, user%password (smbclient), user/password@db (sqlplus)' },
  { id: 'url-credentials', description: 'user:password@ in URLs' },
  { id: 'url-query', description: 'credentials in URL query parameters (sig, signature, X-Amz-Signature, code, session, ...)' },
  { id: 'webhook-url', description: 'webhook URLs (Slack, Discord, Teams, Zapier, Google Chat): the path after the host' },
  { id: 'authorization-header', description: 'Authorization: / Proxy-Authorization: / Cookie: values, Bearer and Basic credentials' },
  { id: 'secret-assignment', description: 'NAME=value and name: value where the name holds PASSWORD, SECRET, TOKEN, AUTH, KEY... (with or without a separator: PGPASSWORD, -Dx.keyStorePassword)' },
  { id: 'token-format', description: 'vendor token formats (AWS, GitHub, GitLab, Slack, Google, Stripe, npm, PyPI, Vault, JWT, OpenAI, Hugging Face, SendGrid, Twilio, ...)' },
  { id: 'private-key', description: 'PEM and PGP private key blocks' },
  { id: 'secret-name', description: 'names (process, cgroup, mount, namespace, interface) holding a secret or the start of a truncated one' },
  { id: 'known-secret', description: 'a secret found in one place, masked where it appears elsewhere without its context' },
];

/** Words that make a NAME=value or --option a secret, with or without a separator before them. */
const SECRET_WORD = String.raw`(?:(?<!by|com|sur|over)pass(?:word|wd|phrase|in|out)?|pwd|secret|token|api[-_]?key|apikey|access[-_]?key|secret[-_]?key|private[-_]?key|auth[-_]?token|client[-_]?secret|credentials?|session[-_]?key|signing[-_]?key|storepass|keypass)`;

/** --password, -password, --db-password, -storepass, --passin, --api-key ... (the option name alone). */
const OPTION_NAME = { test: (a: string): boolean => /^--?[A-Za-z0-9]/.test(a) && isSecretName(a.replace(/^--?/, '')) && /[A-Za-z]/.test(a) };
/** --password=value, --api-key=value */
const OPTION_ASSIGN = { exec: (a: string): [string, string, string] | undefined => {
  const m = /^(--?([A-Za-z0-9][A-Za-z0-9_.-]*)=)(.+)$/s.exec(a);
  return m && isSecretName(m[2]!) ? [m[0], m[1]!, m[3]!] : undefined;
} };
/** Programs whose -pVALUE (no space) is a password. */
const P_PASSWORD_PROGRAMS = /^(?:mysql|mysqldump|mysqladmin|mysqlimport|mysqlshow|mysqlcheck|mysqlpump|mysqlbinlog|mariadb|mariadb-dump|mariadb-admin|mariadb-check|mariadb-import|sshpass|7z|7za|7zr|rar|unrar)$/;
/** Programs and the flags whose NEXT argument is a password. */
const VALUE_FLAGS: ReadonlyArray<readonly [RegExp, ReadonlySet<string>]> = [
  [/^sshpass$/, new Set(['-p'])],
  [/^(?:redis-cli|keydb-cli|valkey-cli)$/, new Set(['-a', '--pass'])],
  [/^(?:mongo|mongosh|mongodump|mongorestore|mongoexport|mongoimport|mongostat|mongotop|mongofiles)$/, new Set(['-p'])],
  [/^(?:mysql|mysqldump|mysqladmin|mysqlimport|mysqlshow|mysqlcheck|mysqlpump|mariadb|mariadb-dump|mariadb-admin)$/, new Set(['-p'])],
  [/^ldap(?:search|modify|add|delete|passwd|whoami|compare|modrdn|exop)$/, new Set(['-w'])],
  [/^mosquitto_(?:pub|sub|rr)$/, new Set(['-P'])],
  [/^(?:sqlcmd|bcp|ipmitool|zip|zipcloak)$/, new Set(['-P'])],
  [/^(?:rdesktop|cqlsh|rabbitmqadmin|influx)$/, new Set(['-p', '-password'])],
  [/^(?:openssl|keytool)$/, new Set(['-k', '-passin', '-passout', '-pass', '-storepass', '-keypass', '-srcstorepass', '-deststorepass', '-srckeypass', '-destkeypass', '-password'])],
];
const USER_FLAGS = new Set(['-u', '--user', '-U', '--proxy-user', '--http-user', '--username']);
const SMB_PROGRAMS = /^(?:smbclient|rpcclient|smbcacls|smbmap|net|winexe|smbget|mount\.cifs)$/;
const ORACLE_PROGRAMS = /^(?:sqlplus|rman|exp|imp|expdp|impdp|sqlldr|dgmgrl)$/;

interface TextRule {
  readonly id: string;
  /** A cheap test: the rule is skipped for texts it rejects. */
  readonly quick: RegExp;
  readonly re: RegExp;
  /** The match with its secret replaced by `mask` (the same secret always gets the same mask). */
  readonly replace: (mask: string, m: string, ...groups: string[]) => string;
  /** The secret in a match: it is learned and masked where it appears elsewhere too. */
  readonly secret: (m: string, groups: readonly string[]) => string | undefined;
  /** Whether the match is a secret (the rule is applied again to its last group when not). */
  readonly accept?: (...groups: string[]) => boolean;
}

const TOKEN_SOURCES = [
  String.raw`(?:AKIA|ASIA|ABIA|ACCA)[0-9A-Z]{16}`,
  String.raw`gh[pousr]_[A-Za-z0-9]{30,255}`,
  String.raw`github_pat_[A-Za-z0-9_]{22,255}`,
  String.raw`gl(?:pat|dt|rt|ptt|ft|imt|oas|cbt|soat)-[A-Za-z0-9_-]{20,}`,
  String.raw`GR1348941[A-Za-z0-9_-]{20,}`,
  String.raw`xox[abposre]-[A-Za-z0-9-]{10,}`,
  String.raw`xapp-\d-[A-Za-z0-9-]{10,}`,
  String.raw`AIza[0-9A-Za-z_-]{35}`,
  String.raw`ya29\.[0-9A-Za-z_-]{20,}`,
  String.raw`GOCSPX-[0-9A-Za-z_-]{20,}`,
  String.raw`[sr]k_(?:live|test)_[0-9A-Za-z]{16,}`,
  String.raw`whsec_[0-9A-Za-z]{24,}`,
  String.raw`npm_[A-Za-z0-9]{36}`,
  String.raw`pypi-[A-Za-z0-9_-]{50,}`,
  String.raw`hv[sbr]\.[A-Za-z0-9_-]{24,}`,
  String.raw`s\.[A-Za-z0-9]{24}`,
  String.raw`eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}`,
  String.raw`sk-(?:proj-|svcacct-|admin-|ant-(?:api\d\d-)?)?[A-Za-z0-9_-]{32,}`,
  String.raw`hf_[A-Za-z0-9]{30,}`,
  String.raw`SG\.[A-Za-z0-9_-]{16,}\.[A-Za-z0-9_-]{16,}`,
  String.raw`SK[0-9a-f]{32}`,
  String.raw`key-[0-9a-f]{32}`,
  String.raw`do[por]_v1_[a-f0-9]{64}`,
  String.raw`dckr_pat_[A-Za-z0-9_-]{20,}`,
  String.raw`shp(?:at|ss|ca|pa)_[a-fA-F0-9]{32}`,
  String.raw`ATATT3[A-Za-z0-9_=-]{50,}`,
  String.raw`PMAK-[a-f0-9]{24}-[a-f0-9]{34}`,
  String.raw`gl(?:sa|c)_[A-Za-z0-9+/=_]{32,}`,
  String.raw`NRAK-[A-Z0-9]{27}`,
  String.raw`\d{8,10}:AA[A-Za-z0-9_-]{33}`,
  String.raw`dp\.(?:pt|st|sa|ct|scim|audit)\.[A-Za-z0-9]{40,}`,
  String.raw`AGE-SECRET-KEY-1[0-9A-Z]{58}`,
  String.raw`dapi[0-9a-f]{32}`,
  String.raw`lin_api_[A-Za-z0-9]{40}`,
  String.raw`pul-[a-f0-9]{40}`,
  String.raw`[A-Za-z0-9]{14}\.atlasv1\.[A-Za-z0-9_-]{60,}`,
];
const TOKEN_RE = new RegExp(String.raw`(?<![A-Za-z0-9])(?:${TOKEN_SOURCES.join('|')})(?![A-Za-z0-9])`, 'g');
/** The start of a token, at the end of a 15-character name (comm and interface names are cut there). */
const TRUNCATED_TOKEN = /(?:AKIA|ASIA|gh[pousr]_|github_pat_|gl(?:pat|dt|rt|ptt)-|xox[abposre]-|xapp-|AIza|ya29\.|GOCSPX-|[sr]k_(?:live|test)_|whsec_|npm_|pypi-|hv[sbr]\.|eyJ|sk-|hf_|SG\.|dckr_pat_|do[por]_v1_|shp(?:at|ss|ca|pa)_|ATATT3|PMAK-|glsa_|NRAK-|AGE-SECRET|dapi|lin_api_)[A-Za-z0-9._-]*$/;
/** Names longer than this are not truncated by the kernel (comm and interface names hold 15). */
const TRUNCATED_LENGTH = 15;
/** A learned secret or masked name shorter than this is not masked elsewhere (too likely to be ordinary text). */
const MIN_LEARNED = 6;

/** Not a value to mask again: already a mask. */
const NOT_MASKED = String.raw`(?!\*{5})`;

const TEXT_RULES: readonly TextRule[] = [
  {
    id: 'private-key',
    quick: /-----BEGIN /,
    re: /-----BEGIN ((?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?)-----[\s\S]*?(?:-----END \1-----|$)/g,
    replace: (mask, _m, kind: string) => `-----BEGIN ${kind}-----${mask}-----END ${kind}-----`,
    secret: () => undefined,
  },
  {
    id: 'webhook-url',
    quick: /hooks|discord|webhook|googleapis/i,
    re: /\b(https?:\/\/(?:hooks\.slack\.com\/(?:services|workflows|triggers)\/|(?:(?:canary\.|ptb\.)?discord(?:app)?\.com)\/api\/webhooks\/|[a-z0-9-]+\.webhook\.office\.com\/webhookb2\/|outlook\.office(?:365)?\.com\/webhook\/|hooks\.zapier\.com\/hooks\/catch\/|chat\.googleapis\.com\/v1\/spaces\/))((?!\*{5})[^\s"'<>\u0000]+)/gi,
    replace: (mask, _m, head: string) => `${head}${mask}`,
    secret: (_m, g) => g[1],
  },
  {
    id: 'url-credentials',
    quick: /:\/\//,
    re: /\b([a-z][a-z0-9+.-]{1,20}:\/\/)([^\s:@/\u0000]{0,256}):((?!\*{5}@)[^\s@/\u0000]{1,256})@/gi,
    replace: (mask, _m, scheme: string, user: string) => `${scheme}${user}:${mask}@`,
    secret: (_m, g) => g[2],
  },
  {
    id: 'url-query',
    quick: /[?&;]/,
    re: new RegExp(String.raw`([?&;](?:sig|signature|x-amz-signature|x-goog-signature|x-amz-credential|x-goog-credential|code|session|sessionid|sid|jwt|sas|hmac|otp)=)${NOT_MASKED}([^\s&#"'<>\u0000]+)`, 'gi'),
    replace: (mask, _m, head: string) => `${head}${mask}`,
    secret: (_m, g) => g[1],
  },
  {
    id: 'authorization-header',
    quick: /authori|cookie|bearer|basic/i,
    re: new RegExp(String.raw`\b((?:(?:proxy-)?authorization|(?:set-)?cookie)\s*[:=]\s*)(?:(bearer|basic|token|digest|negotiate|ntlm|aws4-hmac-sha256)\s+)?${NOT_MASKED}([^\s\u0000"',]+)|\b(bearer|basic)\s+${NOT_MASKED}([A-Za-z0-9._~+/=-]{16,})`, 'gi'),
    replace: (mask, _m, head: string, scheme: string | undefined, _v: string, bare: string) => (bare ? `${bare} ${mask}` : `${head}${scheme ? `${scheme} ` : ''}${mask}`),
    // a cookie's value, not its name: sessionid=VALUE;
    secret: (_m, g) => (g[2] || g[4] || '').replace(/^[^=]*=/, '').replace(/;$/, ''),
  },
  {
    id: 'token-format',
    quick: /[A-Za-z0-9][._-]|[A-Z]{4}[0-9A-Z]{8}|\d:AA|SK[0-9a-f]|dapi|ATATT/,
    re: TOKEN_RE,
    replace: (mask) => mask,
    secret: (m) => m,
  },
  {
    id: 'secret-assignment',
    // NAME=value (env-style, INI, URLs' query strings, JVM -D properties, connection strings)
    // and name: value (YAML, HTTP headers), with optional quotes. Which names hold a secret is
    // decided by isSecretName (case matters there: APIKEY and accountKey, not monkey). A colon
    // ending the value is not part of it ("pwd=x:" is an interface in /proc/net/dev).
    quick: /pass|pwd|secret|token|key|auth|credential|cookie|sig/i,
    re: /(^|[\s\u0000;&?,{("'=/])([A-Za-z0-9_.-]+["']?\s*(?:=|:(?!\/\/))[ \t]*)(["']?)(?!\*{5})((?:[^\s\u0000"'&;,}:]|:(?![\s\u0000]|$))+)/gm,
    replace: (mask, _m, pre: string, head: string, quote: string) => `${pre}${head}${quote}${mask}`,
    accept: (_pre: string, head: string) => isSecretName(/^[A-Za-z0-9_.-]+/.exec(head)?.[0] ?? ''),
    secret: (_m, g) => g[3],
  },
];

const SECRET_NAME_WORD = new RegExp(String.raw`${SECRET_WORD}(?:[-_.][A-Za-z0-9_.-]*)?$`, 'i');

/** Whether NAME in NAME=value names a secret: PASSWORD, DB_PASSWORD, PGPASSWORD, keyStorePassword, API_KEY, APIKEY, accountKey. */
export function isSecretName(name: string): boolean {
  const n = name.replace(/^-D/, '');
  return SECRET_NAME_WORD.test(n) || /(?:^|[-_.])(?:key|auth|cookie|sig|signature)$/i.test(n) || /[A-Z0-9](?:KEY|AUTH|SIG)$/.test(n) || /[a-z0-9](?:Key|Auth|Signature)$/.test(n);
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** The process name of /proc/PID/stat: between the first '(' and the last ')'. */
function statComm(text: string): { start: number; end: number } | undefined {
  const start = text.indexOf('(');
  const end = text.lastIndexOf(')');
  return start >= 0 && end > start ? { start: start + 1, end } : undefined;
}

/**
 * Files whose format the kernel fixes and whose only free text is a process name (or none):
 * numbers, fixed words. The content rules are not run over them (they are most of a
 * snapshot's bytes); the process name in stat and status is masked as a name.
 */
const KERNEL_FORMATTED =
  /^\/proc\/(?:\d+\/(?:task\/\d+\/)?(?:io|limits|statm|schedstat|stat|status|comm)|stat|meminfo|vmstat|loadavg|uptime|swaps|diskstats|pressure\/\w+|net\/(?:snmp6?|netstat|sockstat6?|softnet_stat|stat\/nf_conntrack)|sys\/[\w/.-]+)$|^\/sys\/(?:block|class\/net|devices)\/.*\/(?:size|rotational|nr_requests|\w+_block_size|max_\w+_kb|read_ahead_kb|ro|removable|operstate|ifindex|type|mtu|carrier|carrier_changes|tx_queue_len|speed|duplex|partition|stat)$|^\/sys\/fs\/cgroup\/.*\/(?:cpu\.stat|cpu\.max|cpu\.weight|cpu\.cfs_\w+|cpuacct\.\w+|memory\.(?:stat|current|max|high|low|min|swap\.\w+|events(?:\.local)?|peak|pressure|usage_in_bytes|limit_in_bytes|failcnt|memsw\.\w+|oom_control)|io\.(?:stat|max|pressure)|cpu\.pressure|pids\.\w+|blkio\.[\w.]+|cgroup\.(?:procs|threads|controllers|subtree_control|events|stat))$|^\/sys\/fs\/cgroup\/(?:cpu\.stat|cpu\.pressure|memory\.\w+|io\.\w+|cgroup\.\w+)$/;

/** Counts hits per rule over a whole snapshot, and remembers what it masked to mask it everywhere. */
export class Redactor {
  readonly hits = new Map<string, number>();
  /** Secret or name as found -> its mask: applied to every text and name (settle). */
  private readonly learned = new Map<string, string>();
  private learnedRe: RegExp | undefined;
  /** Masks given to names, and to secret values (by value). */
  private readonly masks = new Set<string>();
  private readonly valueMasks = new Map<string, string>();
  private readonly names = new Map<string, string>();
  private readonly comms = new Map<string, string>();
  /** 15-character names left as they were: the start of a secret learned later masks them at settle. */
  private readonly unresolved = new Set<string>();
  private resolvedAt = 0;

  private hit(id: string, n = 1): void {
    this.hits.set(id, (this.hits.get(id) ?? 0) + n);
  }

  /** Remember a secret found in context, so it is masked where it appears without it. */
  private learn(secret: string, mask = MASK): void {
    if (secret.length < MIN_LEARNED || secret.includes(MASK) || this.learned.has(secret)) return;
    this.learned.set(secret, mask);
    this.learnedRe = undefined;
  }

  /** Mask what was learned (secrets found elsewhere, masked names) in a text. */
  settle(input: string): string {
    if (this.learned.size !== this.resolvedAt) this.resolve();
    if (this.learned.size === 0 || input.length < MIN_LEARNED) return input;
    this.learnedRe ??= new RegExp(
      [...this.learned.keys()]
        .sort((a, b) => b.length - a.length)
        .map(escapeRe)
        .join('|'),
      'g',
    );
    this.learnedRe.lastIndex = 0;
    if (!this.learnedRe.test(input)) return input;
    this.learnedRe.lastIndex = 0;
    return input.replace(this.learnedRe, (m) => {
      this.hit('known-secret');
      return this.learned.get(m) ?? MASK;
    });
  }

  /** The learned secrets' bytes in binary data (BPF maps hold process names) become '*' of the same length. */
  settleBytes(input: Buffer): Buffer {
    if (this.learned.size === 0) return input;
    let out: Buffer | undefined;
    for (const secret of this.learned.keys()) {
      const needle = Buffer.from(secret, 'utf8');
      let at = (out ?? input).indexOf(needle);
      while (at >= 0) {
        out ??= Buffer.from(input);
        out.fill(0x2a, at, at + needle.length);
        this.hit('known-secret');
        at = out.indexOf(needle, at + needle.length);
      }
    }
    return out ?? input;
  }

  /** The content rules alone (no learned secrets). */
  private rules(input: string): string {
    let out = input;
    for (const rule of TEXT_RULES) if (rule.quick.test(out)) out = this.apply(rule, out);
    return out;
  }

  private apply(rule: TextRule, input: string): string {
    rule.re.lastIndex = 0;
    if (!rule.re.test(input)) return input;
    // A nested call (accept) reuses the rule's regex: work on a copy of it.
    const re = new RegExp(rule.re.source, rule.re.flags);
    return input.replace(re, (...args: unknown[]) => {
      const m = String(args[0]);
      const groups = args.slice(1, -2).map((g) => (g === undefined ? '' : String(g)));
      if (rule.accept && !rule.accept(...groups)) {
        const last = groups[groups.length - 1] ?? '';
        return m.slice(0, m.length - last.length) + this.apply(rule, last);
      }
      const secret = rule.secret(m, groups);
      const r = rule.replace(secret ? this.maskFor(secret) : MASK, m, ...groups);
      if (r !== m) this.hit(rule.id);
      return r;
    });
  }

  /** Mask secrets in free text (config files, command output, a single argument). */
  text(input: string): string {
    return this.settle(this.rules(input));
  }

  private maskArg(value: string, rule: string): string {
    this.hit(rule);
    return this.maskFor(value.replace(/^pass:/, ''));
  }

  /**
   * The mask of a secret value: ***** for the first, *****~2, *****~3 for others, so two
   * secrets never mask alike (two cgroups or mount points whose names differ by a token stay
   * two). The value is learned: masked the same way wherever else it appears.
   */
  private maskFor(value: string): string {
    if (value.length === 0 || value.includes(MASK)) return MASK;
    const known = this.valueMasks.get(value);
    if (known !== undefined) return known;
    let m = this.valueMasks.size === 0 ? MASK : `${MASK}~${this.valueMasks.size + 1}`;
    for (let n = this.valueMasks.size + 2; this.masks.has(m); n++) m = `${MASK}~${n}`;
    this.valueMasks.set(value, m);
    this.learn(value, m);
    return m;
  }

  /** Mask secrets in an argument vector (a command line), option by option. */
  argv(args: readonly string[]): string[] {
    const out: string[] = [];
    const prog = (args[0] ?? '').split('/').pop() ?? '';
    const valueFlags = VALUE_FLAGS.find(([re]) => re.test(prog))?.[1];
    for (let i = 0; i < args.length; i++) {
      const a = args[i]!;
      const prev = i > 0 ? args[i - 1] : undefined;
      if (prev !== undefined && a.length > 0 && !a.startsWith('-') && a !== MASK) {
        if (OPTION_NAME.test(prev)) {
          out.push(this.maskArg(a, 'secret-option'));
          continue;
        }
        if (valueFlags?.has(prev)) {
          out.push(this.maskArg(a, 'client-password'));
          continue;
        }
      }
      if (prev !== undefined && USER_FLAGS.has(prev)) {
        const m = /^([^:]*):(.+)$/s.exec(a);
        if (m && !/^\d+:\d+$/.test(a) && !m[2]!.startsWith(MASK)) {
          this.hit('user-password');
          out.push(`${m[1]}:${this.maskFor(m[2]!)}`);
          continue;
        }
        if (SMB_PROGRAMS.test(prog)) {
          const s = /^([^%]*)%(.+)$/s.exec(a);
          if (s && !s[2]!.startsWith(MASK)) {
            this.hit('user-password');
            out.push(`${s[1]}%${this.maskFor(s[2]!)}`);
            continue;
          }
        }
        if (prog === 'lftp') {
          const s = /^([^,]*),(.+)$/s.exec(a);
          if (s && !s[2]!.startsWith(MASK)) {
            this.hit('user-password');
            out.push(`${s[1]},${this.maskFor(s[2]!)}`);
            continue;
          }
        }
      }
      const attachedUser = /^(-u|--user=|--proxy-user=)([^:\s]+):(.+)$/s.exec(a);
      if (attachedUser && (prog === 'curl' || attachedUser[1] !== '-u') && !attachedUser[3]!.startsWith(MASK)) {
        this.hit('user-password');
        out.push(`${attachedUser[1]}${attachedUser[2]}:${this.maskFor(attachedUser[3]!)}`);
        continue;
      }
      const assign = OPTION_ASSIGN.exec(a);
      if (assign && !assign[2]!.startsWith(MASK)) {
        out.push(`${assign[1]}${this.maskArg(assign[2]!, 'secret-option')}`);
        continue;
      }
      if (P_PASSWORD_PROGRAMS.test(prog) && /^-p.+/s.test(a) && !a.startsWith(`-p${MASK}`)) {
        out.push(`-p${this.maskArg(a.slice(2), 'db-client-password')}`);
        continue;
      }
      if (/^xfreerdp3?$|^wlfreerdp$/.test(prog)) {
        const m = /^([/+-](?:p|password|gp|gateway-password):)(.+)$/s.exec(a);
        if (m && !m[2]!.startsWith(MASK)) {
          out.push(`${m[1]}${this.maskArg(m[2]!, 'client-password')}`);
          continue;
        }
      }
      if (ORACLE_PROGRAMS.test(prog) && i > 0) {
        const m = /^([A-Za-z0-9_$#.]+)\/([^@\s/]+)(@.*)?$/s.exec(a);
        if (m && !m[2]!.startsWith(MASK)) {
          this.hit('user-password');
          out.push(`${m[1]}/${this.maskFor(m[2]!)}${m[3] ?? ''}`);
          continue;
        }
      }
      if (prog === 'htpasswd' && i === args.length - 1 && args.slice(1, -1).some((x) => /^-[a-zA-Z]*b/.test(x)) && args.length >= 5) {
        out.push(this.maskArg(a, 'client-password'));
        continue;
      }
      out.push(this.rules(a));
    }
    return out.map((x) => this.settle(x));
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

  /** A distinct mask for a name: two names never mask alike (paths stay distinct). */
  private distinct(original: string, masked: string): string {
    let m = masked;
    for (let n = 2; this.masks.has(m); n++) m = `${masked}~${n}`;
    this.masks.add(m);
    if (original.length >= MIN_LEARNED) this.learn(original, m);
    return m;
  }

  /**
   * A name (a path component, a directory entry, an interface, a namespace, a process name):
   * the content rules, the learned secrets, and for a name of 15 characters (the kernel's cut
   * for comm and interface names) the start of a token at its end. The same name always masks
   * the same way.
   */
  name(input: string): string {
    const known = this.names.get(input);
    if (known !== undefined) return known;
    let out = this.text(input);
    if (input.length === TRUNCATED_LENGTH) out = this.truncated(out);
    const masked = out === input ? input : this.distinct(input, out);
    if (masked !== input) this.hit('secret-name');
    else if (input.length === TRUNCATED_LENGTH) this.unresolved.add(input);
    this.names.set(input, masked);
    return masked;
  }

  /** Names that may be the cut start of a secret learned after they were seen. */
  private resolve(): void {
    while (this.resolvedAt !== this.learned.size) {
      this.resolvedAt = this.learned.size;
      for (const n of this.unresolved) {
        const out = this.truncated(n);
        if (out === n) continue;
        this.unresolved.delete(n);
        const masked = this.distinct(n, out);
        this.hit('secret-name');
        this.names.set(n, masked);
        this.comms.set(n, masked);
      }
    }
  }

  /** A 15-character name: a token's start at its end, or the start of a learned secret. */
  private truncated(name: string): string {
    const m = TRUNCATED_TOKEN.exec(name);
    if (m && m[0].length >= 4) return name.slice(0, m.index) + MASK;
    for (let i = 0; i + MIN_LEARNED <= name.length; i++) {
      const tail = name.slice(i);
      for (const secret of this.learned.keys()) if (secret.length > tail.length && secret.startsWith(tail)) return name.slice(0, i) + MASK;
    }
    return name;
  }

  /** A process name (comm): a name, known before the files that hold it are settled. */
  comm(input: string): string {
    const known = this.comms.get(input);
    if (known !== undefined) return known;
    const out = this.name(input);
    this.comms.set(input, out);
    return out;
  }

  /** Every component of a path, as a name. */
  path(input: string): string {
    if (input.length === 0) return input;
    let changed = false;
    const parts = input.split('/').map((p) => {
      if (p.length === 0 || /^\d+$/.test(p)) return p;
      const n = this.name(p);
      if (n !== p) changed = true;
      return n;
    });
    return changed ? parts.join('/') : input;
  }

  /** Redact the text of a file by its path on the host. */
  file(path: string, text: string): string {
    if (/^\/proc\/(?:\d+\/(?:task\/\d+\/)?)?cmdline$/.test(path)) return this.cmdline(text);
    if (KERNEL_FORMATTED.test(path)) return this.kernelFormatted(path, text);
    return this.text(text);
  }

  /** A file of a kernel-fixed format: only the process name in it is free text. */
  private kernelFormatted(path: string, text: string): string {
    if (/\/stat$/.test(path) && /^\/proc\/\d+\//.test(path)) {
      const c = statComm(text);
      if (!c) return this.settle(text);
      const comm = text.slice(c.start, c.end);
      const masked = this.comm(comm);
      return masked === comm ? text : text.slice(0, c.start) + masked + text.slice(c.end);
    }
    if (/\/status$/.test(path) && /^\/proc\/\d+\//.test(path)) {
      // The text itself when its name is kept: a new string per process would double what a
      // snapshot of thousands of processes holds.
      const m = /^Name:\t(.*)$/m.exec(text);
      if (!m) return text;
      const masked = this.comm(m[1]!);
      if (masked === m[1]) return text;
      const start = m.index + 'Name:\t'.length;
      return text.slice(0, start) + masked + text.slice(start + m[1]!.length);
    }
    if (/\/comm$/.test(path)) {
      const comm = text.endsWith('\n') ? text.slice(0, -1) : text;
      const masked = this.comm(comm);
      return masked === comm ? text : masked + text.slice(comm.length);
    }
    return text;
  }

  summary(): Array<{ rule: string; description: string; hits: number }> {
    return RULES.map((r) => ({ rule: r.id, description: r.description, hits: this.hits.get(r.id) ?? 0 }));
  }
}

/** Paths a snapshot never stores, redaction or not: they hold secrets by nature. */
export function isForbiddenPath(path: string): boolean {
  return /^\/proc\/(?:\d+|self|thread-self)\/(?:task\/\d+\/)?environ$/.test(path) || /^\/proc\/(?:\d+|self)\/(?:mem|pagemap|auxv)$/.test(path);
}

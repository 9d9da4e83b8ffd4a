import { z } from 'zod';
import { parseJsonBounded } from '../core/bounded-json.js';
import { OUTCOME_CODE_LIST, type OutcomeRecord } from '../core/outcome.js';
import type { RecordedAnswers } from '../core/recording-source.js';
import { commandKey, type Clock, type CommandResult, type CommandSpec, type StatFs } from '../core/source.js';
import type { FlatSample } from './frames.js';

/**
 * One sample's recorded answers (RecordingSource.drain) as a flat map key -> string, the unit a
 * recording's frames deduplicate: one entry per file, listing, link, statfs, failure, command and
 * clock, so an unchanged /proc/PID/stat or cgroup file is an unchanged entry. Keys start with the
 * kind: `f` file text (raw), `d` listing, `l` link target (raw), `s` statfs, `m` what could not
 * be read, `c` a command (by commandKey) with its answer, `k` a clock; all but `f` and `l` JSON.
 * BPF captures are not recorded (the recorder runs no probe).
 */
export function flattenAnswers(a: RecordedAnswers): Map<string, string> {
  const out = new Map<string, string>();
  for (const [p, t] of a.files) out.set(`f${p}`, t);
  for (const [p, names] of a.dirs) out.set(`d${p}`, JSON.stringify(names));
  for (const [p, t] of a.links) out.set(`l${p}`, t);
  for (const [p, s] of a.statfsMap) out.set(`s${p}`, JSON.stringify(s));
  for (const [p, r] of a.missing) out.set(`m${p}`, JSON.stringify(r));
  for (const [k, c] of a.commands) out.set(`c${k}`, JSON.stringify(c));
  for (const [l, c] of a.clocks) out.set(`k${l}`, JSON.stringify(c));
  return out;
}

const notOk = z.object({ status: z.enum(['unavailable', 'error']), code: z.enum(OUTCOME_CODE_LIST), reason: z.string(), hint: z.string().optional() });
const statfs = z.object({ type: z.number(), bsize: z.number(), blocks: z.number(), bfree: z.number(), bavail: z.number(), files: z.number(), ffree: z.number() });
const clock = z.object({ monoMs: z.number(), wall: z.string() });
const spec = z.object({ cmd: z.string(), args: z.array(z.string()), netnsPid: z.number().int().positive().optional(), netnsPath: z.string().optional() });
const command = z.object({ spec, answer: z.union([z.object({ stdout: z.string(), stderr: z.string(), exitCode: z.number() }), notOk]) });
const LIMITS = { maxBytes: 64 * 1024 * 1024, maxDepth: 8 };

function json<T>(schema: z.ZodType<T>, text: string): T | undefined {
  const r = parseJsonBounded(text, LIMITS);
  if (!r.ok) return undefined;
  const p = schema.safeParse(r.value);
  return p.success ? p.data : undefined;
}

/**
 * The answers of a flat sample read back (from disk: outside input). An entry that does not
 * decode is dropped and counted; a command is kept only under the key its own spec gives.
 */
export function unflattenAnswers(flat: FlatSample): { answers: RecordedAnswers; bad: number } {
  const files = new Map<string, string>();
  const dirs = new Map<string, string[]>();
  const links = new Map<string, string>();
  const statfsMap = new Map<string, StatFs>();
  const missing = new Map<string, OutcomeRecord>();
  const commands = new Map<string, { spec: CommandSpec; answer: CommandResult | OutcomeRecord }>();
  const clocks = new Map<string, Clock>();
  let bad = 0;
  for (const [key, v] of flat) {
    const k = key.slice(1);
    let good = true;
    switch (key[0]) {
      case 'f':
        files.set(k, v);
        break;
      case 'l':
        links.set(k, v);
        break;
      case 'd': {
        const x = json(z.array(z.string()), v);
        if (x) dirs.set(k, x);
        else good = false;
        break;
      }
      case 's': {
        const x = json(statfs, v);
        if (x) statfsMap.set(k, x);
        else good = false;
        break;
      }
      case 'm': {
        const x = json(notOk, v);
        if (x) missing.set(k, x as OutcomeRecord);
        else good = false;
        break;
      }
      case 'c': {
        const x = json(command, v);
        const s = x ? ({ cmd: x.spec.cmd, args: x.spec.args, ...(x.spec.netnsPid !== undefined ? { netnsPid: x.spec.netnsPid } : {}), ...(x.spec.netnsPath !== undefined ? { netnsPath: x.spec.netnsPath } : {}) } as CommandSpec) : undefined;
        if (x && s && commandKey(s) === k) commands.set(k, { spec: s, answer: x.answer as CommandResult | OutcomeRecord });
        else good = false;
        break;
      }
      case 'k': {
        const x = json(clock, v);
        if (x) clocks.set(k, x);
        else good = false;
        break;
      }
      default:
        good = false;
    }
    if (!good) bad++;
  }
  return { answers: { files, dirs, links, statfsMap, missing, commands, clocks, captures: new Map() }, bad };
}

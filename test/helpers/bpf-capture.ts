import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BpfAccess, BpfCapture, BpfMapDump, BpfProbeRequest } from '../../src/core/bpf.js';
import { bpfCaptureEntries } from '../../src/core/bpf-tree.js';
import { ok, type Outcome } from '../../src/core/outcome.js';

const FIX = join(import.meta.dirname, '../fixtures/bpf');

/** A map dump captured from the live kernel: test/fixtures/bpf/<name>.{json,keys.bin,values.bin}. */
export function capturedDump(name: string): { dump: BpfMapDump; ncpus: number } {
  const meta = JSON.parse(readFileSync(join(FIX, `${name}.json`), 'utf8')) as { count: number; keySize: number; valueStride: number; ncpus: number };
  return {
    ncpus: meta.ncpus,
    dump: { count: meta.count, keySize: meta.keySize, valueStride: meta.valueStride, keys: readFileSync(join(FIX, `${name}.keys.bin`)), values: readFileSync(join(FIX, `${name}.values.bin`)) },
  };
}

/** A runqlat capture made of the captured fixture dumps (hist and lost, 2 CPUs). */
export function runqlatCapture(durationMs = 1000): BpfCapture {
  const hist = capturedDump('runqlat.hist');
  const lost = capturedDump('runqlat.lost');
  return {
    probe: 'runqlat',
    hook: 'tp_btf',
    fallbacks: [],
    attachMs: 20,
    durationMs,
    stoppedBy: 'duration',
    ncpus: hist.ncpus,
    maps: { hist: hist.dump, lost: lost.dump },
    rings: {},
    progStats: [],
    symbols: {},
    enums: {},
    notes: [],
    carries: [],
  };
}

/** A BPF capability answering every request with `capture`, remembering what was asked. */
export function fakeBpf(capture: (req: BpfProbeRequest) => Outcome<BpfCapture>): BpfAccess & { asked: BpfProbeRequest[] } {
  const asked: BpfProbeRequest[] = [];
  return { asked, run: (req) => (asked.push(req), Promise.resolve(capture(req))) };
}

export const answer = (c: BpfCapture): Outcome<BpfCapture> => ok(c);

/** The files of a capture as fixtureTree takes them (tree path -> content). */
export function captureFiles(req: Pick<BpfProbeRequest, 'probe' | 'tgids' | 'settings'>, o: Outcome<BpfCapture>): Record<string, string | Buffer> {
  return Object.fromEntries(bpfCaptureEntries(req, o));
}

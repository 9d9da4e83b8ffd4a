import type { ProbeDefinition } from './probe.js';
import { expectDump, u64Exact } from './dump.js';
import { histogramFromCounts, MAX_SLOTS, percentileUpperBound, type Log2Histogram } from './histogram.js';
import { structLayout } from './layout.js';
import { LATENCY_FIELDS, latencyValues, RUN_FIELDS, runValues } from './tables.js';
import type { BpfMapDump } from '../../src/core/bpf.js';
import { gauge } from '../../src/core/fields.js';
import type { Source } from '../../src/core/source.js';

/** native/bpf/biolatency.h: struct bio_hist_key (key of the `hist` map; value: u64 count). */
export const BIO_HIST_KEY = structLayout('biolatency', 'bio_hist_key', 8, { dev: [0, 4], slot: [4, 4] });

/** MKDEV as the kernel's dev_t inside the kernel: major << 20 | minor. */
export const kernelDev = (major: number, minor: number): number => ((major << 20) | minor) >>> 0;
export const devMajor = (dev: number): number => dev >>> 20;
export const devMinor = (dev: number): number => dev & 0xfffff;

export interface DeviceLatency {
  readonly dev: string; // "7:0"
  readonly name: string | undefined; // "loop0"
  readonly histogram: Log2Histogram;
  readonly p50Us: number | undefined;
  readonly p99Us: number | undefined;
}

export interface BiolatencyResult {
  readonly devices: readonly DeviceLatency[];
}

/** Decode the `hist` map (key BIO_HIST_KEY, value u64). */
export function decodeBioHist(d: BpfMapDump): Map<number, number[]> {
  const per = new Map<number, number[]>();
  const m = BIO_HIST_KEY.members;
  for (let i = 0; i < d.count; i++) {
    const dev = d.keys.readUInt32LE(i * d.keySize + m.dev.offset);
    const slot = d.keys.readUInt32LE(i * d.keySize + m.slot.offset);
    if (slot >= MAX_SLOTS) continue;
    const count = u64Exact(d.values, i * d.valueStride);
    const counts = per.get(dev) ?? [];
    counts[slot] = (counts[slot] ?? 0) + count;
    per.set(dev, counts);
  }
  return per;
}

/** Device names from /proc/diskstats ("   7       0 loop0 ..."). */
export function deviceNames(src: Source): Map<string, string> {
  const names = new Map<string, string>();
  const r = src.readFile('/proc/diskstats');
  if (r.status !== 'ok') return names;
  for (const line of r.value.split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f.length >= 3 && /^\d+$/.test(f[0] ?? '') && /^\d+$/.test(f[1] ?? '')) names.set(`${f[0]}:${f[1]}`, f[2] ?? '');
  }
  return names;
}

/** Options: only one device (major:minor). */
export interface BiolatencyOptions {
  readonly major?: number;
  readonly minor?: number;
}

export function biolatencyProbe(opts: BiolatencyOptions = {}): ProbeDefinition<BiolatencyResult> {
  return {
    id: 'biolatency',
    title: 'block I/O latency per device, issue to completion (log2 histogram, µs)',
    object: 'biolatency',
    layouts: [BIO_HIST_KEY],
    variants: [
      { hook: 'tp_btf', programs: ['issue_btf', 'complete_btf'] },
      { hook: 'raw_tp', programs: ['issue_raw', 'complete_raw'] },
    ],
    filter: false,
    configure(obj) {
      if (opts.major !== undefined && opts.minor !== undefined) {
        const b = Buffer.alloc(4);
        b.writeUInt32LE(kernelDev(opts.major, opts.minor));
        obj.setGlobal('target_dev', b);
      }
    },
    maps: ['hist'],
    decode(cap, src) {
      const names = deviceNames(src);
      const devices = [...decodeBioHist(expectDump(cap.maps, 'hist', { keySize: BIO_HIST_KEY.size, valueStride: 8 })).entries()]
        .map(([dev, counts]) => {
          const histogram = histogramFromCounts(counts, 'usecs');
          const id = `${devMajor(dev)}:${devMinor(dev)}`;
          return { dev: id, name: names.get(id), histogram, p50Us: percentileUpperBound(histogram, 0.5), p99Us: percentileUpperBound(histogram, 0.99) };
        })
        .sort((a, b) => b.histogram.total - a.histogram.total);
      return { devices };
    },
    collector: {
      resources: ['disk'],
      tables: {
        biolatency: {
          title: 'Block I/O latency per device over the probe\'s run (issue to completion)',
          scope: 'device',
          fields: { ios: gauge('I/Os completed'), ...LATENCY_FIELDS('I/O latency') },
          identity: ['dev'],
        },
        biolatency_summary: { title: 'Block I/O latency probe: I/Os, duration and lost events', scope: 'host', fields: { ios: gauge('I/Os completed on every device'), ...RUN_FIELDS } },
      },
      rows: (r, cap) => ({
        biolatency: r.devices.map((d) => ({ key: d.name ?? d.dev, labels: { dev: d.dev }, values: { ios: d.histogram.total, ...latencyValues(d.histogram) } })),
        biolatency_summary: [{ key: 'host', values: { ios: r.devices.reduce((a, d) => a + d.histogram.total, 0), ...runValues(cap) } }],
      }),
    },
  };
}

import type { Meminfo, Zoneinfo } from './parse.js';

/**
 * MemAvailable for kernels that do not print it (before 3.14), estimated the way the kernel
 * itself computes it since 3.14 (commit 34e431b0ae39 "/proc/meminfo: provide estimated available
 * memory", fs/proc/meminfo.c meminfo_proc_show; si_mem_available() in mm/page_alloc.c since 4.6):
 *
 *   available  = MemFree - wmark_low
 *   pagecache  = Active(file) + Inactive(file);  available += pagecache - min(pagecache / 2, wmark_low)
 *   available += SReclaimable - min(SReclaimable / 2, wmark_low)
 *   available  = max(available, 0)
 *
 * where wmark_low is the sum of every zone's low watermark. diag reads the watermarks from
 * /proc/zoneinfo when it can; otherwise it takes min_free_kbytes * 5 / 4, as procps-ng 3.3
 * does (proc/sysinfo.c meminfo(): "watermark_low = kb_min_free * 5 / 4; should be equal to sum
 * of all 'low' fields in /proc/zoneinfo", applied for kernels >= 2.6.27 that lack MemAvailable).
 * procps-ng 4 dropped that estimate (library/meminfo.c meminfo_read_failed():
 * "if (0 == mHr(MemAvailable)) mHr(MemAvailable) = mHr(MemFree);"), which counts all page
 * cache as used: a host with 15 of 16 GB in page cache reads "97 % used". diag does not.
 *
 * Before 2.6.27 the kernel has no Active(file)/Inactive(file) split: the estimate is then
 * MemFree + Buffers + Cached, the "-/+ buffers/cache" free column of procps 3.2 free(1).
 */

/** What diag's estimate was computed from, said in the meminfo row's `available_from` label. */
export type EstimateBasis = 'zoneinfo' | 'min_free_kbytes' | 'no-watermarks' | 'buffers-cached';

const BASIS_TEXT: Readonly<Record<EstimateBasis, string>> = {
  zoneinfo: 'MemAvailable estimated by diag (kernel 3.14 formula, low watermarks from /proc/zoneinfo)',
  min_free_kbytes: 'MemAvailable estimated by diag (kernel 3.14 formula, low watermarks = min_free_kbytes x 5/4 as procps-ng 3.3)',
  'no-watermarks': 'MemAvailable estimated by diag (kernel 3.14 formula, low watermarks unreadable: an upper bound)',
  'buffers-cached': 'MemAvailable estimated by diag (MemFree + Buffers + Cached as procps 3.2 free, kernel < 2.6.27)',
};

/** The label text of an estimate basis. */
export const basisText = (b: EstimateBasis): string => BASIS_TEXT[b];

export interface AvailableEstimate {
  readonly bytes: number;
  readonly basis: EstimateBasis;
  /** The sum of the zones' low watermarks the estimate used, bytes (absent for 'buffers-cached' and 'no-watermarks'). */
  readonly lowWatermarks?: number;
}

/** The watermarks an estimate may use, from the most to the least exact; each undefined when unreadable. */
export interface WatermarkInputs {
  readonly zoneinfo?: Zoneinfo;
  readonly minFreeKbytes?: number;
}

/**
 * The estimate for a meminfo without MemAvailable, or undefined when meminfo lacks what it
 * needs (MemFree, or both the file LRU lists and Buffers/Cached). `watermarks` is called only
 * when the file LRU lists are there (the caller reads those files lazily).
 */
export function estimateAvailable(m: Meminfo, watermarks: () => WatermarkInputs): AvailableEstimate | undefined {
  const free = m.MemFree;
  if (free === undefined) return undefined;
  const activeFile = m['Active(file)'];
  const inactiveFile = m['Inactive(file)'];
  if (activeFile === undefined || inactiveFile === undefined) {
    if (m.Buffers === undefined || m.Cached === undefined) return undefined;
    return { bytes: free + m.Buffers + m.Cached, basis: 'buffers-cached' };
  }
  const pagecache = activeFile + inactiveFile;
  const w = watermarks();
  const fromZones = w.zoneinfo === undefined ? undefined : zoneLowWatermarks(w.zoneinfo, pagecache);
  let low: number;
  let basis: EstimateBasis;
  if (fromZones !== undefined) {
    low = fromZones;
    basis = 'zoneinfo';
  } else if (w.minFreeKbytes !== undefined) {
    low = Math.floor((w.minFreeKbytes * 5) / 4) * 1024;
    basis = 'min_free_kbytes';
  } else {
    low = 0;
    basis = 'no-watermarks';
  }
  const slab = m.SReclaimable ?? 0;
  const bytes = Math.max(0, free - low + pagecache - Math.min(pagecache / 2, low) + slab - Math.min(slab / 2, low));
  return basis === 'no-watermarks' ? { bytes, basis } : { bytes, basis, lowWatermarks: low };
}

/** Page sizes Linux has used: 4 KiB (x86, most), 8 KiB (sparc64), 16 KiB (arm64, ia64), 64 KiB (ppc64, arm64), 256 KiB (hexagon). */
const PAGE_SIZES = [4096, 8192, 16384, 65536, 262144] as const;

/**
 * The page size of the host a zoneinfo came from: meminfo's file LRU bytes over zoneinfo's file
 * LRU pages, when that ratio is within 20 % of a page size Linux uses (the two files are read a
 * moment apart, so the counts may differ slightly). Undefined otherwise: watermarks in pages are
 * never turned into bytes with a guessed page size.
 */
export function zonePageSize(z: Zoneinfo, fileLruBytes: number): number | undefined {
  if (z.filePages === undefined || z.filePages < 256) return undefined;
  const ratio = fileLruBytes / z.filePages;
  return PAGE_SIZES.find((p) => ratio >= p * 0.8 && ratio <= p * 1.2);
}

/** The sum of every zone's low watermark in bytes, or undefined when a zone lacks one or the page size is unknown. */
export function zoneLowWatermarks(z: Zoneinfo, fileLruBytes: number): number | undefined {
  const page = zonePageSize(z, fileLruBytes);
  if (page === undefined) return undefined;
  let pages = 0;
  for (const zone of z.zones) {
    if (zone.low === undefined) return undefined;
    pages += zone.low;
  }
  return pages * page;
}

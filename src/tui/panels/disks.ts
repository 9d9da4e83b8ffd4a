import { whyMissing } from '../frame.js';
import { num, pct, safe } from '../text.js';
import { toneOf, worstTone } from '../tones.js';
import { disksVM, filesystemsVM, type DiskRowVM } from '../view-models/resources.js';
import type { Column, TablePanel } from './types.js';

const rate = (id: string, title: string, width: number, get: (r: DiskRowVM) => number | undefined, digits = 1): Column<DiskRowVM> => ({
  id,
  title,
  width,
  align: 'right',
  value: (r) => num(get(r), digits),
  sort: { key: get },
});

/** Block devices busiest first; under them, filesystems the playbooks find nearly full. */
export const disksPanel: TablePanel<DiskRowVM> = {
  kind: 'table',
  id: 'disks',
  title: 'Disks',
  selectable: true,
  columns: [
    { id: 'device', title: 'device', width: 10, min: 6, value: (r) => r.device, sort: { key: (r) => r.device, ascending: true } },
    rate('rps', 'r/s', 6, (r) => r.rps),
    rate('wps', 'w/s', 6, (r) => r.wps),
    rate('rkB', 'rkB/s', 7, (r) => r.rkBps),
    rate('wkB', 'wkB/s', 7, (r) => r.wkBps),
    rate('await', 'await', 6, (r) => r.await),
    rate('aqu', 'aqu', 5, (r) => r.aqu, 2),
    { id: 'util', title: 'util', width: 6, align: 'right', value: (r) => pct(r.util), tone: (r, env) => toneOf(env.tones, env.frame, 'disk.util_pct', r.device) ?? 'dim', sort: { key: (r) => r.util } },
  ],
  rows: (frame) => disksVM(frame.model),
  rowId: (r) => r.device,
  scope: 'device',
  empty: (frame) => ({ text: whyMissing(frame.model, 'disk') ?? 'no block devices', tone: 'unknown' }),
  notes(frame, env) {
    return filesystemsVM(frame.model).flatMap((x) => {
      const tone = worstTone(toneOf(env.tones, frame, 'filesystem.used_pct', x.mount), toneOf(env.tones, frame, 'filesystem.inodes_used_pct', x.mount));
      return tone === 'warning' || tone === 'critical' ? [{ text: `fs ${safe(x.mount, 30)} ${pct(x.usedPct)} used, inodes ${pct(x.inodesPct)}`, tone }] : [];
    });
  },
};

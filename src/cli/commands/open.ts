import { UsageError } from '../../core/errors.js';
import { parseCommandArgs } from '../args.js';
import { launchBundleTui, launchRecordingTui } from '../tui-launch.js';

export const HELP = `Usage: diag open BUNDLE.tar.gz|SOSREPORT [--playbook-dir DIR] [--no-mouse]
       diag open --recording DIR|BUNDLE [--at TIME] [--playbook-dir DIR] [--no-mouse]

Open the terminal UI on a snapshot bundle, offline: the same panels, findings and guided
investigation as on the live host, with time frozen at the capture (probes need a live host).
A sosreport (.tar.xz, .tar.gz or extracted folder) opens at its one moment: levels and
limits are shown, rates are unknown.

On a recording (diag record's directory, or a bundle made by diag snapshot --recording, which
also opens this way without --recording) the dashboard shows any moment of it, with the
history of CPU, memory, disk, network and pressure over the whole span:
  [ ] or Left/Right  one sample back/forward     { }  one minute back/forward
  Home / End         the first / last window      n N  the next / previous finding
  --at TIME          the moment shown first: ISO 8601 (2026-12-04T13:05:00Z) or relative
                     (-10m); default: the end of the recording
It is read-only: no snapshots, signals or probes. Needs a terminal; for a report use:
diag run playbook use --from BUNDLE, or --recording DIR --at TIME / --since 1h
--no-mouse leaves the mouse to the terminal (no clicks or wheel in the UI).`;

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs('open', argv, { help: { type: 'boolean', short: 'h' }, 'playbook-dir': { type: 'string' }, recording: { type: 'string' }, at: { type: 'string' }, 'no-mouse': { type: 'boolean' } });
  if (values.help) {
    process.stdout.write(HELP + '\n');
    return 0;
  }
  if (values.recording !== undefined) {
    if (positionals.length > 0) throw new UsageError('open: give a bundle or --recording DIR, not both', { hint: 'diag open --recording /var/lib/diag/recording' });
    const { openRecording, parseTimeArg } = await import('../recording-judge.js');
    const at = values.at === undefined ? undefined : parseTimeArg(values.at, '--at', Date.now());
    if (!process.stdout.isTTY || !process.stdin.isTTY) throw new UsageError('open: needs a terminal', { hint: `for a report without a terminal: diag run playbook use --recording ${values.recording} --since 1h` });
    return launchRecordingTui(await openRecording(values.recording), values['playbook-dir'], at, values['no-mouse'] !== true);
  }
  if (values.at !== undefined) throw new UsageError('open: --at needs --recording DIR', { hint: 'diag open --recording DIR --at -10m' });
  if (positionals.length !== 1) throw new UsageError('open: give one bundle', { hint: 'diag open diag-host-20261122-031500.tar.gz' });
  if (!process.stdout.isTTY || !process.stdin.isTTY) throw new UsageError('open: needs a terminal', { hint: `for a report without a terminal: diag run playbook use --from ${positionals[0]}` });
  return launchBundleTui(positionals[0]!, values['playbook-dir'], values['no-mouse'] !== true);
}

import { describe, expect, it } from 'vitest';
import { reportSchema, type Report } from '../../src/engine/report-schema.js';
import { renderJson } from '../../src/report/json.js';
import { renderMarkdown } from '../../src/report/markdown.js';
import { renderText } from '../../src/report/text.js';

const evil = 'x\u001b[2J\nFAKE LINE | *bold* <script>';

const report: Report = {
  schema: 'diag.report/v1',
  playbook: 'use',
  playbookTitle: 'USE method',
  host: { hostname: `host${evil}`, kernel: '6.18', cpus: 2, source: 'live host' },
  startedAt: '2026-01-01T00:00:00.000Z',
  durationMs: 1012,
  windowSeconds: 1,
  status: 'critical',
  statusReason: '1 critical and 0 warning findings',
  findings: [
    {
      id: 'process-fd-limit@process:42',
      check: 'process-fd-limit',
      resource: 'fds',
      kind: 'saturation',
      severity: 'critical',
      scope: 'process:42',
      title: `Process 42 (${evil}) uses 100% of its fd limit`,
      explanation: 'At the limit open() fails with EMFILE.',
      evidence: {
        metric: 'processes.fd_pct',
        value: 100,
        unit: 'percent',
        measure: 'value',
        when: 'above',
        threshold: { warning: { value: 80, source: 'man', sourceTitle: 'getrlimit(2)' }, critical: { value: 95, source: 'man', sourceTitle: 'getrlimit(2)', sourceUrl: 'https://man7.org/linux/man-pages/man2/getrlimit.2.html' } },
        fields: { fd_pct: 100 },
        labels: { comm: evil },
        windowSeconds: 1,
        collector: 'processes',
        inputs: ['/proc/42/fd'],
        drilldown: [{ type: 'collector', name: 'processes', why: 'top fds', status: 'ok', sortBy: 'fds', data: [{ scope: 'process:42', labels: { comm: evil }, values: { fds: 64 } }] }],
      },
      next: ['cat /proc/PID/limits'],
    },
  ],
  coverage: [
    { resource: 'fds', kind: 'utilization', status: 'ok', checks: [] },
    { resource: 'fds', kind: 'saturation', status: 'finding', checks: [] },
    { resource: 'fds', kind: 'errors', status: 'unknown', reason: 'not checked by this playbook', checks: [] },
  ],
  unavailable: [{ collector: 'kernel_log', table: 'kernel_log', status: 'unavailable', reason: 'dmesg: Operation not permitted', hint: 'run diag as root' }],
};

describe('report renderers', () => {
  it('JSON is one diag.report/v1 document that validates against the schema', () => {
    const doc: unknown = JSON.parse(renderJson(report));
    expect(reportSchema.safeParse(doc).success).toBe(true);
  });
  it('text shows status, findings with evidence and thresholds, the coverage matrix and unavailable inputs', () => {
    const t = renderText(report);
    expect(t).toMatch(/status: CRITICAL/);
    expect(t).toMatch(/CRITICAL fds saturation {2}process:42/);
    expect(t).toMatch(/warning >= 80, critical >= 95 \(getrlimit\(2\)\)/);
    expect(t).toMatch(/from: \/proc\/42\/fd/);
    expect(t).toMatch(/fds {9}ok {12}FINDING {7}unknown/);
    expect(t).toMatch(/fds errors: not checked by this playbook/);
    expect(t).toMatch(/kernel_log\/kernel_log: dmesg: Operation not permitted \(hint: run diag as root\)/);
    expect(t).toMatch(/process:42 comm=.* fds=64/);
  });
  it('text never passes host control characters to the terminal nor lets a name forge a line', () => {
    const t = renderText(report);
    expect(t).not.toMatch(/\u001b/);
    expect(t).not.toMatch(/^FAKE LINE/m);
    expect(t).toContain('x\\x1b[2J\\nFAKE LINE');
  });
  it('Markdown escapes host text (no table breaks, no HTML, no emphasis) and links sources', () => {
    const md = renderMarkdown(report);
    // Code blocks and code spans show text literally; outside them nothing may be interpreted.
    const prose = md.replace(/^(`{3,})[^\n]*\n[\s\S]*?\n\1$/gm, '').replace(/(`+)[^`][\s\S]*?\1/g, '');
    expect(prose).not.toMatch(/(?<!\\)<script>/);
    expect(md).not.toMatch(/\u001b/);
    expect(md).toContain('\\<script\\>');
    // The summary table's finding cell: its pipe escaped, so the row keeps its six cells.
    expect(md).toContain('FAKE LINE \\| \\*bold\\*');
    for (const line of md.split('\n').filter((l) => /^\| (1|fds) \|/.test(l))) expect(line.split(/(?<!\\)\|/).length, line).toBe(line.startsWith('| 1') ? 8 : 6);
    expect(md).toContain('[getrlimit(2)](https://man7.org/linux/man-pages/man2/getrlimit.2.html)');
    expect(md).toMatch(/\| fds \| ok \| \*\*finding\*\* \| unknown \|/);
    // Why a cell is unknown, and the raw rows, folded away.
    expect(md).toContain('- **fds errors** (unknown): not checked by this playbook');
    expect(md).toMatch(/<details>\n<summary>Drill-down: collector processes: top fds<\/summary>\n\n```\nprocess:42 comm=x\\x1b\[2J\\nFAKE LINE \| \*bold\* <script> fds=64\n```/);
  });

  it('Markdown reads as prose in a ticket: no backslash before parentheses or inside words', () => {
    const md = renderMarkdown(report);
    expect(md).toContain('At the limit open() fails with EMFILE.');
    expect(md).toContain('`processes.fd_pct` over 1.00 s (`fd_pct=100`)');
    expect(md).not.toMatch(/\\[()_.#+!{}]/);
  });
});

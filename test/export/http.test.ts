import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Report } from '../../src/engine/report-schema.js';
import { SharedRefresh, startExporter, type Exporter, type Judged } from '../../src/export/http.js';
import { OPENMETRICS_TYPE, PROMETHEUS_TYPE } from '../../src/export/openmetrics.js';

describe('SharedRefresh', () => {
  it('makes one value for callers that arrive while it is made, and again once it is older than the ttl', async () => {
    let now = 0;
    let made = 0;
    let release: () => void = () => undefined;
    const r = new SharedRefresh(
      () =>
        new Promise<number>((res) => {
          made++;
          release = () => res(made);
        }),
      1000,
      () => now,
    );
    const ten = Array.from({ length: 10 }, () => r.get());
    release();
    expect(await Promise.all(ten)).toEqual(Array(10).fill(1));
    expect(made).toBe(1);
    now = 999;
    expect(await r.get()).toBe(1);
    now = 1000;
    const next = r.get();
    release();
    expect(await next).toBe(2);
    expect(r.taken).toBe(2);
  });

  it('does not keep a failure: the next caller tries again', async () => {
    let calls = 0;
    const r = new SharedRefresh(async () => {
      calls++;
      if (calls === 1) throw new Error('boom');
      return calls;
    }, 1000);
    await expect(r.get()).rejects.toThrow('boom');
    expect(await r.get()).toBe(2);
  });
});

describe('the exporter over HTTP', () => {
  let exp: Exporter;
  let refreshes = 0;
  let renders = 0;
  const report = { schema: 'diag.report/v1', playbook: 'use', status: 'ok' } as unknown as Report;
  beforeAll(async () => {
    exp = await startExporter({
      host: '127.0.0.1',
      port: 0,
      cacheMs: 60_000,
      refresh: async (): Promise<Judged> => {
        refreshes++;
        await new Promise((r) => setTimeout(r, 50));
        const done = new Map<string, string>();
        return {
          report,
          exposition: (f) => {
            if (!done.has(f)) {
              renders++;
              done.set(f, f === 'openmetrics' ? 'x 1\n# EOF\n' : 'x 1\n');
            }
            return done.get(f)!;
          },
        };
      },
    });
  });
  afterAll(() => exp.close());
  const url = (p: string) => `http://127.0.0.1:${exp.address.port}${p}`;

  it('answers ten concurrent scrapes with one sample, rendered once per format', async () => {
    const rs = await Promise.all(Array.from({ length: 10 }, (_, i) => fetch(url('/metrics'), i % 2 === 0 ? { headers: { accept: 'application/openmetrics-text; version=1.0.0' } } : {})));
    expect(rs.map((r) => r.status)).toEqual(Array(10).fill(200));
    expect(refreshes).toBe(1);
    expect(renders).toBe(2);
    expect(rs[0]!.headers.get('content-type')).toBe(OPENMETRICS_TYPE);
    expect(await rs[0]!.text()).toBe('x 1\n# EOF\n');
    expect(rs[1]!.headers.get('content-type')).toBe(PROMETHEUS_TYPE);
    expect(await rs[1]!.text()).toBe('x 1\n');
  });

  it('serves the last report, health, and refuses other paths and methods', async () => {
    const rep = await fetch(url('/report'));
    expect(rep.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(await rep.json()).toEqual(report);
    expect(await (await fetch(url('/healthz'))).text()).toBe('ok\n');
    expect((await fetch(url('/nope'))).status).toBe(404);
    expect((await fetch(url('/metrics'), { method: 'POST' })).status).toBe(405);
    expect(refreshes).toBe(1);
  });
});

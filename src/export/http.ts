import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Report } from '../engine/report-schema.js';
import { negotiateFormat, OPENMETRICS_TYPE, PROMETHEUS_TYPE, type ExpositionFormat } from './openmetrics.js';

/**
 * The metrics endpoint (`diag serve`): node:http, loopback by default. A scrape answers from the
 * last judged sample while it is younger than `cacheMs`; otherwise it asks for a new one, and
 * every scrape that arrives meanwhile waits for that same one (concurrent scrapes share one
 * sample). The endpoint itself runs nothing: what a sample costs is the `refresh` it is given.
 */

/** One judged sample, with its views rendered on demand (and kept, so ten scrapes render once). */
export interface Judged {
  readonly report: Report;
  /** The exposition text (made once per format: concurrent scrapes of one sample render it once). */
  readonly exposition: (format: ExpositionFormat) => string;
}

export interface ExporterOptions {
  readonly host: string;
  readonly port: number;
  /** Take and judge a new sample. */
  readonly refresh: () => Promise<Judged>;
  /** How long a judged sample answers scrapes (the scrape interval, or less). */
  readonly cacheMs: number;
  readonly now?: () => number;
  /** Told of a refresh that failed (the scrape answers 503 with the message). */
  readonly onError?: (err: unknown) => void;
}

/** A value made by `produce` at most once per `ttlMs`; callers that arrive while it is made share it. */
export class SharedRefresh<T> {
  private last: { readonly at: number; readonly value: T } | undefined;
  private pending: Promise<T> | undefined;
  taken = 0;

  constructor(
    private readonly produce: () => Promise<T>,
    private readonly ttlMs: number,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** The last value, if any (for /report before it is stale). */
  get current(): T | undefined {
    return this.last?.value;
  }

  get(): Promise<T> {
    if (this.last && this.now() - this.last.at < this.ttlMs) return Promise.resolve(this.last.value);
    if (!this.pending) {
      this.taken++;
      this.pending = this.produce()
        .then((value) => {
          this.last = { at: this.now(), value };
          return value;
        })
        .finally(() => {
          this.pending = undefined;
        });
    }
    return this.pending;
  }
}

export interface Exporter {
  readonly server: Server;
  /** Where it listens (the port chosen when 0 was asked). */
  readonly address: AddressInfo;
  readonly refresher: SharedRefresh<Judged>;
  close(): Promise<void>;
}

const INDEX = `<html><head><title>diag</title></head><body><h1>diag</h1>
<p><a href="/metrics">/metrics</a> (OpenMetrics or Prometheus text, by Accept header) &middot;
<a href="/report">/report</a> (the last diag.report/v1 JSON) &middot; <a href="/healthz">/healthz</a></p></body></html>
`;

function send(res: ServerResponse, status: number, type: string, body: string): void {
  res.writeHead(status, { 'Content-Type': type, 'Content-Length': Buffer.byteLength(body), 'Cache-Control': 'no-store' });
  res.end(body);
}

export async function startExporter(opts: ExporterOptions): Promise<Exporter> {
  const refresher = new SharedRefresh(opts.refresh, opts.cacheMs, opts.now);
  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, 'text/plain; charset=utf-8', 'only GET\n');
    if (path === '/healthz') return send(res, 200, 'text/plain; charset=utf-8', 'ok\n');
    if (path === '/') return send(res, 200, 'text/html; charset=utf-8', INDEX);
    if (path !== '/metrics' && path !== '/report') return send(res, 404, 'text/plain; charset=utf-8', 'not found: try /metrics, /report, /healthz\n');
    let judged: Judged;
    try {
      judged = path === '/report' && refresher.current ? refresher.current : await refresher.get();
    } catch (err) {
      opts.onError?.(err);
      return send(res, 503, 'text/plain; charset=utf-8', `diag could not sample: ${err instanceof Error ? err.message : String(err)}\n`);
    }
    if (path === '/report') return send(res, 200, 'application/json; charset=utf-8', JSON.stringify(judged.report, null, 2) + '\n');
    const format = negotiateFormat(req.headers.accept);
    const body = judged.exposition(format);
    send(res, 200, format === 'openmetrics' ? OPENMETRICS_TYPE : PROMETHEUS_TYPE, body);
  };
  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      opts.onError?.(err);
      if (!res.headersSent) send(res, 500, 'text/plain; charset=utf-8', 'internal error\n');
      else res.destroy();
    });
  });
  // A scrape is short: a client that holds a connection open without a request is let go.
  server.headersTimeout = 10_000;
  server.requestTimeout = 60_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  return {
    server,
    address,
    refresher,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

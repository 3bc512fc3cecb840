import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createChdbConnection } from 'chdb/connection';

export interface ClickhouseHttpBridge {
  readonly url: string;
  /** Requests answered so far (200 or an engine error). */
  readonly requests: number;
  close(): Promise<void>;
}

const NOT_SETTINGS = new Set(['query', 'query_id', 'database', 'session_id', 'role']);

function readBody(req: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/**
 * The part of ClickHouse's HTTP interface that `@clickhouse/client` uses, answered by the real
 * engine (chdb) on a data directory: so a test can point the client's HTTP transport at a port
 * that refuses and later accepts, with real SQL behind it. A POST with `query=` in the URL is an
 * insert whose rows are the body; any other POST is a statement in the body; `param_<name>` are
 * query parameters and the other URL parameters settings; an engine error is HTTP 500 with
 * ClickHouse's `Code: N. DB::Exception: … (TYPE)` text, which the client parses as the server's.
 * Parameters arrive in ClickHouse's escaped text form and are handed on as they are, which is
 * the same value for everything leakwatch sends (ids, names, numbers); no compression, no TLS.
 */
export async function startClickhouseHttpBridge(options: { dataDir: string; port: number }): Promise<ClickhouseHttpBridge> {
  const engine = createChdbConnection({ path: options.dataDir });
  let requests = 0;
  const server = http.createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://bridge');
      if (req.method === 'GET' && url.pathname === '/ping') {
        res.end('Ok.\n');
        return;
      }
      const query_params: Record<string, string> = {};
      const clickhouse_settings: Record<string, string> = {};
      for (const [key, value] of url.searchParams) {
        if (key.startsWith('param_')) query_params[key.slice(6)] = value;
        else if (!NOT_SETTINGS.has(key)) clickhouse_settings[key] = value;
      }
      const common = { query_params, clickhouse_settings, abort_signal: new AbortController().signal, query_id: url.searchParams.get('query_id') ?? undefined };
      try {
        const insert = url.searchParams.get('query');
        if (insert !== null) {
          await engine.insert({ ...common, query: insert, values: await readBody(req) } as Parameters<typeof engine.insert>[0]);
          requests++;
          res.writeHead(200, { 'x-clickhouse-summary': '{}' }).end();
          return;
        }
        const result = await engine.query({ ...common, query: await readBody(req) } as Parameters<typeof engine.query>[0]);
        requests++;
        res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' });
        result.stream.pipe(res);
      } catch (err) {
        requests++;
        const { code, type, message } = err as { code?: string; type?: string; message: string };
        res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' }).end(`Code: ${code ?? 1000}. DB::Exception: ${message} (${type ?? 'UNKNOWN_EXCEPTION'}) (version bridge)\n`);
      }
    })();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    get requests() {
      return requests;
    },
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await engine.close();
    },
  };
}

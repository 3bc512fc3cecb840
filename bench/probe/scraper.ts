import http from 'node:http';

/** A Prometheus-style scraper: one keep-alive GET /metrics a second, body read and dropped. */
export function startScraper(port: number): { stop(): void; readonly ok: number; readonly failed: number } {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  let ok = 0;
  let failed = 0;
  const timer = setInterval(() => {
    const req = http.get({ host: '127.0.0.1', port, path: '/metrics', agent }, (res) => {
      res.resume();
      res.on('end', () => (res.statusCode === 200 ? ok++ : failed++));
    });
    req.on('error', () => failed++);
  }, 1000);
  timer.unref();
  return {
    stop() {
      clearInterval(timer);
      agent.destroy();
    },
    get ok() {
      return ok;
    },
    get failed() {
      return failed;
    },
  };
}

export type Scraper = ReturnType<typeof startScraper>;

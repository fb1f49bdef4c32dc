import { serve, type ServerType } from '@hono/node-server';
import type { AddressInfo } from 'node:net';
import { createApp } from '../http/app.js';
import { routeModules } from './routes.js';
import type { Services } from './services.js';

export interface RunningServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

/** Serve the API and the web UI until closed. */
export async function startServer(services: Services, opts: { port: number; host: string }): Promise<RunningServer> {
  const app = createApp(services, routeModules);
  const server: ServerType = await new Promise((resolve, reject) => {
    const s = serve({ fetch: app.fetch, port: opts.port, hostname: opts.host }, () => resolve(s));
    s.once('error', reject);
  });
  const port = (server.address() as AddressInfo).port;
  const shownHost = opts.host === '0.0.0.0' || opts.host === '127.0.0.1' ? 'localhost' : opts.host;
  return {
    url: `http://${shownHost}:${port}`,
    port,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

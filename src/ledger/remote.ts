/**
 * Fetching a c2sp.org/tlog-tiles log over HTTP: the I/O edge of the ledger
 * core's `TileFetcher`. Responses are size-capped and time-limited, since the
 * server is not trusted to be well behaved.
 */
import { LedgerError, type TileFetcher } from './core/index.js';

export interface HttpFetchOptions {
  /** Per-request time limit (default 30 s). */
  readonly timeoutMs?: number;
  /** Largest response accepted (default 17 MiB: a full bundle of maximal entries). */
  readonly maxBytes?: number;
}

/** Resolve `path` against the log prefix, which may or may not end with a slash. */
export function logResourceUrl(prefix: string, path: string): URL {
  let base: URL;
  try {
    base = new URL(prefix.endsWith('/') ? prefix : `${prefix}/`);
  } catch {
    throw new LedgerError('LEDGER_FETCH_FAILED', `not a URL: ${prefix}`);
  }
  if (base.protocol !== 'http:' && base.protocol !== 'https:') {
    throw new LedgerError('LEDGER_FETCH_FAILED', `only http and https logs can be fetched, not ${base.protocol}`);
  }
  return new URL(path, base);
}

/** A TileFetcher that GETs resources under `prefix` (e.g. https://log.example/log/). */
export function httpTileFetcher(prefix: string, options: HttpFetchOptions = {}): TileFetcher {
  const timeoutMs = options.timeoutMs ?? 30_000;
  const maxBytes = options.maxBytes ?? 17 * 1024 * 1024;
  logResourceUrl(prefix, 'checkpoint'); // fail early on a bad prefix
  return async (path) => {
    const url = logResourceUrl(prefix, path);
    let response: Response;
    try {
      response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs), headers: { 'accept-encoding': 'gzip, identity' } });
    } catch (e) {
      throw new LedgerError('LEDGER_FETCH_FAILED', `GET ${url}: ${(e as Error)?.message ?? String(e)}`, { url: url.href });
    }
    if (!response.ok) {
      await response.body?.cancel();
      throw new LedgerError('LEDGER_FETCH_FAILED', `GET ${url}: HTTP ${response.status}`, { url: url.href, status: response.status });
    }
    const chunks: Uint8Array[] = [];
    let length = 0;
    if (response.body) {
      for await (const chunk of response.body) {
        length += chunk.length;
        if (length > maxBytes) {
          await response.body.cancel().catch(() => undefined);
          throw new LedgerError('LEDGER_FETCH_FAILED', `GET ${url}: response larger than ${maxBytes} bytes`, { url: url.href });
        }
        chunks.push(chunk as Uint8Array);
      }
    }
    const out = new Uint8Array(length);
    let at = 0;
    for (const c of chunks) {
      out.set(c, at);
      at += c.length;
    }
    return out;
  };
}

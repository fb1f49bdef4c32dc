/**
 * A small HTTP/1.1 client over node:http and node:https, so the agent needs no
 * HTTP library: bounded response bodies, an idle timeout, an abort signal, and
 * request bodies that stream with backpressure (a G-code upload never has to
 * sit whole in memory). Errors carry the caller's code: an unreachable Fabgate
 * server and an unreachable printer host are different failures.
 */
import { request as httpRequest, type IncomingHttpHeaders, type OutgoingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { Readable } from 'node:stream';
import { FabgateError } from '../shared/errors.js';
import { AgentError, type AgentErrorCode } from './errors.js';

export interface HttpOptions {
  method?: string;
  headers?: OutgoingHttpHeaders;
  /** A whole body, or a stream whose length is in `headers['content-length']`. */
  body?: Buffer | string | Readable;
  /** Idle timeout in ms (no byte either way for this long). Default 30 s. */
  timeoutMs?: number;
  /** Largest response body kept (default 1 MiB). */
  maxResponseBytes?: number;
  /** Extra trusted CA certificates (PEM) for https. */
  ca?: string;
  signal?: AbortSignal;
  /** Code of the error thrown when the host cannot be reached. */
  unreachable: AgentErrorCode;
  /** Code of the error thrown when the response breaks the limits. */
  invalid: AgentErrorCode;
}

export interface HttpResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
  /** The body as JSON, or undefined when it is not JSON. */
  json(): unknown;
}

export function httpCall(url: string | URL, options: HttpOptions): Promise<HttpResponse> {
  const target = typeof url === 'string' ? new URL(url) : url;
  const max = options.maxResponseBytes ?? 1024 * 1024;
  const send = target.protocol === 'https:' ? httpsRequest : target.protocol === 'http:' ? httpRequest : undefined;
  if (!send) return Promise.reject(new AgentError('AGENT_CONFIG_INVALID', `unsupported URL scheme ${target.protocol}`));
  return new Promise<HttpResponse>((resolve, reject) => {
    let settled = false;
    const fail = (e: unknown) => {
      if (settled) return;
      settled = true;
      reject(e instanceof FabgateError ? e : new AgentError(options.unreachable, `${options.method ?? 'GET'} ${target.origin}${target.pathname}: ${(e as Error).message}`));
    };
    const req = send(
      target,
      { method: options.method ?? 'GET', headers: options.headers, ...(options.ca ? { ca: options.ca } : {}), ...(options.signal ? { signal: options.signal } : {}) },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > max) {
            res.destroy();
            fail(new AgentError(options.invalid, `the response from ${target.origin} is larger than ${max} bytes`));
            return;
          }
          chunks.push(chunk);
        });
        res.on('error', fail);
        res.on('end', () => {
          if (settled) return;
          settled = true;
          const body = Buffer.concat(chunks);
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body,
            json() {
              try {
                return JSON.parse(body.toString('utf8')) as unknown;
              } catch {
                return undefined;
              }
            },
          });
        });
      },
    );
    req.setTimeout(options.timeoutMs ?? 30_000, () => req.destroy(new Error(`no answer within ${options.timeoutMs ?? 30_000} ms`)));
    req.on('error', fail);
    const body = options.body;
    if (body === undefined || typeof body === 'string' || Buffer.isBuffer(body)) {
      req.end(body);
      return;
    }
    // A streamed body: a failure of the source (a G-code check that fails mid-upload)
    // aborts the request, so the host never gets a complete file.
    body.on('error', (e) => {
      req.destroy(e);
      fail(e);
    });
    body.pipe(req);
  });
}

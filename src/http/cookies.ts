import type { Context } from 'hono';
import { deleteCookie, setCookie } from 'hono/cookie';
import type { AppEnv } from './env.js';

export const SESSION_COOKIE = 'fabgate_session';

/**
 * Secure unless configured otherwise: in 'auto' the flag is left off only for
 * plain HTTP (a developer's localhost), where a browser would drop the cookie.
 */
function secureFlag(c: Context<AppEnv>): boolean {
  const setting = c.get('services').config.cookieSecure;
  if (setting !== 'auto') return setting === 'true';
  const proto = c.req.header('x-forwarded-proto') ?? new URL(c.req.url).protocol.replace(':', '');
  return proto === 'https';
}

export function setSessionCookie(c: Context<AppEnv>, value: string, expiresAt: string): void {
  setCookie(c, SESSION_COOKIE, value, { httpOnly: true, sameSite: 'Strict', secure: secureFlag(c), path: '/', expires: new Date(expiresAt) });
}

export function clearSessionCookie(c: Context<AppEnv>): void {
  deleteCookie(c, SESSION_COOKIE, { path: '/', secure: secureFlag(c) });
}

/**
 * Receipt verification in the browser, with WebCrypto only: a c2sp.org/tlog-proof
 * receipt is checked against the log's verifier key here, not by asking the
 * server — the badge the UI shows does not depend on trusting Fabgate's answer.
 * The same rules as src/ledger/core (RFC 9162 §2.1.3.2, c2sp.org/signed-note),
 * reduced to what a receipt needs.
 */
const enc = new TextEncoder();

function b64(text: string): Uint8Array {
  const bin = atob(text);
  return Uint8Array.from(bin, (c) => c.charCodeAt(0));
}

async function sha256(...parts: Uint8Array[]): Promise<Uint8Array> {
  const all = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    all.set(p, o);
    o += p.length;
  }
  return new Uint8Array(await crypto.subtle.digest('SHA-256', all));
}

const eq = (a: Uint8Array, b: Uint8Array) => a.length === b.length && a.every((x, i) => x === b[i]);

export interface ReceiptCheck {
  ok: boolean;
  reason?: string;
  index?: string;
  treeSize?: string;
  origin?: string;
  rootHash?: string;
  leaf?: string;
}

/** Verify a receipt (with its entry in `extra`) against a C2SP Ed25519 verifier key line. */
export async function verifyReceiptInBrowser(receipt: string, verifierKey: string): Promise<ReceiptCheck> {
  try {
    const [name, keyIdHex, keyB64] = [verifierKey.split('+')[0]!, verifierKey.split('+')[1]!, verifierKey.split('+').slice(2).join('+')];
    const key = b64(keyB64.trim());
    if (key.length !== 33 || key[0] !== 0x01) return { ok: false, reason: 'not an Ed25519 verifier key' };
    const split = receipt.indexOf('\n\n');
    if (split < 0) return { ok: false, reason: 'not a c2sp.org/tlog-proof receipt' };
    const lines = receipt.slice(0, split).split('\n');
    const note = receipt.slice(split + 2);
    if (lines.shift() !== 'c2sp.org/tlog-proof@v1') return { ok: false, reason: 'not a c2sp.org/tlog-proof receipt' };
    const extra = lines[0]?.startsWith('extra ') ? b64(lines.shift()!.slice(6)) : undefined;
    if (!extra) return { ok: false, reason: 'the receipt carries no entry' };
    const index = BigInt(lines.shift()!.replace(/^index /, ''));
    const proof = lines.map(b64);

    // The checkpoint note: text, blank line, signature lines "— <name> <base64(keyid4 || sig64)>".
    const sep = note.indexOf('\n\n');
    const text = note.slice(0, sep + 1);
    const sigs = note.slice(sep + 2).split('\n').filter(Boolean);
    const publicKey = await crypto.subtle.importKey('raw', key.slice(1), { name: 'Ed25519' }, false, ['verify']);
    let signed = false;
    for (const line of sigs) {
      const m = /^\u2014 (\S+) (\S+)$/.exec(line);
      if (!m || m[1] !== name) continue;
      const raw = b64(m[2]!);
      const id = Array.from(raw.slice(0, 4), (b) => b.toString(16).padStart(2, '0')).join('');
      if (id !== keyIdHex || raw.length !== 68) continue;
      signed = await crypto.subtle.verify({ name: 'Ed25519' }, publicKey, raw.slice(4), enc.encode(text));
      if (signed) break;
    }
    if (!signed) return { ok: false, reason: 'the checkpoint is not signed by this log key' };
    const [origin, sizeLine, rootLine] = text.split('\n') as [string, string, string];
    const size = BigInt(sizeLine);
    const root = b64(rootLine);

    // RFC 9162 §2.1.3.2: recompute the root from the leaf hash and the audit path.
    if (index >= size) return { ok: false, reason: 'the index is not below the tree size' };
    let fn = index;
    let sn = size - 1n;
    let r = await sha256(Uint8Array.of(0), extra);
    for (const p of proof) {
      if (sn === 0n) return { ok: false, reason: 'the proof is too long' };
      if ((fn & 1n) === 1n || fn === sn) {
        r = await sha256(Uint8Array.of(1), p, r);
        if ((fn & 1n) === 0n) while ((fn & 1n) === 0n && fn !== 0n) {
          fn >>= 1n;
          sn >>= 1n;
        }
      } else {
        r = await sha256(Uint8Array.of(1), r, p);
      }
      fn >>= 1n;
      sn >>= 1n;
    }
    if (sn !== 0n || !eq(r, root)) return { ok: false, reason: 'the inclusion proof does not lead to the signed root' };
    return { ok: true, index: index.toString(), treeSize: size.toString(), origin, rootHash: rootLine, leaf: new TextDecoder().decode(extra) };
  } catch (e) {
    return { ok: false, reason: `unreadable receipt: ${(e as Error).message}` };
  }
}

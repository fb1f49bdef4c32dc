import { useEffect, useState } from 'react';
import { verifyReceiptInBrowser, type ReceiptCheck } from '../lib/tlog-verify';

/**
 * A transparency-log receipt as a badge: verified (in this browser, against the
 * log's key) or failed, with the details on demand.
 */
export function ReceiptBadge({ receipt, verifierKey }: { receipt: string; verifierKey: string }) {
  const [check, setCheck] = useState<ReceiptCheck | null>(null);
  useEffect(() => {
    let live = true;
    void verifyReceiptInBrowser(receipt, verifierKey).then((c) => live && setCheck(c));
    return () => {
      live = false;
    };
  }, [receipt, verifierKey]);
  if (!check) return <span className="badge-status pending">verifying…</span>;
  return (
    <details className="receipt">
      <summary>
        <span className={`badge-status ${check.ok ? 'ok' : 'failed'}`} role="status">
          {check.ok ? `✓ in the log (entry ${check.index})` : '✗ receipt does not verify'}
        </span>
      </summary>
      {check.ok ? (
        <dl>
          <dt>Log</dt>
          <dd>{check.origin}</dd>
          <dt>Entry</dt>
          <dd>{check.index} of {check.treeSize}</dd>
          <dt>Signed root</dt>
          <dd><code>{check.rootHash}</code></dd>
          <dt>Logged leaf</dt>
          <dd><pre>{check.leaf}</pre></dd>
        </dl>
      ) : (
        <p>{check.reason}</p>
      )}
    </details>
  );
}

import { ApiError } from '../api';

/** An error as the user sees it: what happened, and the stable code to quote to support. */
export function ErrorMessage({ error }: { error: unknown }) {
  if (!error) return null;
  const code = error instanceof ApiError ? error.code : 'UI_ERROR';
  const message = error instanceof Error ? error.message : String(error);
  return (
    <div className="error" role="alert">
      <strong>{message}</strong> <code>{code}</code>
    </div>
  );
}

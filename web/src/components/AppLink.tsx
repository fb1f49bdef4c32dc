import type { ReactNode } from 'react';
import { navigate } from '../router';

/**
 * A link that moves inside the single-page app; with a modifier key or another
 * mouse button it stays an ordinary link (new tab, new window).
 */
export function AppLink({
  to,
  children,
  className,
  current,
  onNavigate = navigate,
}: {
  to: string;
  children: ReactNode;
  className?: string;
  /** Marks the link of the page being shown (navigation, tabs). */
  current?: boolean;
  /** What a plain click does instead of loading `to` (default: navigate there). */
  onNavigate?: (to: string) => void;
}) {
  return (
    <a
      href={to}
      className={className}
      aria-current={current ? 'page' : undefined}
      onClick={(e) => {
        if (e.metaKey || e.ctrlKey || e.shiftKey || e.button !== 0) return;
        e.preventDefault();
        onNavigate(to);
      }}
    >
      {children}
    </a>
  );
}

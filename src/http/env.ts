import type { Principal } from '../identity/principal.js';
import type { Services } from '../app/services.js';

/** What every request carries through the middleware chain. */
export interface AppEnv {
  Variables: {
    services: Services;
    requestId: string;
    principal: Principal | null;
    /** true once the handler recorded its audit event (checked for every successful write). */
    audited: boolean;
    /** SHA-256 (hex) of the raw request body, for the audit trail. */
    bodySha256: string | null;
  };
}

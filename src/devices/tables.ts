/**
 * Devices: the print hosts of a device operator (or of an exporter) that may
 * receive protected designs and print tickets. Conventions of src/db/tables.ts:
 * text ids, ISO-8601 UTC text times, JSON as text.
 */

/** One print host. */
export interface DeviceRow {
  /** `dev_…` */
  id: string;
  organisation_id: string;
  name: string;
  /** Printer model the host drives, as the operator names it (informative). */
  model: string | null;
  /** `active` after enrolment, `revoked` when its owner revoked it. */
  status: string;
  enrolled_at: string;
  /** The enrolment token it enrolled with. */
  enrolment_token_id: string;
  /** The API token the host authenticates with (scoped to it; revoked with it). */
  api_token_id: string;
  revoked_at: string | null;
  revoked_reason: string | null;
  revoked_by: string | null;
}

/**
 * A device's key pair set: the RSA-OAEP key designs are wrapped to and the
 * Ed25519 key that signs its usage records. One set is current (`retired_at`
 * null); rotation retires it and adds the next.
 */
export interface DeviceKeyRow {
  /** `dky_…` */
  id: string;
  device_id: string;
  /** SPKI PEM of the RSA public key (≥ 3072 bits). */
  content_key: string;
  /** SHA-256 (hex) of its SPKI DER: the fingerprint tickets name. */
  content_key_sha256: string;
  /** SPKI PEM of the Ed25519 public key. */
  signing_key: string;
  signing_key_sha256: string;
  created_at: string;
  retired_at: string | null;
}

/** A one-time enrolment token: created by the operator, shown once, stored as its SHA-256. */
export interface DeviceEnrolmentTokenRow {
  /** `enr_…` */
  id: string;
  organisation_id: string;
  /** SHA-256 (hex) of the secret. */
  secret_hash: string;
  /** The name the enrolled device gets (the device may propose one when none is set). */
  device_name: string | null;
  created_by: string | null;
  created_at: string;
  expires_at: string;
  used_at: string | null;
  device_id: string | null;
}

export interface DevicesTables {
  devices: DeviceRow;
  device_keys: DeviceKeyRow;
  device_enrolment_tokens: DeviceEnrolmentTokenRow;
}

/**
 * Protected designs on the server. A design is stored only protected: a 3MF
 * as a Secure Content package, a bare G-code or STL file as a detached
 * envelope, both sealed to the instance's design vault key (whose private
 * half is wrapped under the key-encryption key). A release is the same design
 * re-wrapped for the devices a licence names: what a print host downloads,
 * and what a print ticket binds to by its manifest hash.
 */

/** An uploaded design, protected at rest. */
export interface DesignRow {
  /** `dsn_…` */
  id: string;
  organisation_id: string;
  name: string;
  /** The uploaded file's name (informative, made safe). */
  filename: string;
  /** `3mf` (Secure Content package) or `gcode`, `bgcode`, `stl` (detached envelope). */
  format: string;
  /** The plain content's media type. */
  content_type: string;
  /** Size and SHA-256 of the plain upload (for the exporter to recognise it; never the content). */
  plain_size: number;
  plain_sha256: string;
  /** The classification register item it is linked to (`itm_…`), if any. */
  item_id: string | null;
  /** The protected bytes at rest. */
  content: Uint8Array;
  stored_size: number;
  /** Manifest hash (3MF) or envelope hash of the stored copy. */
  stored_sha256: string;
  /** The vault key the stored copy is sealed to. */
  vault_key_id: string;
  /** JSON: what protection found and did (encrypted parts, layout, warnings). */
  protection: string;
  created_at: string;
  created_by: string;
}

/** One release: the design re-wrapped for a set of devices' current keys. */
export interface DesignReleaseRow {
  /** `rel_…` */
  id: string;
  design_id: string;
  organisation_id: string;
  /** The licence under which the devices were named. */
  licence_id: string;
  /** SHA-256 of the release's signed manifest (3MF) or its envelope hash: what tickets bind to. */
  manifest_sha256: string;
  /** The devices and key fingerprints, sorted by device id, as one string: finds a release to reuse. */
  recipients_key: string;
  /** JSON array of {id, content_key_sha256, signing_key_sha256}. */
  recipients: string;
  content: Uint8Array;
  size: number;
  created_at: string;
  created_by: string;
}

/** Which devices a release is wrapped to (to find a device's releases). */
export interface DesignReleaseDeviceRow {
  release_id: string;
  device_id: string;
}

/** The design vault key: an RSA key pair whose private half is wrapped under the KEK. */
export interface DesignVaultKeyRow {
  /** SHA-256 (hex) of the public key's SPKI DER. */
  id: string;
  public_key: string;
  /** The PKCS#8 DER private key, wrapped by the KEK (purpose `designs-vault-key`). */
  wrapped_private_key: string;
  /** `current` for the one key new designs are sealed to, null once retired (unique: at most one current). */
  current: string | null;
  created_at: string;
  retired_at: string | null;
}

export interface DesignsTables {
  designs: DesignRow;
  design_releases: DesignReleaseRow;
  design_release_devices: DesignReleaseDeviceRow;
  design_vault_keys: DesignVaultKeyRow;
}

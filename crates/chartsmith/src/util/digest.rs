//! sha256 digests, as index files (`digest: HEX`), `Chart.lock` and OCI registries
//! (`sha256:HEX`) write them.
//!
//! May import: the standard library and `sha2` only.

use sha2::{Digest, Sha256};

/// Lower-case hex of `bytes`.
pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The hex sha256 of `bytes` (an index file's `digest`).
pub(crate) fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

/// `sha256:` and the hex digest of `bytes` (an OCI digest, a `Chart.lock` digest).
pub fn digest_of(bytes: &[u8]) -> String {
    format!("sha256:{}", sha256_hex(bytes))
}

//! API keys: random secrets shown once, stored as a hash, carrying scopes.
//!
//! A token is `jc_` + base64url(tenant id ‖ key id ‖ 32 random bytes). The tenant travels in
//! the token so that the key lookup, like every other lookup, starts with the tenant.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use rand::RngCore;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use uuid::Uuid;

use crate::domain::tenant::TenantId;

const PREFIX: &str = "jc_";
const SECRET_LEN: usize = 32;

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Scope {
    Read,
    Write,
    Admin,
}

impl Scope {
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Read => "read",
            Scope::Write => "write",
            Scope::Admin => "admin",
        }
    }

    pub fn parse(value: &str) -> Option<Scope> {
        match value.trim() {
            "read" => Some(Scope::Read),
            "write" => Some(Scope::Write),
            "admin" => Some(Scope::Admin),
            _ => None,
        }
    }

    /// Scopes as stored: a sorted, comma-separated list.
    pub fn join(scopes: &[Scope]) -> String {
        let mut sorted = scopes.to_vec();
        sorted.sort();
        sorted.dedup();
        sorted.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(",")
    }

    pub fn split(stored: &str) -> Vec<Scope> {
        stored.split(',').filter_map(Scope::parse).collect()
    }
}

/// A freshly minted key: the token is shown once, only `secret_hash` is stored.
pub struct MintedKey {
    pub id: Uuid,
    pub token: String,
    pub secret_hash: String,
}

pub fn mint(tenant_id: TenantId) -> MintedKey {
    let id = Uuid::now_v7();
    let mut secret = [0u8; SECRET_LEN];
    rand::thread_rng().fill_bytes(&mut secret);
    let mut raw = Vec::with_capacity(16 + 16 + SECRET_LEN);
    raw.extend_from_slice(tenant_id.0.as_bytes());
    raw.extend_from_slice(id.as_bytes());
    raw.extend_from_slice(&secret);
    MintedKey {
        id,
        token: format!("{PREFIX}{}", URL_SAFE_NO_PAD.encode(raw)),
        secret_hash: hash_secret(&secret),
    }
}

/// What a presented token claims; it proves nothing until `verify` agrees.
pub struct PresentedKey {
    pub tenant_id: TenantId,
    pub key_id: Uuid,
    secret: [u8; SECRET_LEN],
}

impl PresentedKey {
    pub fn parse(token: &str) -> Option<PresentedKey> {
        let raw = URL_SAFE_NO_PAD.decode(token.strip_prefix(PREFIX)?).ok()?;
        if raw.len() != 32 + SECRET_LEN {
            return None;
        }
        Some(PresentedKey {
            tenant_id: TenantId(Uuid::from_slice(&raw[..16]).ok()?),
            key_id: Uuid::from_slice(&raw[16..32]).ok()?,
            secret: raw[32..].try_into().ok()?,
        })
    }

    /// Compares in constant time, so response timing says nothing about the stored hash.
    pub fn verify(&self, stored_hash: &str) -> bool {
        let presented = hash_secret(&self.secret);
        presented.as_bytes().ct_eq(stored_hash.as_bytes()).into()
    }
}

pub(crate) fn hash_secret(secret: &[u8]) -> String {
    Sha256::digest(secret).iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_minted_token_verifies_against_its_hash_only() {
        let tenant = TenantId::new();
        let key = mint(tenant);
        let presented = PresentedKey::parse(&key.token).unwrap();
        assert_eq!(presented.tenant_id, tenant);
        assert_eq!(presented.key_id, key.id);
        assert!(presented.verify(&key.secret_hash));
        assert!(!presented.verify(&mint(tenant).secret_hash));
    }

    #[test]
    fn malformed_tokens_are_refused() {
        assert!(PresentedKey::parse("jc_short").is_none());
        assert!(PresentedKey::parse("bearer").is_none());
        assert!(PresentedKey::parse("jc_!!!").is_none());
    }

    #[test]
    fn scopes_round_trip_sorted() {
        assert_eq!(Scope::join(&[Scope::Admin, Scope::Read, Scope::Read]), "read,admin");
        assert_eq!(Scope::split("read,admin"), vec![Scope::Read, Scope::Admin]);
    }
}

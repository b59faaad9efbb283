//! Sessions of the web workspace: the cookie that stands for an API key checked at sign-in,
//! and the CSRF token every form of the session carries.
//!
//! A cookie is `<tenant id>.<base64url of 32 random bytes>`. The tenant travels in it, as in an
//! API key, so the session is found tenant-first; only the SHA-256 of the secret is stored, so
//! a copy of the table opens no session.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use rand::RngCore;
use subtle::ConstantTimeEq;
use uuid::Uuid;

use crate::domain::api_key::hash_secret;
use crate::domain::tenant::TenantId;

const SECRET_LEN: usize = 32;

/// A new session: the cookie's value (given to the browser once) and the id it is stored by.
pub struct MintedSession {
    pub cookie: String,
    pub id: String,
}

pub fn mint(tenant: TenantId) -> MintedSession {
    let secret = random();
    MintedSession {
        cookie: format!("{}.{secret}", tenant.0.simple()),
        id: hash_secret(secret.as_bytes()),
    }
}

/// The tenant and stored id a cookie names; `None` for anything not shaped like one.
pub fn parse(cookie: &str) -> Option<(TenantId, String)> {
    let (tenant, secret) = cookie.split_once('.')?;
    let decoded = URL_SAFE_NO_PAD.decode(secret).ok()?;
    if decoded.len() != SECRET_LEN {
        return None;
    }
    Some((TenantId(Uuid::try_parse(tenant).ok()?), hash_secret(secret.as_bytes())))
}

/// A CSRF token: 32 random bytes, base64url.
pub fn csrf_token() -> String {
    random()
}

/// Whether a form's token is the session's, compared in constant time.
pub fn csrf_matches(expected: &str, presented: &str) -> bool {
    !expected.is_empty() && bool::from(expected.as_bytes().ct_eq(presented.as_bytes()))
}

fn random() -> String {
    let mut bytes = [0u8; SECRET_LEN];
    rand::thread_rng().fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_minted_cookie_parses_to_its_tenant_and_id() {
        let tenant = TenantId::new();
        let minted = mint(tenant);
        let (parsed_tenant, id) = parse(&minted.cookie).expect("parses");
        assert_eq!(parsed_tenant, tenant);
        assert_eq!(id, minted.id);
        assert!(!minted.cookie.contains(&minted.id), "the stored id is not in the cookie");
    }

    #[test]
    fn malformed_cookies_name_no_session() {
        for cookie in
            ["", ".", "x.y", "not-a-uuid.AAAA", &format!("{}.short", Uuid::nil().simple())]
        {
            assert!(parse(cookie).is_none(), "{cookie}");
        }
    }

    #[test]
    fn csrf_tokens_match_only_themselves() {
        let token = csrf_token();
        assert!(csrf_matches(&token, &token));
        assert!(!csrf_matches(&token, &csrf_token()));
        assert!(!csrf_matches("", ""));
    }
}

//! Secrets: a redacting wrapper, random tokens, token digests and password hashes.
//!
//! Random bytes come from the operating system's generator; that is the only
//! place this crate touches the OS, and it is not IO in the sense that matters
//! (no network, files or database).

use std::fmt;

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use base64::Engine as _;
use rand::RngCore;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// A value that must never be printed: `Debug` and `Display` show `[redacted]`.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The secret itself; call sites that need it are easy to find by this name.
    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

/// A URL-safe random token with `n_bytes` of entropy.
pub fn random_token(n_bytes: usize) -> String {
    let mut bytes = vec![0u8; n_bytes];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// The digest under which a bearer secret (session id, API token, reset token)
/// is stored, so a database leak does not leak usable credentials.
pub fn token_digest(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Password hashing cost. Tests may use a cheaper cost; production never does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HashCost {
    /// OWASP's argon2id recommendation: 19 MiB, 2 iterations, 1 lane.
    Production,
    /// For test suites that create many accounts: still argon2id, far cheaper.
    Testing,
}

fn argon2(cost: HashCost) -> Argon2<'static> {
    let params = match cost {
        HashCost::Production => Params::new(19 * 1024, 2, 1, None),
        HashCost::Testing => Params::new(1024, 1, 1, None),
    };
    Argon2::new(
        Algorithm::Argon2id,
        Version::V0x13,
        params.unwrap_or_default(),
    )
}

/// Hashes a password with argon2id and a random salt, in PHC string format.
pub fn hash_password(password: &str, cost: HashCost) -> String {
    let salt = SaltString::generate(&mut rand::rngs::OsRng);
    argon2(cost)
        .hash_password(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .unwrap_or_default()
}

/// Checks a password against a stored PHC hash (any argon2 parameters).
pub fn verify_password(password: &str, phc_hash: &str) -> bool {
    match PasswordHash::new(phc_hash) {
        Ok(parsed) => Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok(),
        Err(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_never_prints() {
        let secret = Secret::new("hunter2");
        assert_eq!(format!("{secret:?} {secret}"), "[redacted] [redacted]");
        assert_eq!(secret.expose(), "hunter2");
    }

    #[test]
    fn password_roundtrip_uses_argon2id() {
        let hash = hash_password("correct horse battery", HashCost::Testing);
        assert!(hash.starts_with("$argon2id$"));
        assert!(verify_password("correct horse battery", &hash));
        assert!(!verify_password("wrong", &hash));
        assert!(!verify_password("x", "not a hash"));
    }

    #[test]
    fn tokens_are_random_and_digests_stable() {
        let a = random_token(32);
        let b = random_token(32);
        assert_ne!(a, b);
        assert_eq!(token_digest(&a), token_digest(&a));
        assert_eq!(token_digest(&a).len(), 64);
    }
}

/// Seals network credentials at rest with ChaCha20-Poly1305 under a key
/// derived (SHA-256) from the configured `secret_key`. A sealed value reads
/// `v1:<key id>:<base64 of nonce and ciphertext>`; the key id (8 hex digits of
/// the key's own digest) says which key sealed it, so a value sealed under the
/// previous key (`secret_key_previous`) still opens after a rotation until
/// `agora reseal` seals everything under the new one.
#[derive(Clone)]
pub struct Sealer {
    current: ([u8; 32], String),
    previous: Option<([u8; 32], String)>,
}

impl fmt::Debug for Sealer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Sealer(key {})", self.current.1)
    }
}

/// Why a sealed value did not open.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SealError {
    #[error("the sealed value is malformed")]
    Malformed,
    #[error(
        "the value was sealed under key {0}, which is not configured (set secret_key_previous)"
    )]
    UnknownKey(String),
    #[error("the sealed value does not open: wrong key or tampered")]
    Tampered,
}

fn derive_key(secret: &str) -> ([u8; 32], String) {
    let key: [u8; 32] = Sha256::digest(secret.as_bytes()).into();
    let id = hex::encode(&Sha256::digest(key)[..4]);
    (key, id)
}

impl Sealer {
    pub fn new(secret: &Secret, previous: Option<&Secret>) -> Self {
        Self {
            current: derive_key(secret.expose()),
            previous: previous.map(|p| derive_key(p.expose())),
        }
    }

    /// The current key's id.
    pub fn key_id(&self) -> &str {
        &self.current.1
    }

    pub fn seal(&self, plaintext: &str) -> String {
        use ring::aead::{Aad, CHACHA20_POLY1305, LessSafeKey, Nonce, UnboundKey};
        let mut nonce = [0u8; 12];
        rand::rngs::OsRng.fill_bytes(&mut nonce);
        let key = LessSafeKey::new(
            UnboundKey::new(&CHACHA20_POLY1305, &self.current.0)
                .unwrap_or_else(|_| unreachable!("a 32-byte key is valid for ChaCha20-Poly1305")),
        );
        let mut data = plaintext.as_bytes().to_vec();
        key.seal_in_place_append_tag(
            Nonce::assume_unique_for_key(nonce),
            Aad::from(self.current.1.as_bytes()),
            &mut data,
        )
        .unwrap_or_else(|_| unreachable!("sealing into a Vec cannot run out of room"));
        let mut out = nonce.to_vec();
        out.extend_from_slice(&data);
        format!(
            "v1:{}:{}",
            self.current.1,
            base64::engine::general_purpose::STANDARD.encode(out)
        )
    }

    pub fn open(&self, sealed: &str) -> Result<Secret, SealError> {
        use ring::aead::{Aad, CHACHA20_POLY1305, LessSafeKey, Nonce, UnboundKey};
        let mut parts = sealed.splitn(3, ':');
        let (Some("v1"), Some(id), Some(body)) = (parts.next(), parts.next(), parts.next()) else {
            return Err(SealError::Malformed);
        };
        let key = if id == self.current.1 {
            &self.current
        } else {
            match &self.previous {
                Some(previous) if previous.1 == id => previous,
                _ => return Err(SealError::UnknownKey(id.to_owned())),
            }
        };
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(body)
            .map_err(|_| SealError::Malformed)?;
        if bytes.len() < 12 + 16 {
            return Err(SealError::Malformed);
        }
        let (nonce, data) = bytes.split_at(12);
        let nonce = Nonce::try_assume_unique_for_key(nonce).map_err(|_| SealError::Malformed)?;
        let unbound =
            UnboundKey::new(&CHACHA20_POLY1305, &key.0).map_err(|_| SealError::Malformed)?;
        let mut data = data.to_vec();
        let plaintext = LessSafeKey::new(unbound)
            .open_in_place(nonce, Aad::from(key.1.as_bytes()), &mut data)
            .map_err(|_| SealError::Tampered)?;
        String::from_utf8(plaintext.to_vec())
            .map(Secret::new)
            .map_err(|_| SealError::Malformed)
    }

    /// Whether a sealed value was sealed under the current key.
    pub fn is_current(&self, sealed: &str) -> bool {
        sealed
            .split(':')
            .nth(1)
            .is_some_and(|id| id == self.current.1)
    }
}

#[cfg(test)]
mod sealer_tests {
    use super::*;

    #[test]
    fn sealed_values_open_only_with_their_key() {
        let sealer = Sealer::new(&Secret::new("a long and random secret key, 32+"), None);
        let sealed = sealer.seal("{\"access_token\":\"tok\"}");
        assert!(!sealed.contains("tok"), "no plaintext at rest");
        assert_ne!(
            sealed,
            sealer.seal("{\"access_token\":\"tok\"}"),
            "fresh nonce"
        );
        assert_eq!(
            sealer.open(&sealed).map(|s| s.expose().to_owned()),
            Ok("{\"access_token\":\"tok\"}".to_owned())
        );
        let other = Sealer::new(&Secret::new("another key entirely, also long"), None);
        assert!(matches!(other.open(&sealed), Err(SealError::UnknownKey(_))));
        let mut tampered = sealed.clone();
        tampered.pop();
        tampered.push(if sealed.ends_with('A') { 'B' } else { 'A' });
        assert!(sealer.open(&tampered).is_err());
        assert_eq!(sealer.open("plain"), Err(SealError::Malformed));
    }

    #[test]
    fn a_rotated_key_still_opens_old_values() {
        let old = Secret::new("the old key, used until rotation");
        let new = Secret::new("the new key, used from now on....");
        let sealed = Sealer::new(&old, None).seal("secret");
        let rotated = Sealer::new(&new, Some(&old));
        assert!(!rotated.is_current(&sealed));
        assert_eq!(
            rotated.open(&sealed).map(|s| s.expose().to_owned()),
            Ok("secret".to_owned())
        );
        let resealed = rotated.seal("secret");
        assert!(rotated.is_current(&resealed));
    }
}

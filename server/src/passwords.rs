//! Password hashing with Argon2id.
//!
//! Parameters: m = 19 MiB, t = 2, p = 1 — OWASP's Password Storage Cheat Sheet's first Argon2id
//! recommendation. Measured on this 2-core machine (see server/README.md): about 25 ms per hash,
//! so one core verifies ~40 logins/s and the server stays responsive; memory per hash is 19 MiB,
//! and at most [`MAX_CONCURRENT_HASHES`] run at once (a login burst queues instead of exhausting
//! memory or starving the async runtime: hashing runs on the blocking pool).
//!
//! Unknown accounts are checked against a dummy hash made at start-up with the same parameters,
//! so "no such account" costs the same time as "wrong password".

use std::sync::Arc;

use argon2::password_hash::{PasswordHash, PasswordHasher as _, PasswordVerifier as _, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use tokio::sync::Semaphore;

use crate::error::ApiError;

/// Hashes at once, at most: 19 MiB each.
pub const MAX_CONCURRENT_HASHES: usize = 4;

/// Argon2id cost parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HashCost {
    pub memory_kib: u32,
    pub iterations: u32,
    pub parallelism: u32,
}

impl HashCost {
    /// What production uses (see the module doc).
    pub const PRODUCTION: HashCost = HashCost {
        memory_kib: 19 * 1024,
        iterations: 2,
        parallelism: 1,
    };
}

impl Default for HashCost {
    fn default() -> Self {
        HashCost::PRODUCTION
    }
}

/// Hashes and verifies passwords off the async threads.
#[derive(Clone)]
pub struct Passwords {
    argon: Arc<Argon2<'static>>,
    permits: Arc<Semaphore>,
    dummy_hash: Arc<String>,
}

impl Passwords {
    pub fn new(cost: HashCost) -> Result<Passwords, ApiError> {
        let params = Params::new(cost.memory_kib, cost.iterations, cost.parallelism, None)
            .map_err(|e| ApiError::internal(format!("argon2 params: {e}")))?;
        let argon = Argon2::new(Algorithm::Argon2id, Version::V0x13, params);
        let dummy = hash_with(&argon, &crate::tokens::new_token())?;
        Ok(Passwords {
            argon: Arc::new(argon),
            permits: Arc::new(Semaphore::new(MAX_CONCURRENT_HASHES)),
            dummy_hash: Arc::new(dummy),
        })
    }

    /// A PHC string (`$argon2id$v=19$m=19456,t=2,p=1$…`).
    pub async fn hash(&self, password: &str) -> Result<String, ApiError> {
        let _permit = self.permits.acquire().await.map_err(ApiError::internal)?;
        let argon = self.argon.clone();
        let password = password.to_owned();
        tokio::task::spawn_blocking(move || hash_with(&argon, &password))
            .await
            .map_err(ApiError::internal)?
    }

    /// Whether `password` matches `phc`. With `phc = None` (unknown account) the dummy hash is
    /// checked instead and the answer is always `false`.
    pub async fn verify(&self, password: &str, phc: Option<&str>) -> Result<bool, ApiError> {
        let _permit = self.permits.acquire().await.map_err(ApiError::internal)?;
        let argon = self.argon.clone();
        let known = phc.is_some();
        let phc = phc
            .map(str::to_owned)
            .unwrap_or_else(|| self.dummy_hash.as_str().to_owned());
        let password = password.to_owned();
        let ok = tokio::task::spawn_blocking(move || {
            PasswordHash::new(&phc)
                .map(|h| argon.verify_password(password.as_bytes(), &h).is_ok())
                .unwrap_or(false)
        })
        .await
        .map_err(ApiError::internal)?;
        Ok(known && ok)
    }
}

fn hash_with(argon: &Argon2<'_>, password: &str) -> Result<String, ApiError> {
    let salt = SaltString::generate(&mut rand::rngs::OsRng);
    argon
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| ApiError::internal(format!("argon2: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    const CHEAP: HashCost = HashCost {
        memory_kib: 1024,
        iterations: 1,
        parallelism: 1,
    };

    #[tokio::test]
    async fn verifies_right_and_rejects_wrong_and_unknown() {
        let p = Passwords::new(CHEAP).unwrap();
        let h = p.hash("abc12345").await.unwrap();
        assert!(h.starts_with("$argon2id$v=19$m=1024,t=1,p=1$"));
        assert!(p.verify("abc12345", Some(&h)).await.unwrap());
        assert!(!p.verify("abc12346", Some(&h)).await.unwrap());
        assert!(!p.verify("abc12345", None).await.unwrap());
        assert!(!p.verify("abc12345", Some("not a hash")).await.unwrap());
    }

    #[test]
    fn production_parameters_are_owasp_argon2id() {
        assert_eq!(
            HashCost::PRODUCTION,
            HashCost {
                memory_kib: 19456,
                iterations: 2,
                parallelism: 1
            }
        );
    }
}

//! Zhanyou's HTTP service: accounts, login security and storage.
//!
//! A lean axum + tokio server. Requests are parsed at the boundary with `shared`'s domain types
//! ([`domain`]); every error leaves as `application/problem+json` ([`error`]); every SQL
//! statement lives in [`store`], which runs the same queries on SQLite (embedded default) and
//! PostgreSQL. See `server/README.md` for the design and the numbers.
//!
//! Architecture invariants:
//! - Nothing secret is logged or stored in the clear: passwords are Argon2id hashes, session
//!   tokens and SMS codes are stored as SHA-256 hashes, logs carry route templates, not URLs.
//! - Time comes from a [`clock::Clock`], so rules with durations are tested without sleeping.
//! - Demo-only routes are not merely disabled without `--demo`: they are not in the router.

pub mod app;
pub mod blobs;
pub mod captcha;
pub mod challenges;
pub mod clock;
pub mod demo;
pub mod domain;
pub mod error;
pub mod extract;
pub mod identity;
pub mod openapi;
pub mod passwords;
pub mod recheck;
pub mod reference_photos;
pub mod reviews;
pub mod roster;
pub mod routes;
pub mod sms;
pub mod state;
pub mod store;
pub mod tokens;
pub mod uploads;
pub mod yearly;

pub use app::{Application, Dependencies, Settings};

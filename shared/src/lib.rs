//! The rules of Zhanyou's domain, written once for the app and the server.
//!
//! Every type here *parses*: a value you hold is valid, so nothing downstream checks it again.
//! Parse errors carry a stable `code` for programs and a Chinese message for people
//! (see [`error::UserError`]).
//!
//! Architecture invariant: this crate does no I/O (no files, network, clock or OS randomness).
//! The caller passes in "today" and a random number generator where they are needed, which keeps
//! every rule deterministic and testable, and lets the crate build for Android unchanged.

pub mod error;

pub mod id;
pub mod identity;
pub mod money;
pub mod name;
pub mod password;
pub mod phone;
pub mod region;
pub mod uscc;

pub mod category;
pub mod form;
pub mod lifecycle;

pub mod liveness;

pub mod api;

pub use error::{FieldError, UserError};

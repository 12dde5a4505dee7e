//! What every handler shares.

use std::sync::Arc;

use shared::liveness::ActionSet;

use crate::blobs::BlobStore;
use crate::clock::Clock;
use crate::passwords::Passwords;
use crate::sms::SmsGateway;
use crate::store::Store;

/// Shared state of the running server (cheap to clone).
#[derive(Clone)]
pub struct AppState {
    pub store: Store,
    pub clock: Arc<dyn Clock>,
    pub sms: Arc<dyn SmsGateway>,
    pub passwords: Passwords,
    /// How long a session lasts, in seconds.
    pub session_ttl_secs: i64,
    /// Demo mode: the dev routes exist.
    pub demo: bool,
    /// Uploaded images.
    pub blobs: Arc<dyn BlobStore>,
    /// The actions liveness challenges may draw from (`--liveness-actions`).
    pub liveness_actions: ActionSet,
    /// The liveness re-check: the face models, loaded on first use.
    pub recheck: Arc<crate::recheck::Recheck>,
    /// Real-name verification of accounts (the roster; a national-platform adapter plugs in).
    pub identity: Arc<dyn crate::identity::IdentityVerifier>,
}

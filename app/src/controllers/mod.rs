//! The logic behind each screen, testable without a display. A controller takes what the user
//! typed (raw strings), decides what to show (field errors, messages, the next screen) and calls
//! the server through [`crate::api::HttpClient`]; `crate::ui` only copies values between it and
//! the Slint components.

pub mod home;
pub mod liveness;
pub mod login;
pub mod register;
pub mod reviewer;
pub mod staff;
pub mod wizard;

use crate::api::{SessionResponse, Token};
pub use shared::api::accounts::Role;

/// A logged-in user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub token: Token,
    pub user_id: String,
    /// Which screens follow the login: 首页 (veteran), the staff list, or the review queue.
    pub role: Role,
    /// e.g. `**松`.
    pub masked_name: String,
    pub expires_at: String,
}

impl From<SessionResponse> for Session {
    fn from(s: SessionResponse) -> Session {
        Session {
            token: Token::new(s.token),
            user_id: s.user.id,
            role: s.user.role,
            masked_name: s.user.masked_name,
            expires_at: s.expires_at,
        }
    }
}

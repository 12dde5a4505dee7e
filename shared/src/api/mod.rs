//! The JSON types that travel between the app and the server (`/api/v1/...`).
//!
//! One module per area of the API; [`problem`] is the single error shape every endpoint uses.

pub mod accounts;
pub mod identity;
pub mod problem;
pub mod review;
pub mod staff;
pub mod yearly;

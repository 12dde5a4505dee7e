//! The app's integration tests, one binary: the screens (headless, `i-slint-backend-testing`,
//! driven through accessibility labels), the HTTP client, the offline stores and the desktop's
//! embedded demo server — all against the real server (`tests::blocking::Server`), never a
//! stand-in. `cargo test -p app --test app [filter]`.

mod common;

mod draft_survives_kill;
#[cfg(feature = "embedded-server")]
mod embedded_server;
mod http_client;
mod identity;
mod liveness;
mod login;
mod review;
mod reviewer;
mod staff;
mod staff_draft;
mod wizard;

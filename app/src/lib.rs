//! Zhanyou's app: the screens a veteran uses for the yearly review (年审), in Slint.
//!
//! The crate is a library (the Android build reuses it) plus a desktop binary (`src/main.rs`).
//!
//! - `ui/*.slint` — the components, one file per screen, plus `theme.slint` (sizes and colours,
//!   with the 长辈版 switch as the global `Theme.elder`) and `widgets.slint` (controls that carry
//!   accessibility roles and labels).
//! - [`controllers`] — the logic behind each screen, testable without a display.
//! - [`ui`] — copies values between the components and the controllers.
//! - [`api`] — the client of the server's API ([`api::HttpClient`]); the tests run the real
//!   server in-process and talk to it through this client.
//! - [`drafts`] — offline drafts in sled, encrypted at rest.
//! - [`liveness`] — the face models (loaded once, off the UI thread) and one liveness attempt
//!   over camera frames; [`liveness_ui`] wires the 身份核验 panel (`ui/liveness.slint`).
//! - `embedded` (feature `embedded-server`) — the demo server started in-process.
//! - [`queue`] — the offline submission queue (exactly once, by the server's `Idempotency-Key`).
//! - [`staff_queue`] — the staff tablet's offline cache and work queue (encrypted, exactly once).
//! - [`platform`] — screen-capture blocking and the camera, one trait each.
//! - [`fields`] — single-field checks as the user types.
//!
//! Architecture invariant: no screen logic in `.slint` files beyond showing values and raising
//! callbacks; no Slint types in [`controllers`].

pub mod api;
pub mod controllers;
pub mod drafts;
#[cfg(feature = "embedded-server")]
pub mod embedded;
pub mod fields;
pub mod liveness;
pub mod liveness_ui;
pub mod platform;
pub mod queue;
pub mod staff_queue;
pub mod ui;

mod generated {
    slint::include_modules!();
}

pub use generated::*;

/// The app's data directory on this system (drafts and the draft key live here).
///
/// Linux: `$XDG_DATA_HOME/zhanyou` or `~/.local/share/zhanyou`; macOS:
/// `~/Library/Application Support/zhanyou`; Windows: `%APPDATA%\zhanyou`. Android passes its own
/// app-private directory instead.
pub fn default_data_dir() -> std::path::PathBuf {
    use std::path::PathBuf;
    let home = || {
        std::env::var_os("HOME")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from("."))
    };
    if cfg!(windows) {
        return std::env::var_os("APPDATA")
            .map(PathBuf::from)
            .unwrap_or_else(home)
            .join("zhanyou");
    }
    if cfg!(target_os = "macos") {
        return home().join("Library/Application Support/zhanyou");
    }
    match std::env::var_os("XDG_DATA_HOME") {
        Some(d) if !d.is_empty() => PathBuf::from(d).join("zhanyou"),
        _ => home().join(".local/share/zhanyou"),
    }
}

//! Zhanyou on Android: the `app` library's UI and controllers, unchanged, on a phone.
//!
//! Built as `libzhanyou.so`, loaded by the activity (GameActivity on real phones; see README.md
//! for why, and for the NativeActivity build CI type-checks). What is Android-only lives here,
//! behind the app's traits, and is compiled only for `target_os = "android"`:
//!
//! - `run` — `android_main`: data dir, API client, drafts, the UI, the event loop; lifecycle.
//! - `platform` — a Slint platform on android-activity: Slint's software renderer drawing into
//!   the `ANativeWindow`'s buffer, touch and keys, the soft keyboard (IME), timers and wake-ups.
//! - `secure` — `FLAG_SECURE` on the window (the app's `ScreenCaptureGuard`).
//! - `camera` — the front camera through the NDK Camera2 API and `AImageReader` (the app's
//!   `Camera`), with the CAMERA runtime permission asked through JNI.
//!
//! The pure parts are plain modules, built and unit-tested on the host too (`cargo test -p
//! android`): [`yuv`] (YUV_420_888 → RGB, upright), [`keys`] (keys and the back button),
//! [`ime`] (soft-keyboard states → key presses), [`permission`] (the permission state machine),
//! [`pixel`] (the window buffer's pixel).

pub mod ime;
pub mod keys;
pub mod permission;
pub mod pixel;
pub mod yuv;

#[cfg(target_os = "android")]
mod camera;
#[cfg(target_os = "android")]
mod platform;
#[cfg(target_os = "android")]
mod run;
#[cfg(target_os = "android")]
mod secure;

#[cfg(all(
    target_os = "android",
    not(any(feature = "game-activity", feature = "native-activity"))
))]
compile_error!("build with the `game-activity` feature (phones) or `native-activity` (CI check)");

/// The entry point android-activity calls on its own thread once the activity is created.
#[cfg(target_os = "android")]
#[no_mangle]
fn android_main(app: android_activity::AndroidApp) {
    run::main(app);
}

//! `FLAG_SECURE`: screenshots, screen recordings, casting and the recents thumbnail of the window
//! show black. Set once at start-up, before the first frame is drawn, and kept for the whole run:
//! every screen of the app can hold personal data (the login screen holds the ID number).

use android_activity::{AndroidApp, WindowManagerFlags};
use app::platform::capture::{CaptureProtection, ScreenCaptureGuard};

/// The app's capture guard on Android.
pub struct SecureFlag {
    app: AndroidApp,
}

impl SecureFlag {
    /// Sets the flag now (android-activity forwards it to `Window.addFlags` on the Java main
    /// thread), so it is in place before `android_main` draws anything.
    pub fn set(app: &AndroidApp) -> SecureFlag {
        app.set_window_flags(WindowManagerFlags::SECURE, WindowManagerFlags::empty());
        SecureFlag { app: app.clone() }
    }
}

impl ScreenCaptureGuard for SecureFlag {
    fn protect(&self, _window: &slint::Window) -> CaptureProtection {
        // Idempotent; repeated in case the window was re-created.
        self.app
            .set_window_flags(WindowManagerFlags::SECURE, WindowManagerFlags::empty());
        CaptureProtection::Blocked
    }
}

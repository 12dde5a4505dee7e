//! Keeping screens with personal data out of screenshots and screen recordings.
//!
//! - Windows: `SetWindowDisplayAffinity(hwnd, WDA_EXCLUDEFROMCAPTURE)` (Windows 10 2004+); the
//!   window shows black in captures.
//! - macOS: `[NSWindow setSharingType: NSWindowSharingNone]`.
//! - Android: `FLAG_SECURE`, set by the android crate through this trait.
//! - Linux (X11 and Wayland): there is no way for an application to stop capture. The app says so
//!   plainly ([`CaptureProtection::Unsupported`]), and the UI shows the reason to the tester.
//!
//! The Windows and macOS paths are compiled only on those systems and have not been run in CI
//! (which is Linux).

/// What protection the window got.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CaptureProtection {
    /// Screenshots and recordings of the window show nothing.
    Blocked,
    /// Capture cannot be blocked here; `reason_zh` is shown to the user.
    Unsupported { reason_zh: &'static str },
}

impl CaptureProtection {
    /// The notice to show, if any.
    pub fn notice_zh(&self) -> Option<&'static str> {
        match self {
            CaptureProtection::Blocked => None,
            CaptureProtection::Unsupported { reason_zh } => Some(reason_zh),
        }
    }
}

pub const LINUX_NOTICE: &str =
    "提示:当前系统(Linux)无法阻止截屏或录屏,请勿截屏、录屏或在共享屏幕时填写个人信息。";
#[cfg_attr(
    any(target_os = "linux", windows, target_os = "macos"),
    allow(dead_code)
)]
const UNKNOWN_NOTICE: &str =
    "提示:当前系统无法阻止截屏或录屏,请勿截屏、录屏或在共享屏幕时填写个人信息。";
#[cfg_attr(not(any(windows, target_os = "macos")), allow(dead_code))]
const FAILED_NOTICE: &str = "提示:未能开启防截屏保护,请勿截屏、录屏或在共享屏幕时填写个人信息。";

/// Protects a window against capture.
pub trait ScreenCaptureGuard {
    fn protect(&self, window: &slint::Window) -> CaptureProtection;
}

/// The guard of the system the app was built for.
pub fn system_guard() -> Box<dyn ScreenCaptureGuard> {
    Box::new(SystemGuard)
}

struct SystemGuard;

impl ScreenCaptureGuard for SystemGuard {
    #[cfg(target_os = "linux")]
    fn protect(&self, _window: &slint::Window) -> CaptureProtection {
        CaptureProtection::Unsupported {
            reason_zh: LINUX_NOTICE,
        }
    }

    #[cfg(windows)]
    fn protect(&self, window: &slint::Window) -> CaptureProtection {
        use raw_window_handle::{HasWindowHandle, RawWindowHandle};
        const WDA_EXCLUDEFROMCAPTURE: u32 = 0x0000_0011;
        #[link(name = "user32")]
        extern "system" {
            fn SetWindowDisplayAffinity(hwnd: isize, affinity: u32) -> i32;
        }
        let handle = window.window_handle();
        let Ok(raw) = handle.window_handle() else {
            return CaptureProtection::Unsupported {
                reason_zh: FAILED_NOTICE,
            };
        };
        match raw.as_raw() {
            RawWindowHandle::Win32(h) => {
                // SAFETY: the HWND belongs to this live window; the call only sets a flag on it.
                let ok = unsafe { SetWindowDisplayAffinity(h.hwnd.get(), WDA_EXCLUDEFROMCAPTURE) };
                if ok != 0 {
                    CaptureProtection::Blocked
                } else {
                    CaptureProtection::Unsupported {
                        reason_zh: FAILED_NOTICE,
                    }
                }
            }
            _ => CaptureProtection::Unsupported {
                reason_zh: FAILED_NOTICE,
            },
        }
    }

    #[cfg(target_os = "macos")]
    fn protect(&self, window: &slint::Window) -> CaptureProtection {
        use raw_window_handle::{HasWindowHandle, RawWindowHandle};
        use std::ffi::c_void;
        #[link(name = "objc")]
        extern "C" {
            fn sel_registerName(name: *const std::ffi::c_char) -> *mut c_void;
            fn objc_msgSend();
        }
        let handle = window.window_handle();
        let Ok(raw) = handle.window_handle() else {
            return CaptureProtection::Unsupported {
                reason_zh: FAILED_NOTICE,
            };
        };
        let RawWindowHandle::AppKit(h) = raw.as_raw() else {
            return CaptureProtection::Unsupported {
                reason_zh: FAILED_NOTICE,
            };
        };
        // SAFETY: `ns_view` is the live NSView of this window. objc_msgSend is cast to the exact
        // signatures of -[NSView window] (id → id) and -[NSWindow setSharingType:] (NSUInteger).
        unsafe {
            let send_id: extern "C" fn(*mut c_void, *mut c_void) -> *mut c_void =
                std::mem::transmute(objc_msgSend as unsafe extern "C" fn());
            let send_uint: extern "C" fn(*mut c_void, *mut c_void, usize) =
                std::mem::transmute(objc_msgSend as unsafe extern "C" fn());
            let ns_window = send_id(h.ns_view.as_ptr(), sel_registerName(c"window".as_ptr()));
            if ns_window.is_null() {
                return CaptureProtection::Unsupported {
                    reason_zh: FAILED_NOTICE,
                };
            }
            send_uint(
                ns_window,
                sel_registerName(c"setSharingType:".as_ptr()),
                0, /* NSWindowSharingNone */
            );
        }
        CaptureProtection::Blocked
    }

    #[cfg(not(any(target_os = "linux", windows, target_os = "macos")))]
    fn protect(&self, _window: &slint::Window) -> CaptureProtection {
        CaptureProtection::Unsupported {
            reason_zh: UNKNOWN_NOTICE,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unsupported_protection_has_a_notice_and_blocked_has_none() {
        assert_eq!(CaptureProtection::Blocked.notice_zh(), None);
        let linux = CaptureProtection::Unsupported {
            reason_zh: LINUX_NOTICE,
        };
        assert!(linux.notice_zh().unwrap().contains("无法阻止截屏"));
    }
}

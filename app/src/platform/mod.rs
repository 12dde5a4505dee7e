//! What differs per operating system, each behind one trait: blocking screen capture
//! ([`capture::ScreenCaptureGuard`]) and the camera ([`camera::Camera`]).

pub mod camera;
pub mod capture;

//! `android_main`: builds the app as the desktop binary does, with Android's pieces, and runs
//! the loop.
//!
//! Lifecycle: the app saves the review draft on every change (sealed, flushed before the save
//! returns) and text from the soft keyboard reaches the field, and so the draft, as it is typed;
//! so on pause nothing is pending — the keyboard is closed and the window marked inactive. If
//! Android kills the process in the background, the next start shows 登录 and opening 年审
//! restores the draft (已恢复上次保存的草稿); if it does not, the UI is still in memory and is
//! redrawn when the window comes back.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use android_activity::AndroidApp;
use app::drafts::{DraftStore, FileKeyStore};
use app::liveness_ui::{CameraSource, PlatformCamera};
use app::platform::camera::{Camera, CameraError};
use app::platform::capture::{CaptureProtection, ScreenCaptureGuard};
use app::ui::{local_today, Deps, Runner, Ui};
use app::{Nav, WizardPage};
use shared::error::UserError;
use slint::ComponentHandle;

use crate::camera::{self, AndroidCamera};
use crate::keys::{back_action, BackAction};
use crate::permission::{Event, Gate, State};
use crate::platform::{self, AndroidWindow, Hooks};
use crate::secure::SecureFlag;

/// The server the app talks to, fixed when the APK is built (`ZHANYOU_SERVER_URL=https://…`);
/// cleartext HTTP is refused by the manifest, so it must be HTTPS.
const SERVER_URL: &str = match option_env!("ZHANYOU_SERVER_URL") {
    Some(url) => url,
    None => "https://zhanyou.invalid",
};

// `usesCleartextTraffic="false"` binds only Java's networking; this is the Rust client's.
const _: () = assert!(
    is_https(SERVER_URL),
    "ZHANYOU_SERVER_URL must start with https://"
);

const fn is_https(url: &str) -> bool {
    let (u, p) = (url.as_bytes(), b"https://");
    if u.len() <= p.len() {
        return false;
    }
    let mut i = 0;
    while i < p.len() {
        if u[i] != p[i] {
            return false;
        }
        i += 1;
    }
    true
}

pub fn main(app: AndroidApp) {
    // Before anything is drawn: no screenshots, recordings or recents thumbnail of any screen.
    let secure = SecureFlag::set(&app);
    let installed = match platform::install(&app) {
        Ok(i) => i,
        Err(e) => {
            log::error!("cannot install the Slint platform: {e}");
            return;
        }
    };
    let data_dir = app
        .internal_data_path()
        .unwrap_or_else(|| PathBuf::from("/data/local/tmp/zhanyou"));
    let api = match app::api::HttpClient::new(SERVER_URL) {
        Ok(api) => api,
        Err(e) => {
            log::error!("API client: {e}");
            return;
        }
    };
    let drafts = match DraftStore::open(&data_dir.join("drafts"), &FileKeyStore::in_dir(&data_dir))
    {
        Ok(store) => Some(Arc::new(store)),
        Err(e) => {
            log::error!("drafts disabled: {} ({})", e.message(), e.code());
            None
        }
    };
    let deps = Deps {
        api,
        drafts,
        runner: Runner::Background,
        today: local_today,
    };
    let ui = match Ui::new(deps, CaptureProtection::Blocked) {
        Ok(ui) => ui,
        Err(e) => {
            log::error!("UI: {e}");
            return;
        }
    };
    if let Some(notice) = secure.protect(ui.window.window()).notice_zh() {
        ui.window.global::<Nav>().set_capture_notice(notice.into());
    }
    if let Err(e) = ui.window.show() {
        log::error!("show: {e}");
        return;
    }
    let gate = Arc::new(Gate::default());
    // The liveness step opens its camera through this (see README: the app's camera hook).
    ui.liveness()
        .set_camera(CameraSource::Platform(PlatformCamera(Arc::new(
            camera_factory(&app, &gate),
        ))));
    let mut hooks = AppHooks {
        app: app.clone(),
        ui,
        gate,
    };
    platform::run(&app, &installed, &mut hooks);
}

/// What the liveness step calls to get a camera: the front camera, after the CAMERA permission
/// (asked now if needed). A refusal comes out of the camera as `PermissionDenied`.
pub fn camera_factory(
    app: &AndroidApp,
    gate: &Arc<Gate>,
) -> impl Fn() -> Result<Box<dyn Camera>, CameraError> + Send + Sync + 'static {
    let (app, gate) = (app.clone(), gate.clone());
    move || Ok(Box::new(AndroidCamera::new(app.clone(), gate.clone())) as Box<dyn Camera>)
}

struct AppHooks {
    app: AndroidApp,
    ui: Ui,
    gate: Arc<Gate>,
}

impl AppHooks {
    fn asking(&self) -> bool {
        matches!(self.gate.state(), State::Asked { .. })
    }
}

impl Hooks for AppHooks {
    fn back(&mut self, window: &AndroidWindow) -> bool {
        let w = &self.ui.window;
        let screen = w.global::<Nav>().get_screen();
        let step = w.global::<WizardPage>().get_step();
        match back_action(&screen, step, window.keyboard_shown()) {
            BackAction::HideKeyboard => window.hide_keyboard(),
            BackAction::WizardPrevious => w.global::<WizardPage>().invoke_prev(),
            BackAction::WizardExit => w.global::<WizardPage>().invoke_exit(),
            BackAction::ToLogin => w.global::<Nav>().set_screen("login".into()),
            BackAction::ToHome => w.global::<Nav>().set_screen("home".into()),
            BackAction::LeaveApp => camera::move_task_to_back(&self.app),
        }
        true
    }

    fn paused(&mut self, window: &AndroidWindow) {
        if window.keyboard_shown() {
            window.hide_keyboard();
        }
        self.gate.feed(Event::FocusLost, Instant::now());
    }

    fn resumed(&mut self) {
        if self.asking() {
            let granted = camera::camera_granted(&self.app);
            self.gate.feed(Event::FocusBack { granted }, Instant::now());
        }
    }

    fn focus(&mut self, gained: bool) {
        if !gained {
            self.gate.feed(Event::FocusLost, Instant::now());
        } else if self.asking() {
            let granted = camera::camera_granted(&self.app);
            self.gate.feed(Event::FocusBack { granted }, Instant::now());
        }
    }

    fn tick(&mut self) -> Option<Duration> {
        if !self.asking() {
            return None;
        }
        let granted = camera::camera_granted(&self.app);
        self.gate.feed(Event::Tick { granted }, Instant::now());
        Some(Duration::from_millis(250))
    }
}

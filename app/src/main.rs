//! The desktop app: `cargo run -p app -- [--server URL] [--data-dir DIR] [--camera-frames DIR]`.
//!
//! Without `--server` (and with the default feature `embedded-server`) it starts the server crate
//! in-process in demo mode on 127.0.0.1 (a free port), with its data in `<data dir>/demo-server`,
//! and shows the demo logins on the login screen.

use std::path::PathBuf;
use std::sync::Arc;

use app::api::HttpClient;
use app::drafts::{DraftStore, FileKeyStore};
use app::liveness_ui::CameraSource;
use app::platform::camera::{Pacing, Recorded};
use app::ui::{local_today, Deps, Runner, Ui};
use clap::Parser;
use shared::error::UserError;
use slint::ComponentHandle;

#[derive(Parser, Debug)]
#[command(name = "app", about = "战友 · 年审 (desktop)")]
struct Args {
    /// The server to use. Without it: the embedded demo server (feature `embedded-server`,
    /// default on desktop), or http://127.0.0.1:8080 on a build without it.
    #[arg(long)]
    server: Option<String>,
    /// Where drafts and the draft key are kept.
    #[arg(long)]
    data_dir: Option<PathBuf>,
    /// Start in 长辈版 (large text, large buttons).
    #[arg(long)]
    elder: bool,
    /// Recorded JPEG/PNG frames instead of a webcam: a flat directory (looped), or one with
    /// per-action sub-folders `blink/ open_mouth/ shake_head/ nod/` (and `neutral/`, played
    /// first); a file `fps` in it gives the rate (default 15).
    #[arg(long)]
    camera_frames: Option<PathBuf>,
    /// Play `--camera-frames` as fast as they are analysed instead of at their rate.
    #[arg(long)]
    camera_fast: bool,
    /// Behave as if the camera permission was refused (to see the explanation screen).
    #[arg(long)]
    camera_denied: bool,
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let started = std::time::Instant::now();
    let args = Args::parse();
    let data_dir = args.data_dir.clone().unwrap_or_else(app::default_data_dir);
    let (api, demo_note) = match &args.server {
        Some(url) => (HttpClient::new(url)?, String::new()),
        None => {
            #[cfg(feature = "embedded-server")]
            {
                let server = app::embedded::start(&data_dir.join("demo-server"))?;
                eprintln!(
                    "embedded demo server on {} (data in {})",
                    server.url,
                    server.data_dir.display()
                );
                let note = server.login_note();
                eprintln!("{note}");
                (HttpClient::new(&server.url)?, note)
            }
            #[cfg(not(feature = "embedded-server"))]
            {
                (HttpClient::new("http://127.0.0.1:8080")?, String::new())
            }
        }
    };
    let pacing = if args.camera_fast {
        Pacing::AsFastAsRead
    } else {
        Pacing::RealTime
    };
    let camera = match (&args.camera_frames, args.camera_denied) {
        (_, true) => CameraSource::Denied,
        (Some(dir), false) => CameraSource::Frames {
            dir: dir.clone(),
            pacing,
        },
        #[cfg(feature = "webcam")]
        (None, false) => CameraSource::Webcam,
        #[cfg(not(feature = "webcam"))]
        (None, false) => CameraSource::None,
    };
    if let Some(dir) = &args.camera_frames {
        match Recorded::open(dir, pacing) {
            Ok(frames) => eprintln!(
                "camera: {} recorded frames at {} fps from {} (per action: {:?})",
                frames.len(),
                frames.fps(),
                dir.display(),
                frames.actions()
            ),
            Err(e) => {
                eprintln!("camera: {} ({})", e.message(), e.code());
                std::process::exit(2);
            }
        }
    }
    let drafts = match DraftStore::open(&data_dir.join("drafts"), &FileKeyStore::in_dir(&data_dir))
    {
        Ok(store) => Some(Arc::new(store)),
        Err(e) => {
            eprintln!("drafts disabled: {} ({})", e.message(), e.code());
            None
        }
    };
    let deps = Deps {
        api,
        drafts,
        runner: Runner::Background,
        today: local_today,
    };
    // The window exists only once the platform is up; protect it before it is shown.
    let ui = Ui::new(deps, app::platform::capture::CaptureProtection::Blocked)?;
    let protection = app::platform::capture::system_guard().protect(ui.window.window());
    if let Some(notice) = protection.notice_zh() {
        ui.window
            .global::<app::Nav>()
            .set_capture_notice(notice.into());
    }
    ui.window.global::<app::Theme>().set_elder(args.elder);
    ui.window
        .global::<app::Nav>()
        .set_demo_note(demo_note.into());
    ui.set_photo_camera(args.camera_frames.clone());
    if std::env::var_os("ZHANYOU_STARTUP_TIMING").is_some() {
        // Cold start to the login screen: printed once the first frame is on screen.
        let timer = slint::Timer::default();
        timer.start(
            slint::TimerMode::SingleShot,
            std::time::Duration::ZERO,
            move || {
                println!("startup_ms {}", started.elapsed().as_millis());
            },
        );
        std::mem::forget(timer);
    }
    ui.liveness().set_camera(camera);
    ui.window.run()?;
    Ok(())
}

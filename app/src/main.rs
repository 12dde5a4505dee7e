//! The desktop app: `cargo run -p app -- [--server URL] [--demo-offline] [--data-dir DIR]
//! [--camera-frames DIR]`.

use std::path::PathBuf;
use std::sync::Arc;

use app::api::fake::FakeAccounts;
use app::api::{AccountsApi, HttpClient};
use app::drafts::{DraftStore, FileKeyStore};
use app::platform::camera::FramesDir;
use app::ui::{local_today, Deps, Runner, Ui};
use clap::Parser;
use shared::error::UserError;
use slint::ComponentHandle;

#[derive(Parser, Debug)]
#[command(name = "app", about = "战友 · 年审 (desktop)")]
struct Args {
    /// The server to use.
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    server: String,
    /// Use an in-memory stand-in for the server (demo login 13300001234 / abc12345).
    #[arg(long)]
    demo_offline: bool,
    /// Where drafts and the draft key are kept.
    #[arg(long)]
    data_dir: Option<PathBuf>,
    /// Start in 长辈版 (large text, large buttons).
    #[arg(long)]
    elder: bool,
    /// A directory of JPEG/PNG frames to use instead of a webcam.
    #[arg(long)]
    camera_frames: Option<PathBuf>,
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = Args::parse();
    let api: Arc<dyn AccountsApi> = if args.demo_offline {
        eprintln!("demo-offline: in-memory server; log in with 13300001234 / abc12345");
        Arc::new(FakeAccounts::with_demo_people())
    } else {
        Arc::new(HttpClient::new(&args.server)?)
    };
    if let Some(dir) = &args.camera_frames {
        match FramesDir::open(dir, 10) {
            Ok(frames) => eprintln!(
                "camera: {} recorded frames from {}",
                frames.len(),
                dir.display()
            ),
            Err(e) => {
                eprintln!("camera: {} ({})", e.message(), e.code());
                std::process::exit(2);
            }
        }
    }
    let data_dir = args.data_dir.unwrap_or_else(app::default_data_dir);
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
    ui.window.run()?;
    Ok(())
}

//! The harness the three screenshot examples share (`screenshots`, `screenshots_staff`,
//! `screenshots_reviewer`, each with `#[path = "shots/mod.rs"] mod shots;`): the output
//! directory, one app per walk (normal and 长辈版) on the real server (`tests::blocking::Server`,
//! started in-process; each walk with people of its own and its own `Gate`, so a walk can take
//! the network away), logging in through the login page's callbacks, and the event-loop driver
//! that runs each step and saves the window's own rendering (`Window::take_snapshot`) on the
//! next tick, once it is drawn.
//! Cargo does not build this directory as an example of its own (it has no `main.rs`).
#![allow(dead_code)] // Each example uses its own subset.

use std::cell::RefCell;
use std::path::PathBuf;
use std::rc::Rc;
use std::sync::Arc;
use std::time::Duration;

use app::api::{HttpClient, Token};
use app::drafts::DraftStore;
use app::platform::capture::{CaptureProtection, LINUX_NOTICE};
use app::ui::{local_today, Deps, Runner, Ui};
use app::{LoginPage, Theme};
use slint::ComponentHandle;
use tests::blocking::Server;
use tests::gate::Gate;

/// What one walk works with: the server, the gate in front of it, and the account the walk logs
/// in with (and, for the veteran's walk, the reviewer of the person's district).
pub struct World {
    pub server: &'static Server,
    pub gate: Gate,
    pub phone: String,
    pub reviewer: Option<String>,
}

impl World {
    /// A world logging in as `phone`.
    pub fn new(phone: &str) -> World {
        let server = Server::shared();
        World {
            server,
            gate: server.gate(),
            phone: phone.to_owned(),
            reviewer: None,
        }
    }

    /// The reviewer's decision on the walk's person's waiting submission: approved, or
    /// rejected with `reason`.
    pub fn decide(&self, reason: Option<&str>) {
        let Some(phone) = &self.reviewer else { return };
        let api = HttpClient::new(self.server.url()).expect("client");
        let token = self.server.login(phone);
        let waiting = ["submitted", "resubmitted"]
            .into_iter()
            .filter_map(|s| api.review_queue(&Token::new(token.clone()), s, 1).ok())
            .flat_map(|q| q.items);
        for item in waiting {
            self.server.decide(&token, &item.submission_id, reason);
        }
    }
}

/// What to do on the app before a shot.
pub type Step = Box<dyn Fn(&Ui, &World)>;

/// One app and its world; `true`: 长辈版.
pub type Walk = (Rc<Ui>, Arc<World>, bool);

type AnyError = Box<dyn std::error::Error>;

/// The directory given as the first argument, else `docs/screenshots`; created.
pub fn out_dir() -> Result<PathBuf, AnyError> {
    let out = std::env::args()
        .nth(1)
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("docs/screenshots"));
    std::fs::create_dir_all(&out)?;
    Ok(out)
}

/// A new app in `world`, through its gate (today is the local date; the Linux capture notice
/// as on a real desktop), in 长辈版 when `elder`.
pub fn new_walk(
    world: World,
    drafts: Option<Arc<DraftStore>>,
    elder: bool,
) -> Result<Walk, AnyError> {
    let deps = Deps {
        api: HttpClient::new(&world.gate.url())?,
        drafts,
        runner: Runner::Inline,
        today: local_today,
    };
    let ui = Ui::new(
        deps,
        CaptureProtection::Unsupported {
            reason_zh: LINUX_NOTICE,
        },
    )?;
    ui.window.global::<Theme>().set_elder(elder);
    Ok((Rc::new(ui), Arc::new(world), elder))
}

/// Logs in as the world's account through the login page, sliding to the server's answer.
pub fn log_in(ui: &Ui, world: &World) {
    let page = ui.window.global::<LoginPage>();
    page.set_login(world.phone.as_str().into());
    page.set_password(tests::PASSWORD.into());
    if let Some(id) = ui.current_captcha_id() {
        page.set_slider_offset(world.server.captcha_answer(&id) as f32);
    }
    page.invoke_submit();
}

/// Every step on every walk (all steps on the first walk, then all on the next), each shot saved
/// as `<out>/<step>-normal.png` or `-elder.png`; one step per `tick`. Returns when the last shot
/// is saved.
pub fn run(
    walks: Vec<Walk>,
    steps: Vec<(&'static str, Step)>,
    out: PathBuf,
    tick: Duration,
) -> Result<(), AnyError> {
    let mut plan: Vec<(String, usize, usize)> = Vec::new();
    for (w, (_, _, elder)) in walks.iter().enumerate() {
        for (i, (name, _)) in steps.iter().enumerate() {
            let suffix = if *elder { "elder" } else { "normal" };
            plan.push((format!("{name}-{suffix}"), w, i));
        }
    }
    let walks = Rc::new(walks);
    walks[0].0.window.show()?;
    let next = RefCell::new(0usize);
    let pending: RefCell<Option<(String, usize)>> = RefCell::new(None);
    let timer = slint::Timer::default();
    {
        let walks = walks.clone();
        timer.start(slint::TimerMode::Repeated, tick, move || {
            // The shot of the step done on the previous tick (drawn since).
            if let Some((name, w)) = pending.borrow_mut().take() {
                save_snapshot(&walks[w].0, &out, &name);
            }
            let i = *next.borrow();
            let Some((name, w, step)) = plan.get(i).cloned() else {
                let _ = slint::quit_event_loop();
                return;
            };
            *next.borrow_mut() = i + 1;
            if step == 0 && w > 0 {
                // Show the next window first: hiding the last one would end the event loop.
                let _ = walks[w].0.window.show();
                let _ = walks[w - 1].0.window.hide();
            }
            let (ui, world, _) = &walks[w];
            (steps[step].1)(ui, world);
            *pending.borrow_mut() = Some((name, w));
        });
    }
    slint::run_event_loop()?;
    Ok(())
}

/// Saves what the window shows as `<out>/<name>.png` and prints the path (errors to stderr: one
/// failed shot does not stop the others).
fn save_snapshot(ui: &Ui, out: &std::path::Path, name: &str) {
    match ui.window.window().take_snapshot() {
        Ok(buf) => {
            let img =
                image::RgbaImage::from_raw(buf.width(), buf.height(), buf.as_bytes().to_vec());
            if let Some(img) = img {
                let path = out.join(format!("{name}.png"));
                match img.save(&path) {
                    Ok(()) => println!("{}", path.display()),
                    Err(e) => eprintln!("{}: {e}", path.display()),
                }
            }
        }
        Err(e) => eprintln!("snapshot failed: {e}"),
    }
}

//! Screenshots of the reviewer screens (审核人员, issue 8), normal and 长辈版, into
//! `docs/screenshots/reviewer-*.png` (or the directory given as the first argument). Needs a
//! display: `scripts/screenshots` runs it under Xvfb with fontconfig limited to DejaVu.
//!
//! The app runs with the in-memory `FakeAccounts` (its demo reviewer and queue: one item of each
//! kind) and goes through the same callbacks the screen raises: log in, open the submission with
//! changes, the whole detail (photos, key frames, decision area), 不通过 without a reason, a
//! chosen and a written reason, the rejected result, the special-population check, the
//! confirmation and the death record. Each screen is rendered by the window's own renderer
//! (`Window::take_snapshot`) once the event loop has drawn it.

use std::cell::RefCell;
use std::path::PathBuf;
use std::rc::Rc;
use std::sync::Arc;
use std::time::Duration;

use app::api::fake::FakeAccounts;
use app::platform::capture::{CaptureProtection, LINUX_NOTICE};
use app::ui::{local_today, Deps, Runner, Ui};
use app::{LoginPage, ReviewerPage, Theme};
use slint::{ComponentHandle, Model};

type Step = Box<dyn Fn(&Ui, &FakeAccounts)>;

/// Opens the first queue row of `kind`.
fn open_kind(ui: &Ui, kind: &str) {
    let page = ui.window.global::<ReviewerPage>();
    if let Some(row) = page.get_queue().iter().find(|r| r.kind == kind) {
        page.invoke_open_item(row.kind, row.id);
    }
}

fn size(ui: &Ui, w: f32, h: f32) {
    ui.window.window().set_size(slint::LogicalSize::new(w, h));
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let out = std::env::args()
        .nth(1)
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("docs/screenshots"));
    std::fs::create_dir_all(&out)?;

    // One app per walk (normal, 长辈版), each with its own in-memory server.
    let mut walks = Vec::new();
    for elder in [false, true] {
        let api = Arc::new(FakeAccounts::default());
        let deps = Deps {
            api: api.clone(),
            drafts: None,
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
        walks.push((Rc::new(ui), api, elder));
    }

    // (name, what to do before the shot). The tall shots show the whole detail, which scrolls
    // in the 1280×860 window.
    let mut steps: Vec<(&str, Step)> = Vec::new();
    steps.push((
        "reviewer-submission",
        Box::new(|ui, api| {
            let page = ui.window.global::<LoginPage>();
            page.set_login("13700000003".into());
            page.set_password("abc12345".into());
            let id = ui.current_captcha_id().unwrap_or_default();
            page.set_slider_offset(api.captcha_answer(&id).unwrap_or(0) as f32);
            page.invoke_submit();
            open_kind(ui, "submission");
        }),
    ));
    steps.push((
        "reviewer-submission-full",
        Box::new(|ui, _| {
            let tall = if ui.window.global::<Theme>().get_elder() {
                2300.
            } else {
                1900.
            };
            size(ui, 1280., tall);
        }),
    ));
    steps.push((
        "reviewer-reject-no-reason",
        Box::new(|ui, _| {
            size(ui, 1280., 860.);
            ui.window.global::<ReviewerPage>().invoke_reject();
        }),
    ));
    steps.push((
        "reviewer-reasons",
        Box::new(|ui, _| {
            size(ui, 1280., 860.);
            ui.window.global::<ReviewerPage>().set_reasons_open(true);
        }),
    ));
    steps.push((
        "reviewer-reject-reason",
        Box::new(|ui, _| {
            let page = ui.window.global::<ReviewerPage>();
            page.set_reasons_open(false);
            page.set_chosen_reason("填报信息与上年不一致且无说明".into());
            page.set_written_reason("现住地址变更请补充说明".into());
            page.set_reason_error("".into());
        }),
    ));
    steps.push((
        "reviewer-rejected",
        Box::new(|ui, _| ui.window.global::<ReviewerPage>().invoke_reject()),
    ));
    steps.push((
        "reviewer-special",
        Box::new(|ui, _| {
            size(ui, 1280., 1000.);
            open_kind(ui, "special_population");
        }),
    ));
    steps.push((
        "reviewer-confirmation",
        Box::new(|ui, _| {
            size(ui, 1280., 1000.);
            open_kind(ui, "confirmation");
        }),
    ));
    steps.push((
        "reviewer-death",
        Box::new(|ui, _| {
            size(ui, 1280., 1000.);
            open_kind(ui, "death");
        }),
    ));

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
        timer.start(
            slint::TimerMode::Repeated,
            Duration::from_millis(400),
            move || {
                // The shot of the step done on the previous tick (drawn since).
                if let Some((name, w)) = pending.borrow_mut().take() {
                    match walks[w].0.window.window().take_snapshot() {
                        Ok(buf) => {
                            let img = image::RgbaImage::from_raw(
                                buf.width(),
                                buf.height(),
                                buf.as_bytes().to_vec(),
                            );
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
                let (ui, api, _) = &walks[w];
                (steps[step].1)(ui, api);
                *pending.borrow_mut() = Some((name, w));
            },
        );
    }
    slint::run_event_loop()?;
    Ok(())
}

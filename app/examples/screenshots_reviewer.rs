//! Screenshots of the reviewer screens (审核人员, issue 8), normal and 长辈版, into
//! `docs/screenshots/reviewer-*.png` (or the directory given as the first argument). Needs a
//! display: `scripts/screenshots` runs it under Xvfb with fontconfig limited to DejaVu.
//!
//! The app runs against the real server (started in-process; per walk a reviewer's district
//! with one item of every kind waiting, `tests::scenes::ReviewerQueue`) and goes through the
//! same callbacks the screen raises: log in, open the submission with
//! changes, the whole detail (photos, key frames, decision area), 不通过 without a reason, a
//! chosen and a written reason, the rejected result, the special-population check, the
//! confirmation and the death record. Each screen is rendered by the window's own renderer
//! (`Window::take_snapshot`) once the event loop has drawn it.

use std::time::Duration;

use app::ui::Ui;
use app::{ReviewerPage, Theme};
use slint::{ComponentHandle, Model};

#[path = "shots/mod.rs"]
mod shots;
use shots::Step;

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
    let out = shots::out_dir()?;

    // One app per walk (normal, 长辈版), each with its own district and queue.
    let mut walks = Vec::new();
    for elder in [false, true] {
        let scene = tests::blocking::Server::shared().reviewer_queue();
        walks.push(shots::new_walk(
            shots::World::new(&scene.reviewer.phone),
            None,
            elder,
        )?);
    }

    // (name, what to do before the shot). The tall shots show the whole detail, which scrolls
    // in the 1280×860 window.
    let mut steps: Vec<(&str, Step)> = Vec::new();
    steps.push((
        "reviewer-submission",
        Box::new(|ui, world| {
            shots::log_in(ui, world);
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

    shots::run(walks, steps, out, Duration::from_millis(400))?;
    Ok(())
}

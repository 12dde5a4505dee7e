//! Screenshots of every screen, normal and 长辈版, into `docs/screenshots/` (or the directory given
//! as the first argument). Needs a display: `scripts/screenshots` runs it under Xvfb with
//! fontconfig limited to DejaVu (no CJK font on the system: the shipped font must do).
//!
//! The app runs against the real server (started in-process; a person of their own per walk,
//! with last year's form) and walks a whole review through the same callbacks the buttons
//! raise: log in, the five wizard steps (prefilled from last year), 提交 with the network gone,
//! a reviewer's rejection with 【不通过原因】, approval, and 我的. Each screen is rendered by the window's own
//! renderer (`Window::take_snapshot`) once the event loop has drawn it.

use std::sync::Arc;
use std::time::Duration;

use app::controllers::liveness::{self as ctl, Failure, Outcome, Verified};
use app::drafts::{DraftStore, StaticKey};
use app::liveness_ui::CameraSource;
use app::ui::Ui;
use app::{HomePage, LivenessPage, MinePage, Nav, ResultPage, WizardPage};
use shared::api::review::{EvidenceResult, FaceMatch};
use slint::ComponentHandle;

#[path = "shots/mod.rs"]
mod shots;
use shots::Step;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let out = shots::out_dir()?;
    let tmp = std::env::temp_dir().join(format!("zhanyou-shots-{}", std::process::id()));
    std::fs::create_dir_all(&tmp)?;
    let front = tmp.join("front.png");
    let back = tmp.join("back.png");
    image::RgbImage::from_fn(320, 200, |x, _| image::Rgb([200, 220 - (x / 4) as u8, 240]))
        .save(&front)?;
    image::RgbImage::from_fn(320, 200, |_, y| image::Rgb([240, 200, 180 - (y / 4) as u8]))
        .save(&back)?;

    // One app per walk (normal, 长辈版): each with its own in-memory server and device store.
    let mut walks = Vec::new();
    for (i, elder) in [false, true].into_iter().enumerate() {
        let drafts = Arc::new(DraftStore::open(
            &tmp.join(format!("drafts-{i}")),
            &StaticKey([1; 32]),
        )?);
        let server = tests::blocking::Server::shared();
        let district = server.district();
        let person = server.veteran_in(&district, shared::category::Category::SelfEmployedOfficer);
        let reviewer = server.account(
            shared::api::accounts::Role::Reviewer,
            "黄审核",
            &[&district],
        );
        let mut world = shots::World::new(person.phone());
        world.reviewer = Some(reviewer.phone);
        let walk = shots::new_walk(world, Some(drafts), elder)?;
        walk.0
            .window
            .window()
            .set_size(slint::LogicalSize::new(480., 1100.));
        walks.push(walk);
    }

    let (f, b) = (
        front.to_string_lossy().into_owned(),
        back.to_string_lossy().into_owned(),
    );
    // (name, what to do before the shot)
    let mut steps: Vec<(&str, Step)> = Vec::new();
    steps.push(("login", Box::new(|_, _| {})));
    steps.push((
        "register",
        Box::new(|ui, _| ui.window.global::<Nav>().set_screen("register".into())),
    ));
    steps.push((
        "home",
        Box::new(|ui, world| {
            ui.window.global::<Nav>().set_screen("login".into());
            shots::log_in(ui, world);
        }),
    ));
    steps.push((
        "wizard-1-basic",
        Box::new(move |ui, _| {
            ui.window.global::<HomePage>().invoke_start_review();
            let page = ui.window.global::<WizardPage>();
            page.invoke_photo_file("basic.id_front_photo".into(), f.as_str().into());
            page.invoke_photo_file("basic.id_back_photo".into(), b.as_str().into());
        }),
    ));
    // The whole first step in one tall picture (the region pickers are below the fold).
    steps.push((
        "wizard-1-basic-full",
        Box::new(|ui, _| {
            ui.window
                .window()
                .set_size(slint::LogicalSize::new(480., 2300.));
        }),
    ));
    for name in ["wizard-2-party", "wizard-3-rewards", "wizard-4-confirm"] {
        steps.push((
            name,
            Box::new(|ui, _| {
                ui.window
                    .window()
                    .set_size(slint::LogicalSize::new(480., 1100.));
                ui.window.global::<WizardPage>().invoke_next();
            }),
        ));
    }
    steps.push((
        "wizard-5-verify",
        Box::new(|ui, _| ui.window.global::<WizardPage>().invoke_next()),
    ));
    // The 身份核验 screens in between. The running view and the failure screens are staged with
    // the texts the controller produces (`live_view`'s format, `outcome_of`), with a plain
    // stand-in for the camera picture: the face test clips may not be redistributed.
    steps.push((
        "wizard-5-flash-preparing",
        Box::new(|ui, _| stage_flash(ui, app::liveness::FlashState::Preparing)),
    ));
    steps.push((
        "wizard-5-flash",
        Box::new(|ui, _| {
            stage_flash(
                ui,
                app::liveness::FlashState::Showing(shared::liveness::FlashColour::Cyan),
            )
        }),
    ));
    steps.push(("wizard-5-running", Box::new(|ui, _| stage_running(ui))));
    steps.push((
        "wizard-5-failed-picture",
        Box::new(|ui, _| stage_failure(ui, "presentation_attack", 1, "self_employed_officer")),
    ));
    steps.push((
        "wizard-5-failed-flash",
        Box::new(|ui, _| stage_failure(ui, "flash_not_detected", 1, "self_employed_officer")),
    ));
    steps.push((
        "wizard-5-failed-action",
        Box::new(|ui, _| stage_failure(ui, "action_timeout", 0, "self_employed_officer")),
    ));
    steps.push((
        "wizard-5-failed-mismatch",
        Box::new(|ui, _| stage_failure(ui, "face_mismatch", 1, "self_employed_officer")),
    ));
    steps.push((
        "wizard-5-no-reference",
        Box::new(|ui, _| stage_failure(ui, "no_reference_photo", 0, "self_employed_officer")),
    ));
    steps.push((
        "wizard-5-special-offered",
        Box::new(|ui, _| stage_failure(ui, "face_mismatch", 4, "military_retiree")),
    ));
    steps.push((
        "wizard-5-special",
        Box::new(|ui, _| {
            ui.window
                .global::<LivenessPage>()
                .set_stage("special".into())
        }),
    ));
    steps.push((
        "wizard-5-camera-denied",
        Box::new(|ui, _| {
            // The real path: a refused camera, then 开始核验.
            ui.liveness().set_camera(CameraSource::Denied);
            ui.window.global::<LivenessPage>().set_stage("intro".into());
            ui.window.global::<LivenessPage>().invoke_start();
        }),
    ));
    steps.push((
        "wizard-5-verified",
        Box::new(|ui, world| {
            if let Some(s) = ui.session() {
                let id = world.server.passed_challenge(s.token.expose());
                ui.set_verified(Some(Verified::Challenge(id)));
            }
        }),
    ));
    steps.push((
        "wizard-queued",
        Box::new(|ui, world| {
            world.gate.set_online(false);
            ui.window.global::<WizardPage>().invoke_submit();
        }),
    ));
    steps.push((
        "result-submitted",
        Box::new(|ui, world| {
            world.gate.set_online(true);
            ui.retry_queue();
        }),
    ));
    steps.push((
        "result-rejected",
        Box::new(|ui, world| {
            world.decide(Some("现住地具体地址不完整,请填写到门牌号"));
            ui.window.global::<ResultPage>().invoke_back_home();
            ui.window.global::<HomePage>().invoke_view_result();
            ui.window.global::<ResultPage>().set_reason_open(true);
        }),
    ));
    steps.push((
        "home-rejected",
        Box::new(|ui, _| ui.window.global::<ResultPage>().invoke_back_home()),
    ));
    steps.push((
        "mine",
        Box::new(|ui, _| {
            ui.window.global::<HomePage>().invoke_open_mine();
            ui.window.global::<MinePage>().set_changing_phone(true);
        }),
    ));
    steps.push((
        "result-approved",
        Box::new(|ui, world| {
            // Resubmit the rejected form and approve it.
            ui.window.global::<MinePage>().set_changing_phone(false);
            ui.window.global::<HomePage>().invoke_view_result();
            ui.window.global::<ResultPage>().invoke_review_again();
            let page = ui.window.global::<WizardPage>();
            let dir = std::env::temp_dir().join(format!("zhanyou-shots-{}", std::process::id()));
            for (key, file) in [
                ("basic.id_front_photo", "front.png"),
                ("basic.id_back_photo", "back.png"),
            ] {
                page.invoke_photo_file(
                    key.into(),
                    dir.join(file).to_string_lossy().as_ref().into(),
                );
            }
            for _ in 0..4 {
                page.invoke_next();
            }
            if let Some(s) = ui.session() {
                let id = world.server.passed_challenge(s.token.expose());
                ui.set_verified(Some(Verified::Challenge(id)));
            }
            page.invoke_submit();
            world.decide(None);
            ui.window.global::<ResultPage>().invoke_back_home();
            ui.window.global::<HomePage>().invoke_view_result();
        }),
    ));

    // Every screen twice: normal, then 长辈版.
    shots::run(walks, steps, out, Duration::from_millis(400))?;
    let _ = std::fs::remove_dir_all(&tmp);
    Ok(())
}

/// The colour flash as `liveness_ui` shows it (`controllers::liveness::flash_view`).
fn stage_flash(ui: &Ui, state: app::liveness::FlashState) {
    stage_running(ui);
    let page = ui.window.global::<LivenessPage>();
    let Some(view) = ctl::flash_view(state) else {
        return;
    };
    page.set_prompt(view.prompt.into());
    page.set_step_text(view.step.into());
    page.set_hint("".into());
    match view.colour {
        Some([r, g, b]) => {
            page.set_flash_colour(slint::Color::from_rgb_u8(r, g, b));
            page.set_flashing(true);
        }
        None => page.set_flashing(false),
    }
}

/// The running view of an attempt: the second of two actions, with a guidance line.
fn stage_running(ui: &Ui) {
    let page = ui.window.global::<LivenessPage>();
    let mut buf = slint::SharedPixelBuffer::<slint::Rgb8Pixel>::new(320, 240);
    for (i, px) in buf.make_mut_slice().iter_mut().enumerate() {
        let (x, y) = ((i % 320) as u32, (i / 320) as u32);
        let dx = x as f32 - 160.0;
        let dy = y as f32 - 120.0;
        // A grey oval where the face goes, on a darker background.
        let inside = (dx / 70.0).powi(2) + (dy / 95.0).powi(2) <= 1.0;
        let v = if inside { 170 } else { 90 + (y / 8) as u8 };
        *px = slint::Rgb8Pixel { r: v, g: v, b: v };
    }
    page.set_preview(slint::Image::from_rgb8(buf));
    page.set_has_preview(true);
    page.set_step_text("第2/2个动作".into());
    page.set_countdown("剩余96秒".into());
    page.set_prompt("请点头".into());
    page.set_hint("离摄像头过远".into());
    page.set_flashing(false);
    page.set_stage("running".into());
}

/// A failure screen exactly as `liveness_ui` shows the server's verdict `code`.
fn stage_failure(ui: &Ui, code: &str, failed_comparisons: u32, category: &str) {
    let result = EvidenceResult {
        passed: false,
        reason: Some(code.to_owned()),
        message: None,
        face_match: FaceMatch {
            score: None,
            same_person: false,
        },
        failed_comparisons,
    };
    let Outcome::Failed {
        failure,
        message,
        special_check,
        ..
    } = ctl::outcome_of(&result, "0123456789abcdef0123456789abcdef", category)
    else {
        return;
    };
    let (kind, help) = match failure {
        Failure::Retry => ("retry", ""),
        Failure::Mismatch => ("mismatch", ctl::MISMATCH_HELP),
        Failure::NoReference => ("no_reference", ctl::NO_REFERENCE_HELP),
        Failure::CameraDenied => ("camera_denied", ""),
    };
    let page = ui.window.global::<LivenessPage>();
    page.set_has_photo(false);
    page.set_failure(kind.into());
    page.set_message(message.as_str().into());
    page.set_help(if special_check {
        ctl::SPECIAL_CHECK_HELP.into()
    } else {
        help.into()
    });
    page.set_special_available(special_check);
    page.set_flashing(false);
    page.set_stage("failed".into());
}

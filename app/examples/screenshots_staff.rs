//! Screenshots of the staff (工作人员) tablet screens, normal and 长辈版, into
//! `docs/screenshots/staff-*.png` (or the directory given as the first argument). Needs a
//! display: `scripts/screenshots` runs it under Xvfb with fontconfig limited to DejaVu.
//!
//! The app runs with the in-memory `FakeAccounts` (the demo staff member 13700000001) and walks
//! the staff screens through the same callbacks the buttons raise: the list, one person, the
//! 现场确认/远程确认 form with a field error, the 死亡核减 form and its confirmation step, the
//! 采集基准照片 form, 待同步 work, a conflict in the banner after 同步, and 代为年审 (the wizard
//! in assisted mode, on its first step and on 身份核验). Each screen is rendered by the window's
//! own renderer (`Window::take_snapshot`) once the event loop has drawn it.

use std::cell::RefCell;
use std::path::PathBuf;
use std::rc::Rc;
use std::sync::Arc;
use std::time::Duration;

use app::api::fake::FakeAccounts;
use app::drafts::{DraftStore, StaticKey};
use app::platform::capture::{CaptureProtection, LINUX_NOTICE};
use app::ui::{local_today, Deps, Runner, Ui};
use app::{LoginPage, StaffPage, Theme, WizardPage};
use slint::{ComponentHandle, Model};

type Step = Box<dyn Fn(&Ui, &FakeAccounts)>;

/// The n-th person of the list as shown.
fn nth(ui: &Ui, n: usize) -> String {
    ui.window
        .global::<StaffPage>()
        .get_people()
        .row_data(n)
        .map(|r| r.person_id.to_string())
        .unwrap_or_default()
}

/// The first person in the list without a reference photo (else the first).
fn no_reference(ui: &Ui) -> String {
    let people = ui.window.global::<StaffPage>().get_people();
    people
        .iter()
        .find(|r| r.no_reference)
        .map(|r| r.person_id.to_string())
        .unwrap_or_else(|| nth(ui, 0))
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let out = std::env::args()
        .nth(1)
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("docs/screenshots"));
    std::fs::create_dir_all(&out)?;
    let tmp = std::env::temp_dir().join(format!("zhanyou-staff-shots-{}", std::process::id()));
    std::fs::create_dir_all(&tmp)?;
    let photo = tmp.join("photo.png");
    image::RgbImage::from_fn(320, 200, |x, _| image::Rgb([200, 220 - (x / 4) as u8, 240]))
        .save(&photo)?;
    let photo = photo.to_string_lossy().into_owned();

    let mut walks = Vec::new();
    for (i, elder) in [false, true].into_iter().enumerate() {
        let api = Arc::new(FakeAccounts::default());
        let drafts = Arc::new(DraftStore::open(
            &tmp.join(format!("drafts-{i}")),
            &StaticKey([2; 32]),
        )?);
        let deps = Deps {
            api: api.clone(),
            drafts: Some(drafts),
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

    let mut steps: Vec<(&str, Step)> = Vec::new();
    steps.push((
        "staff-list",
        Box::new(|ui, api| {
            let page = ui.window.global::<LoginPage>();
            page.set_login("13700000001".into());
            page.set_password("abc12345".into());
            let id = ui.current_captcha_id().unwrap_or_default();
            page.set_slider_offset(api.captcha_answer(&id).unwrap_or(0) as f32);
            page.invoke_submit();
        }),
    ));
    steps.push((
        "staff-person",
        Box::new(|ui, _| {
            let id = no_reference(ui);
            ui.window.global::<StaffPage>().invoke_select(id.into());
        }),
    ));
    steps.push((
        "staff-confirm-error",
        Box::new(|ui, api| {
            // Offline from here on: the work waits as 待同步.
            api.set_staff_offline(true);
            let page = ui.window.global::<StaffPage>();
            page.invoke_select(nth(ui, 0).into());
            page.invoke_open_panel("confirm".into());
            page.invoke_confirm_kind("远程确认".into());
            page.set_c_delegate("王小明(儿子)".into());
            page.set_c_notes("本人居住外地,亲属携带材料到服务中心,微信视频核实".into());
            // A time in the future, and no photo: both errors at once.
            let later = chrono::Local::now() + chrono::Duration::days(1);
            page.set_c_at(later.format("%Y-%m-%d %H:%M").to_string().into());
            page.invoke_confirm_submit();
        }),
    ));
    steps.push((
        "staff-death",
        Box::new({
            let photo = photo.clone();
            move |ui, _| {
                let page = ui.window.global::<StaffPage>();
                page.invoke_select(nth(ui, 1).into());
                page.invoke_open_panel("death".into());
                let day = (chrono::Local::now().date_naive() - chrono::Duration::days(5))
                    .format("%Y-%m-%d")
                    .to_string();
                page.set_d_date(day.into());
                page.set_d_notes("家属提供死亡医学证明".into());
                page.set_d_photo_path(photo.as_str().into());
                page.invoke_photo_file("death".into(), photo.as_str().into());
            }
        }),
    ));
    steps.push((
        "staff-death-confirm",
        Box::new(|ui, _| ui.window.global::<StaffPage>().invoke_death_submit()),
    ));
    steps.push((
        "staff-reference",
        Box::new({
            let photo = photo.clone();
            move |ui, _| {
                let page = ui.window.global::<StaffPage>();
                page.invoke_death_confirm();
                page.invoke_select(no_reference(ui).into());
                page.invoke_open_panel("reference".into());
                page.set_r_photo_path(photo.as_str().into());
                page.invoke_photo_file("reference".into(), photo.as_str().into());
                // Not ticked yet: 保存 shows why.
                page.invoke_reference_submit();
            }
        }),
    ));
    steps.push((
        "staff-pending",
        Box::new(|ui, _| {
            let page = ui.window.global::<StaffPage>();
            page.set_r_consent(true);
            page.invoke_reference_submit();
        }),
    ));
    steps.push((
        "staff-conflict",
        Box::new(|ui, api| {
            // A 现场确认 queued for someone who then submitted on their own phone: 同步 meets a
            // conflict, shown in the banner.
            let page = ui.window.global::<StaffPage>();
            let id = page
                .get_people()
                .iter()
                .find(|r| r.pending.is_empty())
                .map(|r| r.person_id.to_string())
                .unwrap_or_default();
            page.invoke_select(id.clone().into());
            page.invoke_open_panel("confirm".into());
            page.invoke_confirm_submit();
            api.staff_mark_self_submitted(&id);
            api.set_staff_offline(false);
            page.invoke_sync();
            page.invoke_select(nth(ui, 0).into());
        }),
    ));
    steps.push((
        "staff-assisted-basic",
        Box::new({
            let photo = photo.clone();
            move |ui, _| {
                let page = ui.window.global::<StaffPage>();
                let people = page.get_people();
                let id = people
                    .iter()
                    .find(|r| r.pending.is_empty())
                    .map(|r| r.person_id.to_string())
                    .unwrap_or_default();
                page.invoke_select(id.into());
                page.invoke_start_assisted();
                let w = ui.window.global::<WizardPage>();
                w.invoke_photo_file("basic.id_front_photo".into(), photo.as_str().into());
                w.invoke_photo_file("basic.id_back_photo".into(), photo.as_str().into());
            }
        }),
    ));
    steps.push((
        "staff-assisted-verify",
        Box::new(|ui, _| {
            let w = ui.window.global::<WizardPage>();
            for _ in 0..4 {
                w.invoke_next();
            }
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
            Duration::from_millis(500),
            move || {
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
    let _ = std::fs::remove_dir_all(&tmp);
    Ok(())
}

//! Screenshots of the staff (工作人员) tablet screens, normal and 长辈版, into
//! `docs/screenshots/staff-*.png` (or the directory given as the first argument). Needs a
//! display: `scripts/screenshots` runs it under Xvfb with fontconfig limited to DejaVu.
//!
//! The app runs against the real server (started in-process; per walk a staff member 林小红 of a
//! district of their own with six elderly people) and walks the staff screens through the same
//! callbacks the buttons raise: the list, one person, the 现场确认/远程确认 form with a field
//! error, the 死亡核减 form and its confirmation step, a conflict in the banner after 同步 (a
//! colleague confirmed the person meanwhile), the 采集基准照片 form, 待同步 work, and 代为年审
//! (the wizard in assisted mode, on its first step and on 身份核验). Each screen is rendered by the window's
//! own renderer (`Window::take_snapshot`) once the event loop has drawn it.

use std::sync::Arc;
use std::time::Duration;

use app::drafts::{DraftStore, StaticKey};
use app::ui::Ui;
use app::{StaffPage, WizardPage};
use slint::{ComponentHandle, Model};

#[path = "shots/mod.rs"]
mod shots;
use shots::Step;

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

/// A colleague (the world's second staff account) confirms `person_id` on their own tablet.
fn confirmed_by_colleague(world: &shots::World, person_id: &str) {
    if let Some(phone) = &world.reviewer {
        world.server.confirm(phone, person_id, "colleague-1");
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let out = shots::out_dir()?;
    let tmp = std::env::temp_dir().join(format!("zhanyou-staff-shots-{}", std::process::id()));
    std::fs::create_dir_all(&tmp)?;
    let photo = tmp.join("photo.png");
    image::RgbImage::from_fn(320, 200, |x, _| image::Rgb([200, 220 - (x / 4) as u8, 240]))
        .save(&photo)?;
    let photo = photo.to_string_lossy().into_owned();

    let mut walks = Vec::new();
    for (i, elder) in [false, true].into_iter().enumerate() {
        let drafts = Arc::new(DraftStore::open(
            &tmp.join(format!("drafts-{i}")),
            &StaticKey([2; 32]),
        )?);
        let server = tests::blocking::Server::shared();
        let district = server.district();
        server.people_in(&district, 6);
        let staff = server.account(shared::api::accounts::Role::Staff, "林小红", &[&district]);
        let mut world = shots::World::new(&staff.phone);
        // The colleague who confirms someone meanwhile (the conflict).
        world.reviewer = Some(
            server
                .account(shared::api::accounts::Role::Staff, "郑上门", &[&district])
                .phone,
        );
        walks.push(shots::new_walk(world, Some(drafts), elder)?);
    }

    let mut steps: Vec<(&str, Step)> = Vec::new();
    steps.push((
        "staff-list",
        Box::new(|ui, world| {
            shots::log_in(ui, world);
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
        Box::new(|ui, world| {
            // Offline from here on: the work waits as 待同步.
            world.gate.set_online(false);
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
        "staff-conflict",
        Box::new(|ui, world| {
            // A 现场确认 queued for someone a colleague then confirmed on their own tablet: 同步
            // meets a conflict, shown in the banner (the death queued before goes through).
            let page = ui.window.global::<StaffPage>();
            page.invoke_death_confirm();
            let id = page
                .get_people()
                .iter()
                .find(|r| r.pending.is_empty())
                .map(|r| r.person_id.to_string())
                .unwrap_or_default();
            page.invoke_select(id.clone().into());
            page.invoke_open_panel("confirm".into());
            page.invoke_confirm_submit();
            confirmed_by_colleague(world, &id);
            world.gate.set_online(true);
            page.invoke_sync();
            page.invoke_select(nth(ui, 0).into());
        }),
    ));
    steps.push((
        "staff-reference",
        Box::new({
            let photo = photo.clone();
            move |ui, world| {
                let page = ui.window.global::<StaffPage>();
                // Offline again: the reference photo waits as 待同步.
                world.gate.set_online(false);
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

    shots::run(walks, steps, out, Duration::from_millis(500))?;
    let _ = std::fs::remove_dir_all(&tmp);
    Ok(())
}

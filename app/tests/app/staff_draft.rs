//! A 代为年审 in progress survives the tablet app closing (against the real server). A field
//! changed and the ID-card photos taken in the assisted wizard are saved (sealed, in the
//! tablet's store under the staff member, the person and the year — not as the staff member's
//! own draft); a new `Ui` on the same data directory, after logging in again, reopens 代为年审
//! for the same person on them. Queuing the assisted review (提交) deletes the saved draft and
//! photos, and so does 放弃本次代办; another person's 代为年审 never sees it.

use std::path::Path;
use std::sync::Arc;

use app::api::staff::StaffPersonItem;
use app::drafts::DraftStore;
use app::liveness_ui::OfflineCapture;
use app::staff_queue::StaffStore;
use app::ui::Ui;
use app::{StaffPage, WizardPage};
use shared::api::accounts::Role;
use slint::{ComponentHandle, Model};
use tests::blocking::Account;

use crate::common::*;

const ADDRESS: &str = "和平街道幸福里小区7号楼3单元502室";
const PHOTOS: [&str; 2] = ["basic.id_front_photo", "basic.id_back_photo"];
const RESTORED: &str = "已恢复上次未完成的代为年审,请与本人核对";
const PREFILLED: &str = "已带入上一年填报的信息,请与本人核对";

fn open_drafts(dir: &Path) -> Arc<DraftStore> {
    drafts(&dir.join("d"), 5)
}

fn start(drafts: Arc<DraftStore>) -> Ui {
    start_ui(client(), Some(drafts))
}

/// A staff member of a fresh district with `n` people (last year's form, no accounts).
fn staff_with_people(n: usize) -> Account {
    let s = server();
    let district = s.district();
    s.people_in(&district, n);
    s.account(Role::Staff, "林小红", &[&district])
}

fn log_in_staff(ui: &Ui, staff: &Account) {
    log_in_as(ui, &staff.phone, "staff");
    tall_tablet(ui);
}

/// People who still owe, are alive and have last year's form (the wizard opens prefilled).
fn prefilled_people(store: &StaffStore) -> Vec<StaffPersonItem> {
    store
        .people()
        .into_iter()
        .filter(|p| {
            p.owing
                && store
                    .person(&p.person_id)
                    .is_some_and(|d| d.prefill.is_some() && d.died_on.is_none())
        })
        .collect()
}

/// Selects `person_id` and opens 代为年审 on it.
fn open_assisted(ui: &Ui, person_id: &str) {
    let page = ui.window.global::<StaffPage>();
    page.invoke_select(person_id.into());
    assert!(page.get_p_can_review());
    click(ui, "代为年审");
    assert_eq!(screen(ui), "wizard");
    assert!(ui.is_assisted());
}

/// The value of a row of the wizard's current step.
fn row_value(ui: &Ui, key: &str) -> Option<String> {
    ui.window
        .global::<WizardPage>()
        .get_rows()
        .iter()
        .find(|r| r.key == key)
        .map(|r| r.value.to_string())
}

#[test]
fn assisted_review_is_restored_after_the_app_closes_and_deleted_once_queued() {
    let staff = staff_with_people(1);
    let dir = tempfile::tempdir().unwrap();
    let (person_id, year, staff_user) = {
        let ui = start(open_drafts(dir.path()));
        log_in_staff(&ui, &staff);
        let store = ui.staff_store().unwrap();
        let person = prefilled_people(&store)
            .into_iter()
            .next()
            .expect("a person with last year's form");
        let year = store.person(&person.person_id).unwrap().year;
        open_assisted(&ui, &person.person_id);
        let w = ui.window.global::<WizardPage>();
        assert_eq!(w.get_saved_note(), PREFILLED);
        assert_ne!(row_value(&ui, "basic.residence_address").unwrap(), ADDRESS);
        // As typing does (the text field shows what was typed; the row model is not rebuilt).
        w.invoke_edited("basic.residence_address".into(), ADDRESS.into());
        let photo = photo_file(dir.path(), "id.png");
        for key in PHOTOS {
            w.invoke_photo_file(key.into(), photo.clone().into());
        }
        assert_eq!(w.get_saved_note(), "草稿已自动保存");
        let staff_user = ui.session().unwrap().user_id;
        // The app closes mid-way: no 返回名单, no 提交.
        (person.person_id, year, staff_user)
    };

    // A new app on the same data directory.
    let drafts = open_drafts(dir.path());
    let ui = start(drafts.clone());
    log_in_staff(&ui, &staff);
    let store = ui.staff_store().unwrap();
    open_assisted(&ui, &person_id);
    let w = ui.window.global::<WizardPage>();
    assert_eq!(w.get_saved_note(), RESTORED);
    assert_eq!(
        row_value(&ui, "basic.residence_address").as_deref(),
        Some(ADDRESS)
    );
    for key in PHOTOS {
        let shown = row_value(&ui, key).unwrap_or_default();
        assert!(shown.starts_with("已选择"), "{key}: {shown:?}");
        assert!(store.assisted_photo(&person_id, year, key).is_some());
    }
    // Kept apart from the staff member's own drafts.
    assert!(drafts
        .load::<serde_json::Value>(&staff_user, year)
        .unwrap()
        .is_none());

    // 提交 (the person's face check stands in): queued, and the saved draft is gone.
    let challenge = store
        .offline_challenge(&person_id)
        .expect("a cached offline challenge");
    ui.liveness().set_offline_capture_for_test(OfflineCapture {
        challenge_id: challenge.challenge_id,
        frames: vec![(vec![0xFF, 0xD8, 0xFF, 0xD9], 0)],
        claimed: vec![(challenge.actions[0], 500).into()],
        flash_started_ms: Some(0),
    });
    w.invoke_submit();
    assert_eq!(screen(&ui), "staff", "{}", w.get_message());
    assert_eq!(store.pending_for(&person_id).len(), 1);
    assert!(store
        .assisted_draft::<serde_json::Value>(&person_id, year)
        .is_none());
    for key in PHOTOS {
        assert!(
            store.assisted_photo(&person_id, year, key).is_none(),
            "{key}"
        );
    }
}

#[test]
fn discarded_assisted_review_is_gone_and_never_seen_by_another_person() {
    let staff = staff_with_people(2);
    let dir = tempfile::tempdir().unwrap();
    let ui = start(open_drafts(dir.path()));
    log_in_staff(&ui, &staff);
    let store = ui.staff_store().unwrap();
    let people = prefilled_people(&store);
    assert!(people.len() >= 2, "two people with last year's form");
    let (first, second) = (&people[0].person_id, &people[1].person_id);
    let w = ui.window.global::<WizardPage>();

    open_assisted(&ui, first);
    w.invoke_edited("basic.residence_address".into(), ADDRESS.into());
    click(&ui, "返回名单");
    assert_eq!(screen(&ui), "staff");

    // Another person: their own form, not the first person's draft.
    open_assisted(&ui, second);
    assert_eq!(w.get_saved_note(), PREFILLED);
    assert_ne!(
        row_value(&ui, "basic.residence_address").as_deref(),
        Some(ADDRESS)
    );
    click(&ui, "返回名单");

    // The first person's draft is still there; 放弃本次代办 deletes it.
    open_assisted(&ui, first);
    assert_eq!(w.get_saved_note(), RESTORED);
    click(&ui, "放弃本次代办");
    assert_eq!(screen(&ui), "staff");
    assert!(!ui.is_assisted());
    assert!(ui
        .window
        .global::<StaffPage>()
        .get_message()
        .contains("已放弃"));
    open_assisted(&ui, first);
    assert_eq!(w.get_saved_note(), PREFILLED);
    assert_ne!(
        row_value(&ui, "basic.residence_address").as_deref(),
        Some(ADDRESS)
    );
}

//! Headless UI test of the staff screens on a tablet, against the in-memory `FakeAccounts`:
//! log in as the demo staff member, the list of people (search, sort), then with the server
//! unreachable record a 现场确认 and a 死亡核减 (with a photo from a file) — both wait as
//! 待同步 2 项 — and with it reachable again 同步 sends them (nothing left); a person who
//! submitted on their own phone meanwhile makes the next queued work a conflict, shown in the
//! banner until 知道了. Also: the forms' field errors, the death confirmation step, the reference
//! photo's consent, and 代为年审 opening the wizard prefilled and going back to the list.

use std::sync::Arc;

use app::api::fake::FakeAccounts;
use app::api::staff::StaffPersonItem;
use app::drafts::{DraftStore, StaticKey};
use app::staff_queue::StaffStore;
use app::ui::{local_today, Ui};
use app::{StaffPage, WizardPage};
use slint::{ComponentHandle, Model};

mod common;
use common::{click, find, log_in_as, one, screen, start_ui};

fn start(api: Arc<FakeAccounts>, drafts: Arc<DraftStore>) -> Ui {
    start_ui(api, Some(drafts), local_today)
}

fn log_in_staff(ui: &Ui, api: &FakeAccounts) {
    log_in_as(ui, api, "13700000001", "staff");
    // The test backend finds only what lies inside the window: a tall tablet.
    let width = ui.window.window().size().width as f32 / ui.window.window().scale_factor();
    ui.window
        .window()
        .set_size(slint::LogicalSize::new(width, 3000.));
}

/// The ids of the list as shown.
fn shown_ids(ui: &Ui) -> Vec<String> {
    ui.window
        .global::<StaffPage>()
        .get_people()
        .iter()
        .map(|r| r.person_id.to_string())
        .collect()
}

/// Someone cached on the tablet who is alive and has last year's form (and, when
/// `with_reference_photo`, a reference photo).
fn prefilled_person(store: &StaffStore, with_reference_photo: bool) -> StaffPersonItem {
    store
        .people()
        .into_iter()
        .find(|p| {
            store
                .person(&p.person_id)
                .is_some_and(|d| d.prefill.is_some() && d.died_on.is_none())
                && (p.has_reference_photo || !with_reference_photo)
        })
        .expect("a person with last year's form (and a reference photo if asked)")
}

fn photo_file(dir: &std::path::Path, name: &str) -> String {
    let path = dir.join(name);
    image::RgbImage::from_fn(64, 40, |x, y| image::Rgb([x as u8 * 3, y as u8 * 5, 120]))
        .save(&path)
        .unwrap();
    path.to_string_lossy().into_owned()
}

#[test]
fn list_offline_work_sync_and_conflicts() {
    i_slint_backend_testing::init_no_event_loop();
    let dir = tempfile::tempdir().unwrap();
    let drafts = Arc::new(DraftStore::open(&dir.path().join("d"), &StaticKey([9; 32])).unwrap());
    let api = Arc::new(FakeAccounts::default());
    let ui = start(api.clone(), drafts);
    log_in_staff(&ui, &api);
    // A tablet-wide window.
    let size = ui.window.window().size();
    let scale = ui.window.window().scale_factor();
    assert_eq!((size.width as f32 / scale).round(), 1280.);
    let page = ui.window.global::<StaffPage>();
    let store = ui.staff_store().expect("the tablet's store is open");

    // The list: everyone the store cached, earliest deadline first.
    let all = shown_ids(&ui);
    assert!(all.len() >= 2, "{all:?}");
    assert_eq!(all.len(), store.people().len());
    let people = store.people();
    let deadline = |id: &str| {
        people
            .iter()
            .find(|p| p.person_id == id)
            .unwrap()
            .deadline
            .clone()
    };
    let deadlines: Vec<String> = all.iter().map(|id| deadline(id)).collect();
    let mut sorted = deadlines.clone();
    sorted.sort();
    assert_eq!(deadlines, sorted);
    assert!(find(&ui, "同步状态:已全部同步").is_some());

    // Sort by address: the known addresses in order, unknown ones last.
    click(&ui, "排序 按地址");
    assert_eq!(page.get_sort(), "address");
    let by_addr = shown_ids(&ui);
    assert_eq!(by_addr.len(), all.len());
    let addr = |id: &str| {
        people
            .iter()
            .find(|p| p.person_id == id)
            .unwrap()
            .address
            .clone()
    };
    let addrs: Vec<Option<String>> = by_addr.iter().map(|id| addr(id)).collect();
    let known: Vec<&String> = addrs.iter().flatten().collect();
    let mut known_sorted = known.clone();
    known_sorted.sort();
    assert_eq!(known, known_sorted);
    click(&ui, "排序 按截止日期");
    assert_eq!(shown_ids(&ui), all);

    // Search by part of the masked ID number, then by the full name the tablet holds.
    let target = people[0].clone();
    let tail: String = target
        .masked_id_number
        .chars()
        .rev()
        .take(4)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    one(&ui, "搜索姓名或身份证号").set_accessible_value(&tail);
    let found = shown_ids(&ui);
    assert!(found.contains(&target.person_id));
    assert!(found.len() < all.len() || all.len() == 1);
    let full = store.person(&target.person_id).unwrap().name;
    one(&ui, "搜索姓名或身份证号").set_accessible_value(&full);
    assert_eq!(shown_ids(&ui), vec![target.person_id.clone()]);
    one(&ui, "搜索姓名或身份证号").set_accessible_value("不存在的人");
    assert!(shown_ids(&ui).is_empty());
    one(&ui, "搜索姓名或身份证号").set_accessible_value("");
    assert_eq!(shown_ids(&ui).len(), all.len());

    // The server becomes unreachable; the tablet keeps working from its cache.
    api.set_offline(true);
    let (first, second) = (all[0].clone(), all[1].clone());
    let title_of = |id: &str| {
        page.get_people()
            .iter()
            .find(|r| r.person_id == id)
            .unwrap()
            .title
            .to_string()
    };

    // 现场确认 for the first person: an error first (a time in the future), then saved.
    click(&ui, &title_of(&first));
    assert_eq!(page.get_selected(), first.as_str());
    click(&ui, "现场确认 / 远程确认");
    assert_eq!(page.get_panel(), "confirm");
    // 远程确认 requires the photo holding the ID card and today's newspaper.
    click(&ui, "确认类型 远程确认");
    assert_eq!(page.get_c_method(), "视频通话");
    one(&ui, "确认时间").set_accessible_value("2099-01-01 09:00");
    click(&ui, "保存确认记录");
    assert_eq!(page.get_c_at_error(), "确认时间不能晚于当前时间");
    assert!(page.get_c_photo_error().contains("手持身份证及当日报刊"));
    assert!(find(
        &ui,
        &format!("手持身份证及当日报刊照片错误:{}", page.get_c_photo_error())
    )
    .is_some());
    assert_eq!(page.get_panel(), "confirm");
    // Back to 现场确认 (上门核验), now.
    click(&ui, "确认类型 现场确认");
    click(&ui, "确认方式 上门核验");
    let now = chrono::Local::now().format("%Y-%m-%d %H:%M").to_string();
    one(&ui, "确认时间").set_accessible_value(&now);
    one(&ui, "代办人或参与人").set_accessible_value("王小明");
    one(&ui, "备注").set_accessible_value("行动不便,上门核验本人");
    click(&ui, "保存确认记录");
    assert_eq!(page.get_panel(), "", "{}", page.get_message());
    assert!(page.get_message().contains("待同步"));
    assert!(find(&ui, "同步状态:待同步 1 项").is_some());

    // 死亡核减 for the second person, with the evidence photo from a file.
    click(&ui, &title_of(&second));
    click(&ui, "死亡核减");
    one(&ui, "死亡日期").set_accessible_value("2999-01-01");
    click(&ui, "提交核减");
    assert_eq!(page.get_d_date_error(), "死亡日期不能晚于今天");
    assert!(!page.get_d_photo_error().is_empty());
    assert_eq!(page.get_panel(), "death");
    // A file that is not an image is refused.
    let txt = dir.path().join("note.txt");
    std::fs::write(&txt, "not an image").unwrap();
    one(&ui, "死亡证明等证明材料图片文件").set_accessible_value(txt.to_string_lossy().as_ref());
    click(&ui, "死亡证明等证明材料 选择此文件");
    assert_eq!(page.get_d_photo_error(), "只能上传JPG或PNG格式的图片");
    let evidence = photo_file(dir.path(), "evidence.png");
    one(&ui, "死亡证明等证明材料图片文件").set_accessible_value(&evidence);
    click(&ui, "死亡证明等证明材料 选择此文件");
    assert!(page.get_d_photo_note().starts_with("已选择"));
    let died = (chrono::Local::now().date_naive() - chrono::Duration::days(3))
        .format("%Y-%m-%d")
        .to_string();
    one(&ui, "死亡日期").set_accessible_value(&died);
    click(&ui, "提交核减");
    // A confirmation step before anything is recorded: it stops payments.
    assert_eq!(page.get_panel(), "death-confirm");
    assert!(find(&ui, app::controllers::staff::DEATH_WARNING).is_some());
    assert_eq!(store.pending().len(), 1);
    click(&ui, "返回修改");
    assert_eq!(page.get_panel(), "death");
    assert_eq!(page.get_d_date(), died.as_str());
    click(&ui, "提交核减");
    click(&ui, "确认核减");
    assert_eq!(page.get_panel(), "");
    assert!(find(&ui, "同步状态:待同步 2 项").is_some());
    assert_eq!(store.pending().len(), 2);
    // Each person carries the 待同步 marker in the list.
    for id in [&first, &second] {
        let row = page
            .get_people()
            .iter()
            .find(|r| r.person_id == *id)
            .unwrap();
        assert_eq!(row.pending, "待同步 1 项");
    }
    // 同步 while offline: nothing lost, nothing sent.
    click(&ui, "同步");
    assert_eq!(store.pending().len(), 2);
    assert_eq!(api.staff_writes_created(), 0);

    // Back online: 同步 sends both, once.
    api.set_offline(false);
    click(&ui, "同步");
    assert_eq!(store.pending().len(), 0, "{}", page.get_message());
    assert!(find(&ui, "同步状态:已全部同步").is_some());
    assert_eq!(api.staff_writes_created(), 2);
    click(&ui, "同步");
    assert_eq!(api.staff_writes_created(), 2);

    // A reference photo for someone who has none: consent is required, then it is queued.
    api.set_offline(true);
    let bare = page
        .get_people()
        .iter()
        .find(|r| r.no_reference)
        .expect("someone without a reference photo");
    click(&ui, &bare.title);
    assert!(find(&ui, "无基准照片").is_some());
    click(&ui, "采集基准照片");
    let face = photo_file(dir.path(), "face.jpg");
    one(&ui, "本人正面免冠照片图片文件").set_accessible_value(&face);
    click(&ui, "本人正面免冠照片 选择此文件");
    click(&ui, "保存基准照片");
    assert!(page.get_r_consent_error().contains("勾选"));
    assert_eq!(store.pending().len(), 0);
    click(&ui, app::controllers::staff::REFERENCE_CONSENT);
    click(&ui, "保存基准照片");
    assert_eq!(store.pending().len(), 1);

    // A conflict: a 现场确认 queued offline for someone who then submitted on their own phone;
    // the server refuses it and the banner says so until 知道了. Nothing is applied over it.
    let third = shown_ids(&ui)
        .into_iter()
        .find(|id| id != &first && id != &second && id != bare.person_id.as_str())
        .expect("a third person");
    click(&ui, &title_of(&third));
    click(&ui, "现场确认 / 远程确认");
    click(&ui, "保存确认记录");
    assert_eq!(store.pending().len(), 2, "{}", page.get_message());
    assert!(api.staff_mark_self_submitted(&third));
    api.set_offline(false);
    let created = api.staff_writes_created();
    click(&ui, "同步");
    assert_eq!(store.pending().len(), 0);
    // The reference photo went through; the confirmation did not.
    assert_eq!(api.staff_writes_created(), created + 1);
    let conflicts = page.get_conflicts();
    assert_eq!(conflicts.row_count(), 1);
    let text = conflicts.row_data(0).unwrap().text.to_string();
    assert!(text.contains("已于"), "{text}");
    assert!(find(&ui, &format!("冲突:{text}")).is_some());
    assert!(page.get_sync_status().contains("冲突"));
    click(&ui, &format!("知道了:{text}"));
    assert_eq!(page.get_conflicts().row_count(), 0);
    assert!(find(&ui, "同步状态:已全部同步").is_some());

    // 长辈版 on the tablet: tap targets of at least 60 px.
    click(&ui, "长辈版");
    for label in [
        "同步",
        "更新名单",
        "退出登录",
        &title_of(&shown_ids(&ui)[0]),
    ] {
        let h = one(&ui, label).size().height;
        assert!(h >= 60.0, "{label}: {h}");
    }
    // 退出登录: back to the login screen, phone-sized.
    click(&ui, "退出登录");
    assert_eq!(screen(&ui), "login");
    assert!(ui.staff_store().is_none());
    let size = ui.window.window().size();
    assert_eq!(
        (size.width as f32 / ui.window.window().scale_factor()).round(),
        480.
    );
}

#[test]
fn assisted_review_opens_the_wizard_prefilled_and_returns_to_the_list() {
    i_slint_backend_testing::init_no_event_loop();
    let dir = tempfile::tempdir().unwrap();
    let drafts = Arc::new(DraftStore::open(&dir.path().join("d"), &StaticKey([8; 32])).unwrap());
    let api = Arc::new(FakeAccounts::default());
    let ui = start(api.clone(), drafts);
    log_in_staff(&ui, &api);
    let page = ui.window.global::<StaffPage>();
    let store = ui.staff_store().unwrap();
    // Someone whose review is still owed and who has last year's form.
    let person = prefilled_person(&store, false);
    let detail = store.person(&person.person_id).unwrap();
    api.set_offline(true);
    page.invoke_select(person.person_id.clone().into());
    assert!(page.get_p_can_review());
    click(&ui, "代为年审");
    assert_eq!(screen(&ui), "wizard");
    let w = ui.window.global::<WizardPage>();
    assert!(w.get_assisted_note().contains("代为年审"));
    assert_eq!(
        w.get_title(),
        format!("代为年审 · {}", detail.name).as_str()
    );
    assert_eq!(w.get_saved_note(), "已带入上一年填报的信息,请与本人核对");
    let name = w
        .get_rows()
        .iter()
        .find(|r| r.key == "basic.name")
        .unwrap()
        .value
        .to_string();
    assert_eq!(name, detail.name);
    // Photos stay in memory with the wizard: 下一步 without them asks for them.
    click(&ui, "下一步");
    assert_eq!(w.get_step(), 0);
    let photo = photo_file(dir.path(), "front.png");
    w.invoke_photo_file("basic.id_front_photo".into(), photo.clone().into());
    w.invoke_photo_file("basic.id_back_photo".into(), photo.into());
    let err = |key: &str| {
        w.get_rows()
            .iter()
            .find(|r| r.key == key)
            .map(|r| r.error.to_string())
            .unwrap_or_default()
    };
    assert_eq!(err("basic.id_front_photo"), "");
    // 返回名单 goes back to the staff screen.
    click(&ui, "返回名单");
    assert_eq!(screen(&ui), "staff");
    assert!(!ui.is_assisted());
}

/// 代为年审 at a home visit without a network: the person's own face does the liveness with the
/// challenge the tablet cached (p07's recorded frames stand in for the camera), 提交 queues the
/// assisted review, and 同步 sends it once when the server answers again.
#[test]
fn assisted_review_offline_with_the_persons_face_then_sync() {
    use app::liveness::testdata;
    use app::liveness_ui::CameraSource;
    use app::platform::camera::Pacing;
    use app::LivenessPage;
    use shared::liveness::Action;

    i_slint_backend_testing::init_no_event_loop();
    let dir = tempfile::tempdir().unwrap();
    let frames = dir.path().join("frames");
    std::fs::create_dir(&frames).unwrap();
    if testdata::p07_actions(&frames).is_err() {
        eprintln!("skipped: ../shared/testdata/faces not found");
        return;
    }
    let drafts = Arc::new(DraftStore::open(&dir.path().join("d"), &StaticKey([4; 32])).unwrap());
    let api = Arc::new(FakeAccounts::default());
    api.set_liveness_actions(vec![Action::ShakeHead, Action::Nod]);
    let ui = start(api.clone(), drafts);
    ui.liveness().set_camera(CameraSource::Frames {
        dir: frames,
        pacing: Pacing::AsFastAsRead,
    });
    log_in_staff(&ui, &api);
    let page = ui.window.global::<StaffPage>();
    let store = ui.staff_store().unwrap();
    let person = prefilled_person(&store, true);

    // No network from here.
    api.set_offline(true);
    page.invoke_select(person.person_id.clone().into());
    click(&ui, "代为年审");
    let w = ui.window.global::<WizardPage>();
    let photo = photo_file(dir.path(), "id.png");
    w.invoke_photo_file("basic.id_front_photo".into(), photo.clone().into());
    w.invoke_photo_file("basic.id_back_photo".into(), photo.into());
    for step in 1..=4 {
        click(&ui, "下一步");
        assert_eq!(w.get_step(), step, "{}", w.get_message());
    }
    click(&ui, "开始核验");
    let live = ui.window.global::<LivenessPage>();
    assert_eq!(
        live.get_stage(),
        "passed",
        "{} {}",
        live.get_message(),
        live.get_status()
    );
    click(&ui, "完成");
    assert!(w.get_can_submit());
    assert!(w.get_liveness_status().contains("本机核验已通过"));
    let capture = ui.liveness().offline_capture().unwrap();
    assert!(capture.frames.len() >= 10, "{}", capture.frames.len());
    assert_eq!(
        capture.claimed.iter().map(|c| c.action).collect::<Vec<_>>(),
        vec![Action::ShakeHead, Action::Nod]
    );
    click(&ui, "提交");
    assert_eq!(screen(&ui), "staff", "{}", w.get_message());
    assert!(page.get_message().contains("待同步"));
    assert_eq!(store.pending_for(&person.person_id).len(), 1);
    assert_eq!(api.staff_writes_created(), 0);

    api.set_offline(false);
    click(&ui, "同步");
    assert_eq!(store.pending().len(), 0, "{}", page.get_message());
    assert!(
        page.get_conflicts().row_count() == 0,
        "{}",
        page.get_message()
    );
    assert_eq!(api.staff_writes_created(), 1);
}

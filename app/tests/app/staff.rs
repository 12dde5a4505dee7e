//! The staff screens on a tablet against the real server: a staff member of a district of
//! their own logs in, the list of their people (search, sort), then with the network gone
//! records a 现场确认 and a 死亡核减 (with a photo from a file) — both wait as 待同步 2 项 — and
//! with it back 同步 sends them (nothing left, nothing sent twice); a person a colleague
//! confirmed meanwhile makes the next queued work a conflict, shown in the banner until 知道了.
//! Also: the forms' field errors, the death confirmation step, the reference photo's consent,
//! 代为年审 opening the wizard prefilled, and 代为年审 offline with the person's own face.

use app::api::staff::StaffPersonItem;
use app::api::{HttpClient, Token};
use app::staff_queue::StaffStore;
use app::ui::Ui;
use app::{StaffPage, WizardPage};
use shared::api::accounts::Role;
use slint::{ComponentHandle, Model};
use tests::blocking::Account;

use crate::common::*;

/// A staff member of a fresh district with `people` people of their own (last year's form,
/// no accounts).
struct Tablet {
    staff: Account,
    district: String,
    people: Vec<(tests::Person, String)>,
}

fn tablet(people: usize) -> Tablet {
    let s = server();
    let district = s.district();
    let people = s.people_in(&district, people);
    let staff = s.account(Role::Staff, "林小红", &[&district]);
    Tablet {
        staff,
        district,
        people,
    }
}

impl Tablet {
    /// The people's statuses as the server has them now.
    fn statuses(&self) -> std::collections::BTreeMap<String, String> {
        server().statuses(&self.staff.phone)
    }

    /// The district's records waiting for a reviewer, of `kind`.
    fn records(&self, kind: &str) -> usize {
        server().waiting(&self.district, kind)
    }
}

fn log_in_staff(ui: &Ui, staff: &Account) {
    log_in_as(ui, &staff.phone, "staff");
    tall_tablet(ui);
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

#[test]
fn list_offline_work_sync_and_conflicts() {
    let t = tablet(4);
    let dir = tempfile::tempdir().unwrap();
    let (gate, api) = gated();
    let ui = start_ui(api, Some(drafts(&dir.path().join("d"), 9)));
    log_in_staff(&ui, &t.staff);
    // A tablet-wide window.
    let size = ui.window.window().size();
    let scale = ui.window.window().scale_factor();
    assert_eq!((size.width as f32 / scale).round(), 1280.);
    let page = ui.window.global::<StaffPage>();
    let store = ui.staff_store().expect("the tablet's store is open");

    // The list: everyone of the district, earliest deadline first.
    let all = shown_ids(&ui);
    assert_eq!(all.len(), 4, "{all:?}");
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
    assert!(has(&ui, "同步状态:已全部同步"));

    // Sort by address: the addresses (each person's own) in order.
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
    assert!(addrs.iter().all(Option::is_some), "{addrs:?}");
    let mut addrs_sorted = addrs.clone();
    addrs_sorted.sort();
    assert_eq!(addrs, addrs_sorted);
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
    assert_eq!(shown_ids(&ui), vec![target.person_id.clone()]);
    let full = store.person(&target.person_id).unwrap().name;
    one(&ui, "搜索姓名或身份证号").set_accessible_value(&full);
    assert_eq!(shown_ids(&ui), vec![target.person_id.clone()]);
    one(&ui, "搜索姓名或身份证号").set_accessible_value("不存在的人");
    assert!(shown_ids(&ui).is_empty());
    one(&ui, "搜索姓名或身份证号").set_accessible_value("");
    assert_eq!(shown_ids(&ui).len(), all.len());

    // The network goes; the tablet keeps working from its cache.
    gate.set_online(false);
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
    assert!(has(
        &ui,
        &format!("手持身份证及当日报刊照片错误:{}", page.get_c_photo_error())
    ));
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
    assert!(has(&ui, "同步状态:待同步 1 项"));

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
    assert!(has(&ui, app::controllers::staff::DEATH_WARNING));
    assert_eq!(store.pending().len(), 1);
    click(&ui, "返回修改");
    assert_eq!(page.get_panel(), "death");
    assert_eq!(page.get_d_date(), died.as_str());
    click(&ui, "提交核减");
    click(&ui, "确认核减");
    assert_eq!(page.get_panel(), "");
    assert!(has(&ui, "同步状态:待同步 2 项"));
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
    // 同步 with no network: nothing lost, nothing arrived.
    click(&ui, "同步");
    assert_eq!(store.pending().len(), 2);
    let statuses = t.statuses();
    assert_eq!(statuses[&first], "not_started");
    assert_eq!(statuses[&second], "not_started");

    // Back online: 同步 sends both, once.
    gate.set_online(true);
    click(&ui, "同步");
    assert_eq!(store.pending().len(), 0, "{}", page.get_message());
    assert!(has(&ui, "同步状态:已全部同步"));
    let statuses = t.statuses();
    assert_eq!(statuses[&first], "submitted");
    assert_eq!(statuses[&second], "deceased");
    assert_eq!(t.records("confirmation"), 1);
    assert_eq!(t.records("death"), 1);
    click(&ui, "同步");
    assert_eq!(
        gate.requests_to("/confirmations") + gate.requests_to("/death"),
        2,
        "nothing sent twice"
    );

    // A reference photo for someone who has none: consent is required, then it is queued
    // (a real face: the server finds one clear face in it).
    gate.set_online(false);
    let faces = faces();
    let bare = page
        .get_people()
        .iter()
        .find(|r| r.no_reference && r.person_id != first.as_str())
        .expect("someone without a reference photo");
    if let Some(faces) = &faces {
        click(&ui, &bare.title);
        assert!(has(&ui, "无基准照片"));
        click(&ui, "采集基准照片");
        let face = faces.join("stills/p07/p07_enroll.jpg");
        one(&ui, "本人正面免冠照片图片文件").set_accessible_value(face.to_string_lossy().as_ref());
        click(&ui, "本人正面免冠照片 选择此文件");
        click(&ui, "保存基准照片");
        assert!(page.get_r_consent_error().contains("勾选"));
        assert_eq!(store.pending().len(), 0);
        click(&ui, app::controllers::staff::REFERENCE_CONSENT);
        click(&ui, "保存基准照片");
        assert_eq!(store.pending().len(), 1);
    }
    let photos_queued = store.pending().len();

    // A conflict: a 现场确认 queued offline for someone a colleague then confirmed on their own
    // tablet; the server refuses it and the banner says so until 知道了. Nothing is applied
    // over it.
    let third = shown_ids(&ui)
        .into_iter()
        .find(|id| id != &first && id != &second && id != bare.person_id.as_str())
        .expect("a third person");
    click(&ui, &title_of(&third));
    click(&ui, "现场确认 / 远程确认");
    click(&ui, "保存确认记录");
    assert_eq!(
        store.pending().len(),
        photos_queued + 1,
        "{}",
        page.get_message()
    );
    let s = server();
    let colleague = s.account(Role::Staff, "郑上门", &[&t.district]);
    s.confirm(&colleague.phone, &third, "colleague-visit-1");
    gate.set_online(true);
    click(&ui, "同步");
    assert_eq!(store.pending().len(), 0);
    if faces.is_some() {
        // The reference photo went through; the confirmation did not.
        let token = Token::new(s.login(&t.staff.phone));
        assert!(
            client()
                .staff_person(&token, &bare.person_id)
                .unwrap()
                .has_reference_photo
        );
    }
    assert_eq!(
        t.records("confirmation"),
        2,
        "the first and the colleague's"
    );
    let conflicts = page.get_conflicts();
    assert_eq!(conflicts.row_count(), 1);
    let text = conflicts.row_data(0).unwrap().text.to_string();
    assert!(text.contains("已于"), "{text}");
    assert!(has(&ui, &format!("冲突:{text}")));
    assert!(page.get_sync_status().contains("冲突"));
    click(&ui, &format!("知道了:{text}"));
    assert_eq!(page.get_conflicts().row_count(), 0);
    assert!(has(&ui, "同步状态:已全部同步"));

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
    let t = tablet(1);
    let dir = tempfile::tempdir().unwrap();
    let (gate, api) = gated();
    let ui = start_ui(api, Some(drafts(&dir.path().join("d"), 8)));
    log_in_staff(&ui, &t.staff);
    let page = ui.window.global::<StaffPage>();
    let store = ui.staff_store().unwrap();
    // Someone whose review is still owed and who has last year's form.
    let person = prefilled_person(&store, false);
    let detail = store.person(&person.person_id).unwrap();
    assert_eq!(
        detail.name, t.people[0].0.name,
        "the full name for the visit"
    );
    gate.set_online(false);
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
    assert_eq!(value_of(&ui, "basic.name"), detail.name);
    // Photos stay in memory with the wizard: 下一步 without them asks for them.
    click(&ui, "下一步");
    assert_eq!(w.get_step(), 0);
    let photo = photo_file(dir.path(), "front.png");
    w.invoke_photo_file("basic.id_front_photo".into(), photo.clone().into());
    w.invoke_photo_file("basic.id_back_photo".into(), photo.into());
    assert_eq!(error_of(&ui, "basic.id_front_photo"), "");
    // 返回名单 goes back to the staff screen.
    click(&ui, "返回名单");
    assert_eq!(screen(&ui), "staff");
    assert!(!ui.is_assisted());
}

/// 代为年审 at a home visit without a network: the person's own face does the liveness with the
/// challenge the tablet cached (p07's recorded frames stand in for the camera), 提交 queues the
/// assisted review, and 同步 sends it once when the server answers again — which re-checks the
/// frames against the person's reference photo.
#[test]
fn assisted_review_offline_with_the_persons_face_then_sync() {
    use app::liveness::testdata;
    use app::liveness_ui::CameraSource;
    use app::platform::camera::Pacing;
    use app::LivenessPage;

    let dir = tempfile::tempdir().unwrap();
    let frames = dir.path().join("frames");
    std::fs::create_dir(&frames).unwrap();
    if testdata::p07_actions(&frames).is_err() {
        eprintln!("skipped: ../shared/testdata/faces not found");
        return;
    }
    let faces = faces().unwrap();
    let t = tablet(1);
    server().set_reference_photo(&t.people[0].1, &p07_photo(&faces));
    let (gate, api) = gated();
    let ui = start_ui(api, Some(drafts(&dir.path().join("d"), 4)));
    ui.liveness().set_camera(CameraSource::Frames {
        dir: frames,
        pacing: Pacing::AsFastAsRead,
    });
    log_in_staff(&ui, &t.staff);
    let page = ui.window.global::<StaffPage>();
    let store = ui.staff_store().unwrap();
    let person = prefilled_person(&store, true);
    let challenge = store.offline_challenge(&person.person_id).unwrap();

    // No network from here.
    gate.set_online(false);
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
        challenge.actions
    );
    click(&ui, "提交");
    assert_eq!(screen(&ui), "staff", "{}", w.get_message());
    assert!(page.get_message().contains("待同步"));
    assert_eq!(store.pending_for(&person.person_id).len(), 1);
    assert_eq!(t.records("assisted_submission"), 0);

    gate.set_online(true);
    click(&ui, "同步");
    assert_eq!(store.pending().len(), 0, "{}", page.get_message());
    assert!(
        page.get_conflicts().row_count() == 0,
        "{}",
        page.get_message()
    );
    assert_eq!(t.records("assisted_submission"), 1);
    assert_eq!(t.statuses()[&person.person_id], "submitted");
}

/// The staff member's own client: a person of another district is not there for them.
#[test]
fn another_districts_person_is_not_found() {
    let t = tablet(1);
    let s = server();
    let elsewhere = s.people_in(&s.district(), 1);
    let api: HttpClient = client();
    let token = Token::new(s.login(&t.staff.phone));
    let err = api.staff_person(&token, &elsewhere[0].1).unwrap_err();
    assert_eq!(err.problem().map(|p| p.status), Some(404));
}

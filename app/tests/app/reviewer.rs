//! The reviewer screens (issue 8) against the real server: a reviewer of a district with one
//! item of every kind waiting (`tests::scenes::ReviewerQueue`: made through the people's and
//! the staff's own API calls) logs in and gets the queue; the submission with changes shows
//! them marked (已变更) beside last year's values, with its photos, key frames and face-match
//! score; 不通过 without a reason is refused on the screen and decides nothing; a common reason
//! rejects it and it leaves 待审核 for 未通过; another submission is approved; the
//! special-population check, the death record and the confirmation open with their own
//! details; 退出登录.

use app::ui::Ui;
use app::{ReviewQueueRow, ReviewerPage};
use shared::region::RegionCode;
use slint::{ComponentHandle, Model};
use tests::scenes::CHANGED_PHONE;

use crate::common::*;

fn queue(ui: &Ui) -> Vec<ReviewQueueRow> {
    ui.window
        .global::<ReviewerPage>()
        .get_queue()
        .iter()
        .collect()
}

fn row_of(ui: &Ui, kind: &str) -> ReviewQueueRow {
    queue(ui)
        .into_iter()
        .find(|r| r.kind == kind)
        .unwrap_or_else(|| panic!("no {kind} in the queue"))
}

/// Opens a queue row the way a click on it does (by its accessible label).
fn open(ui: &Ui, row: &ReviewQueueRow) {
    click(
        ui,
        &format!(
            "打开 {} {} {}",
            row.kind_label, row.masked_name, row.submitted_at
        ),
    );
    assert_eq!(
        ui.window.global::<ReviewerPage>().get_selected_id(),
        row.id,
        "{}",
        ui.window.global::<ReviewerPage>().get_message()
    );
}

fn in_queue(ui: &Ui, id: &str) -> bool {
    queue(ui).iter().any(|r| r.id == id)
}

fn fact(ui: &Ui, label: &str) -> String {
    ui.window
        .global::<ReviewerPage>()
        .get_facts()
        .iter()
        .find(|f| f.label == label)
        .map(|f| f.value.to_string())
        .unwrap_or_else(|| panic!("no fact {label}"))
}

#[test]
fn reviewer_compares_rejects_with_a_reason_approves_and_sees_every_kind() {
    let scene = server().reviewer_queue();
    let ui = start_ui(client(), None);
    log_in_as(&ui, &scene.reviewer.phone, "reviewer");
    let province = RegionCode::parse(&scene.district)
        .unwrap()
        .province()
        .name();
    let page = ui.window.global::<ReviewerPage>();
    let size = ui.window.window().size();
    assert!(size.width >= 1200, "a wide window for the layout: {size:?}");
    // A tall window so every part of the detail is laid out for the lookups below.
    ui.window
        .window()
        .set_size(slint::LogicalSize::new(1280., 3000.));

    // The queue: one item of every kind, with Chinese labels.
    let mut kinds: Vec<String> = queue(&ui)
        .iter()
        .map(|r| r.kind_label.to_string())
        .collect();
    kinds.sort();
    let mut want = vec![
        "本人提交",
        "工作人员代办",
        "特殊人群核验",
        "现场确认·远程确认",
        "死亡核减",
    ];
    want.sort();
    assert_eq!(kinds, want);
    assert!(queue(&ui).iter().all(|r| r.masked_name.starts_with('*')));
    assert!(queue(&ui).iter().all(|r| r.district.contains(province)));
    assert!(has(&ui, "队列条数:5"));

    // The person's own submission: three fields changed since last year, marked.
    let own = row_of(&ui, "submission");
    open(&ui, &own);
    assert_eq!(page.get_detail_kind(), "submission");
    assert!(has(&ui, "类型:本人提交"));
    let rows: Vec<_> = page.get_rows().iter().collect();
    let changed: Vec<String> = rows
        .iter()
        .filter(|r| r.changed)
        .map(|r| r.label.to_string())
        .collect();
    assert_eq!(
        changed,
        ["手机号码", "现住地具体地址", "上年度交纳党费数额(元)"]
    );
    for r in &rows {
        let label = format!(
            "{}:本年度 {};上年度 {}{}",
            r.label,
            r.this_year,
            r.last_year,
            if r.changed { ";已变更" } else { "" }
        );
        assert!(has(&ui, &label), "{label}");
    }
    let phone = rows.iter().find(|r| r.label == "手机号码").unwrap();
    assert_eq!(phone.this_year, CHANGED_PHONE);
    assert_ne!(phone.last_year, phone.this_year);
    assert!(has(&ui, "变更情况:3项与上年不同"));
    // Photos, key frames and the score with its meaning.
    assert!(page.get_id_front().size().width > 0);
    assert!(page.get_id_back().size().width > 0);
    assert!(has(&ui, "身份证人像面"));
    assert_eq!(page.get_frames().row_count(), 3, "the three key frames");
    assert!(page.get_frames().iter().all(|f| f.image.size().width > 0));
    assert_eq!(page.get_face_text(), "相似度 0.83(阈值 0.60,判定为本人)");

    // 不通过 without a reason: refused next to the field, nothing decided.
    click(&ui, "不通过");
    assert!(has(
        &ui,
        "其他不通过原因(可填写)错误:请选择或填写不通过原因"
    ));
    assert_eq!(page.get_message(), "");
    page.invoke_refresh();
    assert!(in_queue(&ui, &own.id), "still waiting");
    assert!(page.get_pending());

    // A common reason: rejected, it leaves 待审核 and is under 未通过 with its reason.
    let reason = "身份证照片不清晰,请重新上传";
    assert!(!has(&ui, &format!("不通过原因(常见原因) {reason}")));
    click(&ui, "选择常见原因");
    assert!(page.get_reasons_open());
    click(&ui, &format!("不通过原因(常见原因) {reason}"));
    assert_eq!(page.get_chosen_reason(), reason);
    assert!(!page.get_reasons_open(), "the list closes on a choice");
    assert!(has(&ui, &format!("已选原因:{reason}")));
    assert!(!has(
        &ui,
        "其他不通过原因(可填写)错误:请选择或填写不通过原因"
    ));
    click(&ui, "不通过");
    assert_eq!(page.get_message(), "已审核不通过,原因已告知本人");
    assert!(!in_queue(&ui, &own.id));
    assert_eq!(page.get_status_label(), "未通过");
    assert!(!page.get_pending(), "no decision area once decided");
    assert!(!has(&ui, "不通过"));
    assert!(has(&ui, &format!("不通过原因:{reason}")));
    click(&ui, "筛选:未通过");
    assert_eq!(page.get_filter(), 2);
    assert!(in_queue(&ui, &own.id));
    click(&ui, "筛选:待审核");
    assert_eq!(queue(&ui).len(), 4);

    // The assisted one: approved, it moves to 已通过.
    let assisted = row_of(&ui, "assisted_submission");
    open(&ui, &assisted);
    assert!(has(&ui, "类型:工作人员代办"));
    assert_eq!(page.get_assisted_by(), "林小红");
    let changed: Vec<String> = page
        .get_rows()
        .iter()
        .filter(|r| r.changed)
        .map(|r| format!("{}: {} / {}", r.label, r.this_year, r.last_year))
        .collect();
    assert!(has(&ui, "变更情况:与上年一致"), "{changed:?}");
    click(&ui, "通过");
    assert_eq!(page.get_message(), "已审核通过");
    assert!(!in_queue(&ui, &assisted.id));
    click(&ui, "筛选:已通过");
    assert!(in_queue(&ui, &assisted.id));
    click(&ui, "筛选:待审核");

    // The special-population check: the newspaper photo and the failed comparison.
    let special = row_of(&ui, "special_population");
    open(&ui, &special);
    assert!(page.get_special());
    assert!(page.get_newspaper().size().width > 0);
    assert!(has(&ui, "手持当日报纸照片"));
    assert!(page.get_face_text().ends_with("判定为非本人)"));
    assert!(page
        .get_reasons()
        .iter()
        .any(|r| r.contains("当日当地报纸")));

    // The death record: its facts and evidence; it can only be confirmed.
    let death = row_of(&ui, "death");
    open(&ui, &death);
    assert_eq!(page.get_detail_kind(), "death");
    assert!(!fact(&ui, "死亡日期").is_empty());
    assert_eq!(fact(&ui, "登记工作人员"), "林小红");
    assert!(page.get_record_photo().size().width > 0);
    assert!(has(&ui, "死亡证明材料"));
    assert!(has(&ui, "通过"));
    assert!(!has(&ui, "不通过"), "a death record is not rejected here");
    click(&ui, "通过");
    assert!(!in_queue(&ui, &death.id));

    // The confirmation: how and when, the relative, the photo.
    let conf = row_of(&ui, "confirmation");
    open(&ui, &conf);
    assert_eq!(page.get_detail_kind(), "confirmation");
    assert_eq!(fact(&ui, "确认类型"), "现场确认");
    assert_eq!(fact(&ui, "确认方式"), "上门核验");
    assert_eq!(fact(&ui, "代办人(亲友)"), "马小军(儿子)");
    assert!(has(&ui, "确认方式:上门核验"));
    assert!(page.get_record_photo().size().width > 0);
    assert!(page
        .get_reasons()
        .iter()
        .any(|r| r.contains("手持身份证及当日报刊")));

    click(&ui, "退出登录");
    assert_eq!(screen(&ui), "login");
    assert!(ui.session().is_none());
}

//! Headless UI test of the review's end: prefill from last year, the ID-card photos, 提交 while
//! the server is unreachable (queued, then sent once), a server field error that sends the person
//! back to the field, the result screens, a rejection → 【不通过原因】 → 再次年审 → resubmit, and
//! 我的. Uses the in-memory `FakeAccounts`; the 身份核验 step hands its proof over through
//! `Ui::set_verified` (what the liveness panel calls when the person presses 完成).

use std::sync::Arc;

use app::api::fake::FakeAccounts;
use app::api::{ApiError, Problem};
use app::controllers::liveness::Verified;
use app::drafts::{DraftStore, StaticKey};
use app::ui::{Ui, QUEUED_NOTE};
use app::{HomePage, MinePage, ResultPage, WizardPage};
use shared::api::review::SUBMITTED_MESSAGE;
use shared::FieldError;
use slint::{ComponentHandle, Model};

mod common;
use common::{add_id_photos, click, error_of, fixed_today, has, log_in, one, screen, start_phone};

fn start(api: Arc<FakeAccounts>, drafts: Arc<DraftStore>) -> Ui {
    start_phone(api, drafts, fixed_today)
}

fn add_photos(ui: &Ui, dir: &std::path::Path) {
    add_id_photos(ui, dir, "back.jpg");
}

fn value_of(ui: &Ui, key: &str) -> String {
    let rows = ui.window.global::<WizardPage>().get_rows();
    rows.iter()
        .find(|r| r.key == key)
        .map(|r| r.value.to_string())
        .unwrap_or_else(|| panic!("no row {key}"))
}

/// 下一步 until 身份核验, then the liveness step's proof.
fn to_verification(ui: &Ui, api: &FakeAccounts) {
    let page = ui.window.global::<WizardPage>();
    for step in 1..=4 {
        click(ui, "下一步");
        assert_eq!(page.get_step(), step, "{}", page.get_message());
    }
    let token = ui.session().unwrap().token;
    let challenge = api.passed_challenge(&token).unwrap();
    ui.set_verified(Some(Verified::Challenge(challenge)));
    assert!(page.get_can_submit());
    assert!(has(ui, "身份核验状态:身份核验已通过,请点击“提交”"));
}

#[test]
fn offline_submit_then_rejection_then_review_again_and_resubmit() {
    i_slint_backend_testing::init_no_event_loop();
    let dir = tempfile::tempdir().unwrap();
    let photos = tempfile::tempdir().unwrap();
    let drafts = Arc::new(DraftStore::open(dir.path(), &StaticKey([6; 32])).unwrap());
    let api = Arc::new(FakeAccounts::default());
    let ui = start(api.clone(), drafts.clone());
    log_in(&ui, &api);
    let home = ui.window.global::<HomePage>();
    assert_eq!(home.get_status(), "未年审");
    click(&ui, "开始年审");

    // Prefilled from last year's record; shown with labels, regions as names.
    let page = ui.window.global::<WizardPage>();
    assert_eq!(page.get_saved_note(), "已带入上一年填报的信息,请核对");
    assert_eq!(value_of(&ui, "basic.political_status"), "中共党员");
    assert_eq!(value_of(&ui, "basic.placement_region"), "北京市/东城区");
    assert_eq!(one(&ui, "姓名").accessible_value().unwrap(), "*松");
    // The photos are not carried over: 下一步 asks for them.
    click(&ui, "下一步");
    assert_eq!(page.get_step(), 0);
    assert!(!error_of(&ui, "basic.id_front_photo").is_empty());
    // A file that is not an image is refused next to the field.
    std::fs::write(photos.path().join("notes.txt"), "not an image").unwrap();
    page.invoke_photo_file(
        "basic.id_front_photo".into(),
        photos
            .path()
            .join("notes.txt")
            .to_string_lossy()
            .as_ref()
            .into(),
    );
    assert_eq!(
        error_of(&ui, "basic.id_front_photo"),
        "只能上传JPG或PNG格式的图片"
    );
    add_photos(&ui, photos.path());
    assert_eq!(error_of(&ui, "basic.id_front_photo"), "");
    assert!(has(&ui, "身份证人像面状态:已选择 · 1 KB"));

    // The region picker: a new province clears the district; picking one completes it.
    page.invoke_region_picked("basic.residence_region".into(), 0, "辽宁省".into());
    assert_eq!(value_of(&ui, "basic.residence_region"), "辽宁省");
    page.invoke_region_picked("basic.residence_region".into(), 1, "大连市".into());
    page.invoke_region_picked("basic.residence_region".into(), 2, "甘井子区".into());
    assert_eq!(
        value_of(&ui, "basic.residence_region"),
        "辽宁省/大连市/甘井子区"
    );
    let levels = ui.window.global::<WizardPage>().get_rows();
    let region = levels
        .iter()
        .find(|r| r.key == "basic.residence_region")
        .unwrap();
    assert_eq!(region.levels.row_count(), 3);
    assert!(region
        .levels
        .row_data(2)
        .unwrap()
        .options
        .iter()
        .any(|o| o == "甘井子区"));

    // No 提交 on 身份核验 before the liveness step's proof.
    for step in 1..=4 {
        click(&ui, "下一步");
        assert_eq!(page.get_step(), step, "{}", page.get_message());
    }
    assert!(!page.get_can_submit());
    click(&ui, "第1步 基本信息");
    to_verification(&ui, &api);

    // 提交 while the server is unreachable: kept on the device, said so.
    api.set_offline(true);
    click(&ui, "提交");
    assert_eq!(page.get_message(), QUEUED_NOTE);
    assert_eq!(screen(&ui), "wizard");
    assert_eq!(api.submit_calls(), 0);
    ui.retry_queue();
    assert_eq!(page.get_message(), QUEUED_NOTE);

    // Reachable again: sent once, 提交成功 with seed 000's words.
    api.set_offline(false);
    ui.retry_queue();
    assert_eq!(screen(&ui), "result");
    let result = ui.window.global::<ResultPage>();
    assert_eq!(result.get_title(), "提交成功");
    assert_eq!(result.get_message(), SUBMITTED_MESSAGE);
    assert!(has(&ui, &format!("说明:{SUBMITTED_MESSAGE}")));
    ui.retry_queue();
    assert_eq!(api.submissions_created().len(), 1);
    assert_eq!(
        api.submissions_created()[0]
            .basic
            .residence_region
            .as_deref(),
        Some("210211")
    );

    // The reviewer rejects it.
    assert!(api.decide("13300001234", Some("现住地具体地址不完整,请填写到门牌号")));
    click(&ui, "返回首页");
    assert_eq!(screen(&ui), "home");
    assert_eq!(home.get_status(), "审核未通过");
    click(&ui, "查看年审结果");
    assert_eq!(result.get_kind(), "rejected");
    assert!(has(&ui, "结果:审核未通过"));
    assert!(!has(&ui, "不通过原因:现住地具体地址不完整,请填写到门牌号"));
    click(&ui, "【不通过原因】");
    assert!(result.get_reason_open());

    // 再次年审: the rejected form, to fix and resubmit.
    click(&ui, "再次年审");
    assert_eq!(screen(&ui), "wizard");
    assert_eq!(page.get_step(), 0);
    assert_eq!(
        value_of(&ui, "basic.residence_region"),
        "辽宁省/大连市/甘井子区",
        "the rejected form, not last year's"
    );
    add_photos(&ui, photos.path());
    one(&ui, "现住地具体地址").set_accessible_value("辽宁省大连市甘井子区百合湾11号楼3单元5-2");
    to_verification(&ui, &api);

    // A field error from the server: back to the field, next to it.
    api.fail_next_submit(vec![ApiError::Problem(Problem::invalid_fields(vec![
        FieldError::new(
            "basic.emergency_contact_phone",
            "contact_phone_invalid",
            "请输入正确的手机号码或固定电话",
        ),
    ]))]);
    click(&ui, "提交");
    assert_eq!(screen(&ui), "wizard");
    assert_eq!(page.get_step(), 0);
    assert_eq!(page.get_message(), "有1处信息需要修改,请按提示填写");
    assert_eq!(
        error_of(&ui, "basic.emergency_contact_phone"),
        "请输入正确的手机号码或固定电话"
    );
    assert!(has(
        &ui,
        "紧急联系人电话错误:请输入正确的手机号码或固定电话"
    ));
    one(&ui, "紧急联系人电话").set_accessible_value("15800005678");
    assert_eq!(error_of(&ui, "basic.emergency_contact_phone"), "");

    // The draft and photos survived the refusal; a new challenge, and 提交 again.
    to_verification(&ui, &api);
    click(&ui, "提交");
    assert_eq!(screen(&ui), "result", "{}", page.get_message());
    assert_eq!(result.get_title(), "重新提交成功");
    let created = api.submissions_created();
    assert_eq!(created.len(), 2);
    assert_eq!(
        created[1].basic.residence_address.as_deref(),
        Some("辽宁省大连市甘井子区百合湾11号楼3单元5-2")
    );
    assert_eq!(created[1].basic.name.as_deref(), Some("陈松"));

    // Approved.
    assert!(api.decide("13300001234", None));
    click(&ui, "返回首页");
    click(&ui, "查看年审结果");
    assert_eq!(result.get_title(), "恭喜您!");
    assert_eq!(result.get_message(), "您的年度登记审核已通过!");
}

#[test]
fn mine_shows_the_masked_profile_changes_the_phone_and_logs_out() {
    i_slint_backend_testing::init_no_event_loop();
    let dir = tempfile::tempdir().unwrap();
    let drafts = Arc::new(DraftStore::open(dir.path(), &StaticKey([8; 32])).unwrap());
    let api = Arc::new(FakeAccounts::default());
    api.add_roster_phone("13300001234", "13300009999");
    let ui = start(api.clone(), drafts);
    log_in(&ui, &api);
    click(&ui, "我的");
    assert_eq!(screen(&ui), "mine");
    assert!(has(&ui, "姓名:*松"));
    assert!(has(&ui, "身份证号:110105********002X"));
    assert!(has(&ui, "手机号码:133****1234"));
    assert!(ui
        .window
        .global::<MinePage>()
        .get_privacy_notice()
        .contains("依据《个人信息保护法》要求,核验的信息仅用于年度登记审核使用"));

    // 换绑手机 to a number not in the roster: refused with seed 001's advice.
    click(&ui, "换绑手机");
    one(&ui, "新手机号码").set_accessible_value("13300005555");
    click(&ui, "获取验证码");
    let code = api.last_sms_code("13300005555").unwrap();
    one(&ui, "短信验证码").set_accessible_value(&code);
    click(&ui, "确认换绑");
    let mine = ui.window.global::<MinePage>();
    assert!(
        mine.get_message().contains("退役军人服务中心"),
        "{}",
        mine.get_message()
    );

    // To the roster's other number: done, shown masked.
    one(&ui, "新手机号码").set_accessible_value("13300009999");
    // The button counts down (no event loop here): send through its callback.
    mine.invoke_send_sms();
    let code = api.last_sms_code("13300009999").unwrap();
    one(&ui, "短信验证码").set_accessible_value(&code);
    click(&ui, "确认换绑");
    assert_eq!(mine.get_masked_phone(), "133****9999");
    assert!(has(&ui, "手机号码:133****9999"));

    // 长辈版 from 我的, then 退出登录.
    click(&ui, "长辈版");
    assert!(ui.window.global::<app::Theme>().get_elder());
    click(&ui, "退出登录");
    assert_eq!(screen(&ui), "login");
    assert!(ui.session().is_none());
}

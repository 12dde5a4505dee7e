//! The review's end against the real server: prefill from last year, the ID-card photos, 提交
//! with the network gone (queued, then sent once), a reviewer's rejection → 【不通过原因】 →
//! 再次年审 on the rejected form, a submission the server refuses (the roster's name changed
//! meanwhile) that keeps the draft, the resubmission and the approval; and 我的. The 身份核验
//! step hands its proof over through `Ui::set_verified` (what the liveness panel calls on 完成)
//! with a challenge the server marked passed; `liveness.rs` does the real face check.

use app::api::staff::SubmissionDetail;
use app::api::{HttpClient, Token};
use app::controllers::liveness::Verified;
use app::ui::{Ui, QUEUED_NOTE};
use app::{HomePage, MinePage, ResultPage, WizardPage};
use shared::api::accounts::Role;
use shared::api::review::SUBMITTED_MESSAGE;
use shared::category::Category;
use shared::region::RegionCode;
use slint::{ComponentHandle, Model};
use tests::blocking::Veteran;

use crate::common::*;

fn add_photos(ui: &Ui, dir: &std::path::Path) {
    add_id_photos(ui, dir, "back.jpg");
}

/// 下一步 until 身份核验 (from the first step), then the liveness step's proof: a challenge of
/// the person's that the server marked passed.
fn to_verification(ui: &Ui) {
    let page = ui.window.global::<WizardPage>();
    for step in 1..=4 {
        click(ui, "下一步");
        assert_eq!(page.get_step(), step, "{}", page.get_message());
    }
    let token = ui.session().unwrap().token;
    let challenge = server().passed_challenge(token.expose());
    ui.set_verified(Some(Verified::Challenge(challenge)));
    assert!(page.get_can_submit());
    assert!(has(ui, "身份核验状态:身份核验已通过,请点击“提交”"));
}

/// A reviewer of the person's district, through the app's client.
struct Reviewer {
    api: HttpClient,
    token: Token,
}

impl Reviewer {
    fn of(district: &str) -> Reviewer {
        let s = server();
        let a = s.account(Role::Reviewer, "审核人员", &[district]);
        Reviewer {
            api: client(),
            token: Token::new(s.login(&a.phone)),
        }
    }

    /// The person's waiting submissions, newest last (the district is theirs alone).
    fn waiting(&self) -> Vec<SubmissionDetail> {
        let q = self
            .api
            .review_queue(&self.token, "submitted", 1)
            .unwrap()
            .items
            .into_iter()
            .chain(
                self.api
                    .review_queue(&self.token, "resubmitted", 1)
                    .unwrap()
                    .items,
            );
        q.map(|i| self.api.submission(&self.token, &i.submission_id).unwrap())
            .collect()
    }

    fn decide(&self, id: &str, reason: Option<&str>) {
        server().decide(self.token.expose(), id, reason);
    }
}

fn veteran_of_own_district() -> (Veteran, String) {
    let s = server();
    let district = s.district();
    (
        s.veteran_in(&district, Category::SelfEmployedOfficer),
        district,
    )
}

#[test]
fn offline_submit_then_rejection_then_review_again_and_resubmit() {
    let s = server();
    let (vet, district) = veteran_of_own_district();
    let reviewer = Reviewer::of(&district);
    let dir = tempfile::tempdir().unwrap();
    let photos = tempfile::tempdir().unwrap();
    let (gate, api) = gated();
    let ui = start_phone(api, drafts(dir.path(), 6));
    log_in_as(&ui, vet.phone(), "home");
    let home = ui.window.global::<HomePage>();
    assert_eq!(home.get_status(), "未年审");
    click(&ui, "开始年审");

    // Prefilled from last year's record; shown with labels, regions as names.
    let page = ui.window.global::<WizardPage>();
    assert_eq!(page.get_saved_note(), "已带入上一年填报的信息,请核对");
    assert_eq!(value_of(&ui, "basic.political_status"), "中共党员");
    let region = RegionCode::parse(&district).unwrap().full_name();
    assert_eq!(value_of(&ui, "basic.placement_region"), region);
    assert_eq!(
        one(&ui, "姓名").accessible_value().unwrap(),
        masked(&vet.person.name).as_str()
    );
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
    let picker = levels
        .iter()
        .find(|r| r.key == "basic.residence_region")
        .unwrap();
    assert_eq!(picker.levels.row_count(), 3);
    assert!(picker
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
    to_verification(&ui);

    // 提交 while the server is unreachable: kept on the device, said so; nothing arrived.
    gate.set_online(false);
    click(&ui, "提交");
    assert_eq!(page.get_message(), QUEUED_NOTE);
    assert_eq!(screen(&ui), "wizard");
    ui.retry_queue();
    assert_eq!(page.get_message(), QUEUED_NOTE);
    assert_eq!(s.submissions(&vet.person_id), 0);

    // Reachable again: sent once, 提交成功 with seed 000's words.
    gate.set_online(true);
    ui.retry_queue();
    assert_eq!(screen(&ui), "result", "{}", page.get_message());
    let result = ui.window.global::<ResultPage>();
    assert_eq!(result.get_title(), "提交成功");
    assert_eq!(result.get_message(), SUBMITTED_MESSAGE);
    assert!(has(&ui, &format!("说明:{SUBMITTED_MESSAGE}")));
    ui.retry_queue();
    assert_eq!(s.submissions(&vet.person_id), 1);
    let sent = reviewer.waiting();
    assert_eq!(sent.len(), 1);
    assert_eq!(
        sent[0].form.basic.residence_region.as_deref(),
        Some("210211")
    );

    // The reviewer rejects it.
    reviewer.decide(
        &sent[0].submission_id,
        Some("现住地具体地址不完整,请填写到门牌号"),
    );
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
    to_verification(&ui);

    // Meanwhile the office corrects the person's name in the roster: the server refuses the
    // form (it is not the roster person's any more); the wizard says why, the draft stays.
    let mut renamed = vet.person.clone();
    renamed.name = format!("{}某", vet.person.name);
    s.enroll(&renamed, false);
    click(&ui, "提交");
    assert_eq!(screen(&ui), "wizard");
    assert_eq!(page.get_message(), "姓名与建档立卡信息不一致");
    assert_eq!(s.submissions(&vet.person_id), 1);
    click(&ui, "第1步 基本信息");
    assert_eq!(
        one(&ui, "现住地具体地址").accessible_value().unwrap(),
        "辽宁省大连市甘井子区百合湾11号楼3单元5-2",
        "the draft survived the refusal"
    );

    // Corrected back: a new challenge, and 提交 again.
    s.enroll(&vet.person, false);
    to_verification(&ui);
    click(&ui, "提交");
    assert_eq!(screen(&ui), "result", "{}", page.get_message());
    assert_eq!(result.get_title(), "重新提交成功");
    assert_eq!(s.submissions(&vet.person_id), 2);
    let resent = reviewer.waiting();
    assert_eq!(resent.len(), 1, "the rejected one is decided");
    assert_eq!(
        resent[0].form.basic.residence_address.as_deref(),
        Some("辽宁省大连市甘井子区百合湾11号楼3单元5-2")
    );
    assert_eq!(
        resent[0].form.basic.name.as_deref(),
        Some(vet.person.name.as_str())
    );

    // Approved.
    reviewer.decide(&resent[0].submission_id, None);
    click(&ui, "返回首页");
    click(&ui, "查看年审结果");
    assert_eq!(result.get_title(), "恭喜您!");
    assert_eq!(result.get_message(), "您的年度登记审核已通过!");
}

#[test]
fn mine_shows_the_masked_profile_changes_the_phone_and_logs_out() {
    let s = server();
    let vet = s.veteran();
    let dir = tempfile::tempdir().unwrap();
    let ui = start_phone(client(), drafts(dir.path(), 8));
    log_in_as(&ui, vet.phone(), "home");
    click(&ui, "我的");
    assert_eq!(screen(&ui), "mine");
    let id = &vet.person.id_number;
    let phone = vet.phone();
    assert!(has(&ui, &format!("姓名:{}", masked(&vet.person.name))));
    assert!(has(
        &ui,
        &format!("身份证号:{}********{}", &id[..6], &id[14..])
    ));
    assert!(has(
        &ui,
        &format!("手机号码:{}****{}", &phone[..3], &phone[7..])
    ));
    // A roster veteran was matched with the roster at registration.
    assert!(has(&ui, "实名认证状态:国家平台实名认证通过"));
    assert_eq!(
        ui.window.global::<MinePage>().get_real_name_reason(),
        "",
        "no reviewer's reason"
    );
    assert!(ui
        .window
        .global::<MinePage>()
        .get_privacy_notice()
        .contains("依据《个人信息保护法》要求,核验的信息仅用于年度登记审核使用"));

    // 换绑手机 to a number not in the roster: refused with seed 001's advice.
    click(&ui, "换绑手机");
    let stranger = format!("1330{}", &phone[4..]);
    one(&ui, "新手机号码").set_accessible_value(&stranger);
    click(&ui, "获取验证码");
    let code = s.sms_code(&stranger).expect("a code to the new number");
    one(&ui, "短信验证码").set_accessible_value(&code);
    click(&ui, "确认换绑");
    let mine = ui.window.global::<MinePage>();
    assert!(
        mine.get_message().contains("退役军人服务中心"),
        "{}",
        mine.get_message()
    );

    // To the roster's other number: done, shown masked.
    let spare = &vet.person.phones[1];
    one(&ui, "新手机号码").set_accessible_value(spare);
    // The button counts down (no event loop here): send through its callback.
    mine.invoke_send_sms();
    let code = s.sms_code(spare).expect("a code to the spare number");
    one(&ui, "短信验证码").set_accessible_value(&code);
    click(&ui, "确认换绑");
    let shown = format!("{}****{}", &spare[..3], &spare[7..]);
    assert_eq!(
        mine.get_masked_phone(),
        shown.as_str(),
        "{}",
        mine.get_message()
    );
    assert!(has(&ui, &format!("手机号码:{shown}")));

    // 长辈版 from 我的, then 退出登录.
    click(&ui, "长辈版");
    assert!(ui.window.global::<app::Theme>().get_elder());
    click(&ui, "退出登录");
    assert_eq!(screen(&ui), "login");
    assert!(ui.session().is_none());
}

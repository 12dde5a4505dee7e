//! The 年审 wizard against the real server: log in (a first review: nothing from last year to
//! prefill), walk the first steps, fix an error, jump back from 信息确认 through the step bar, and
//! find the draft again after "restarting" the app.

use app::ui::Ui;
use app::{Nav, WizardPage};
use slint::ComponentHandle;

use crate::common::*;

fn fill_basic(ui: &Ui, dir: &std::path::Path, phone: &str) {
    let page = ui.window.global::<WizardPage>();
    add_id_photos(ui, dir, "back.png");
    click(ui, "政治面貌 中共党员");
    type_into(ui, "手机号码", phone);
    type_into(ui, "紧急联系人姓名", "张三");
    type_into(ui, "紧急联系人电话", "15800005678");
    // The cascading pickers: province, then its districts (北京市 has no city level).
    for key in ["basic.placement_region", "basic.residence_region"] {
        page.invoke_region_picked(key.into(), 0, "北京市".into());
        page.invoke_region_picked(key.into(), 1, "东城区".into());
    }
    type_into(
        ui,
        "现住地具体地址",
        "辽宁省大连市甘井子区百合湾11号楼3单元5-2",
    );
    click(ui, "是否加入外国籍 否");
    click(ui, "是否加入社会组织 否");
    click(ui, "是否存在生活困难 否");
}

#[test]
fn walk_the_wizard_fix_an_error_jump_back_and_restore_the_draft() {
    let s = server();
    // A first review: enrolled without last year's form.
    let p = s.veteran_of(s.person(), false).person;
    let dir = tempfile::tempdir().unwrap();
    let store = drafts(dir.path(), 5);

    let ui = start_phone(client(), store.clone());
    log_in_as(&ui, p.phone(), "home");
    click(&ui, "开始年审");
    assert_eq!(ui.window.global::<Nav>().get_screen(), "wizard");
    let page = ui.window.global::<WizardPage>();
    assert_eq!(page.get_step(), 0);
    // The name comes from the server, masked, and cannot be edited.
    assert_eq!(
        one(&ui, "姓名").accessible_value().unwrap(),
        masked(&p.name).as_str()
    );

    // 下一步 on an empty step: every error of the step, next to its field.
    click(&ui, "下一步");
    assert_eq!(page.get_step(), 0);
    // 10 fields and the two ID-card photos.
    assert_eq!(page.get_message(), "有12处信息需要修改,请按提示填写");
    assert_eq!(error_of(&ui, "basic.phone"), "请输入手机号码");
    assert!(has(&ui, "手机号码错误:请输入手机号码"));

    let photos = tempfile::tempdir().unwrap();
    fill_basic(&ui, photos.path(), p.phone());
    assert_eq!(error_of(&ui, "basic.id_front_photo"), "");
    assert!(error_of(&ui, "basic.placement_region").is_empty());
    // A wrong phone, then fixed as you type.
    type_into(&ui, "手机号码", "1330000123x");
    assert!(!error_of(&ui, "basic.phone").is_empty());
    type_into(&ui, "手机号码", p.phone());
    assert_eq!(error_of(&ui, "basic.phone"), "");
    assert_eq!(page.get_saved_note(), "草稿已自动保存");

    click(&ui, "下一步");
    assert_eq!(page.get_step(), 1, "{}", page.get_message());
    click(&ui, "是否为党员 是");
    type_into(&ui, "所在支部", "第一党支部");
    type_into(&ui, "支部联系电话", "0411-84681234");
    click(&ui, "是否按规定参加党组织生活 是");
    type_into(&ui, "上年度交纳党费数额(元)", "200");
    click(&ui, "上年度党员民主评议结果 优秀");
    click(&ui, "下一步");
    assert_eq!(page.get_step(), 2, "{}", page.get_message());
    click(&ui, "上年度是否受过奖励 是");
    type_into(&ui, "奖励名称", "三等功");
    type_into(&ui, "奖励单位", "某部");
    click(&ui, "上年度是否受过党纪处分 否");
    click(&ui, "上年度是否受过刑事处罚 否");
    click(&ui, "下一步");
    assert_eq!(page.get_step(), 3);

    // 信息确认 shows the answers read-only; the step bar jumps back to fix one.
    assert!(has(&ui, "奖励名称:三等功"));
    click(&ui, "第2步 党组织生活情况");
    assert_eq!(page.get_step(), 1);
    type_into(&ui, "上年度交纳党费数额(元)", "200.5");
    click(&ui, "第4步 信息确认");
    assert_eq!(page.get_step(), 3);
    assert!(has(&ui, "上年度交纳党费数额(元):200.5"));
    // Steps not reached yet cannot be jumped to.
    click(&ui, "第5步 身份核验");
    assert_eq!(page.get_step(), 3);

    // "Restart": a new UI on the same device store; the draft is back, at the same step.
    drop(ui);
    let ui = start_phone(client(), store);
    log_in_as(&ui, p.phone(), "home");
    assert_eq!(
        ui.window.global::<app::HomePage>().get_status(),
        "草稿已保存,尚未提交"
    );
    click(&ui, "继续年审");
    let page = ui.window.global::<WizardPage>();
    assert_eq!(page.get_saved_note(), "已恢复上次保存的草稿");
    assert_eq!(page.get_step(), 3);
    assert!(has(&ui, "奖励名称:三等功"));
    click(&ui, "第1步 基本信息");
    assert_eq!(
        one(&ui, "现住地具体地址").accessible_value().unwrap(),
        "辽宁省大连市甘井子区百合湾11号楼3单元5-2"
    );
}

//! A 个人用户 (outside the roster, issue 16) in the app: a home without the annual review, and
//! 我的 with the 实名认证 status the server keeps.

use app::{HomePage, MinePage};
use slint::ComponentHandle;

use crate::common::*;

#[test]
fn a_person_outside_the_roster_sees_no_review_and_their_real_name_status() {
    let s = server();
    let person = s.personal_account("林个人");
    let ui = start_ui(client(), None);
    log_in_as(&ui, &person.phone, "home");
    let home = ui.window.global::<HomePage>();
    assert_eq!(home.get_title(), "个人用户");
    assert_eq!(home.get_action(), "none");
    assert!(
        home.get_status().contains("建档立卡"),
        "{}",
        home.get_status()
    );
    assert!(!has(&ui, "开始年审"), "no review to start");

    click(&ui, "我的");
    assert_eq!(screen(&ui), "mine");
    assert!(has(&ui, "实名认证状态:未认证"));
    assert_eq!(ui.window.global::<MinePage>().get_real_name(), "未认证");
}

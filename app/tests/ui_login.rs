//! Headless UI tests (i-slint-backend-testing): the screens driven through their accessibility
//! labels, against the in-memory fake server.

use std::sync::Arc;

use app::api::fake::FakeAccounts;
use app::platform::capture::{CaptureProtection, LINUX_NOTICE};
use app::ui::{Deps, Runner, Ui};
use app::{HomePage, LoginPage, Nav, RegisterPage, Theme};
use chrono::NaiveDate;
use i_slint_backend_testing::ElementHandle;
use slint::ComponentHandle;

mod common;
use common::{click, one, type_into};

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 2, 1).unwrap()
}

fn start(api: Arc<FakeAccounts>) -> Ui {
    i_slint_backend_testing::init_no_event_loop();
    let deps = Deps {
        api,
        drafts: None,
        runner: Runner::Inline,
        today,
    };
    let ui = Ui::new(
        deps,
        CaptureProtection::Unsupported {
            reason_zh: LINUX_NOTICE,
        },
    )
    .unwrap();
    ui.window.show().unwrap();
    // Tall enough that nothing scrolls: the search API skips elements scrolled out of view.
    ui.window
        .window()
        .set_size(slint::LogicalSize::new(480., 3000.));
    ui
}

#[test]
fn wrong_slide_is_refused_then_right_slide_logs_in_and_shows_home() {
    let api = Arc::new(FakeAccounts::default());
    let ui = start(api.clone());
    assert_eq!(ui.window.global::<Nav>().get_screen(), "login");
    assert_eq!(ui.window.global::<Nav>().get_capture_notice(), LINUX_NOTICE);

    // As-you-type: a letter in the login name shows the ID-number error at once.
    type_into(&ui, "手机号或身份证号", "1101a");
    assert_eq!(
        ui.window.global::<LoginPage>().get_login_error(),
        "身份证号只能由数字组成,最后一位可以是X"
    );
    type_into(&ui, "手机号或身份证号", "13300001234");
    assert_eq!(ui.window.global::<LoginPage>().get_login_error(), "");
    type_into(&ui, "密码", "abc12345");

    // Slide to the wrong place: refused, counted, and a new captcha is loaded.
    one(&ui, "拖动滑块完成拼图").set_accessible_value("2");
    click(&ui, "登录");
    assert_eq!(ui.window.global::<Nav>().get_screen(), "login");
    assert!(
        ui.window
            .global::<LoginPage>()
            .get_message()
            .contains("滑块"),
        "{}",
        ui.window.global::<LoginPage>().get_message()
    );
    assert_eq!(ui.window.global::<LoginPage>().get_slider_offset(), 0.0);

    // The UI's current captcha is the fake's latest one; slide to its answer.
    let latest = latest_captcha_answer(&api);
    one(&ui, "拖动滑块完成拼图").set_accessible_value(latest.to_string());
    assert_eq!(
        one(&ui, "拖动滑块完成拼图").accessible_value().unwrap(),
        latest.to_string()
    );
    click(&ui, "登录");
    assert_eq!(ui.window.global::<Nav>().get_screen(), "home");
    assert_eq!(ui.session().unwrap().masked_name, "*松");
    let home = ui.window.global::<HomePage>();
    assert_eq!(home.get_greeting(), "您好,*松");
    assert_eq!(home.get_deadline(), "请于2026年3月31日前完成年审(还有58天)");
    assert!(home.get_consequence().contains("停发退役金"));

    click(&ui, "退出登录");
    assert_eq!(ui.window.global::<Nav>().get_screen(), "login");
    assert!(ui.session().is_none());
}

/// The answer to the most recently issued captcha (ids are `captcha-N`, increasing).
fn latest_captcha_answer(api: &FakeAccounts) -> i64 {
    (1..10_000)
        .rev()
        .find_map(|n| api.captcha_answer(&format!("captcha-{n}")))
        .expect("a captcha was issued")
}

#[test]
fn five_failures_show_the_lock_end_time() {
    let api = Arc::new(FakeAccounts::default());
    let ui = start(api.clone());
    type_into(&ui, "手机号或身份证号", "13300001234");
    type_into(&ui, "密码", "wrong-pass1");
    for _ in 0..5 {
        let x = latest_captcha_answer(&api);
        one(&ui, "拖动滑块完成拼图").set_accessible_value(x.to_string());
        click(&ui, "登录");
    }
    let message = ui.window.global::<LoginPage>().get_message();
    assert!(
        message.starts_with("登录失败次数过多,账号已被锁定,请于"),
        "{message}"
    );
    assert!(message.ends_with("后再试"), "{message}");
}

#[test]
fn empty_login_shows_errors_next_to_fields() {
    let api = Arc::new(FakeAccounts::default());
    let ui = start(api);
    click(&ui, "登录");
    let page = ui.window.global::<LoginPage>();
    assert_eq!(page.get_login_error(), "请输入手机号或身份证号");
    assert_eq!(page.get_password_error(), "请输入登录密码");
    // The error is rendered as a text element next to the field, readable by screen readers.
    assert!(ElementHandle::find_by_accessible_label(
        &ui.window,
        "手机号或身份证号错误:请输入手机号或身份证号"
    )
    .next()
    .is_some());
}

#[test]
fn registration_walks_every_field_and_returns_to_login() {
    let api = Arc::new(FakeAccounts::default());
    let ui = start(api.clone());
    click(&ui, "注册");
    assert_eq!(ui.window.global::<Nav>().get_screen(), "register");
    let page = ui.window.global::<RegisterPage>();

    click(&ui, "注册");
    assert_eq!(page.get_name_error(), "请输入用户姓名");
    assert_eq!(page.get_id_valid_to_error(), "请选择身份证有效期止");
    assert_eq!(
        page.get_agree_terms_error(),
        "请阅读并勾选同意《个人注册协议》"
    );

    type_into(&ui, "用户姓名", "张三");
    assert_eq!(page.get_name_error(), "");
    type_into(&ui, "身份证号", "110101196203150013");
    assert_eq!(page.get_id_number_error(), "身份证号校验位不正确,请核对");
    type_into(&ui, "身份证号", "110101196203150012");
    assert_eq!(page.get_id_number_error(), "");
    type_into(&ui, "身份证有效期始", "2015-06-01");
    click(&ui, "身份证有效期止 10年");
    assert!(
        !page.get_id_valid_to_error().is_empty(),
        "10年 is wrong for a 53-year-old"
    );
    click(&ui, "身份证有效期止 长期有效");
    assert_eq!(page.get_id_valid_to_error(), "");
    assert_eq!(page.get_valid_to_text(), "长期有效");
    type_into(&ui, "手机号码", "15800005678");
    click(&ui, "获取验证码");
    assert_eq!(page.get_sms_button_text(), "重新发送(60)");
    assert!(!page.get_sms_button_enabled());
    let code = api.last_sms_code("15800005678").unwrap();
    type_into(&ui, "短信验证码", &code);
    type_into(&ui, "登录密码", "abc12345");
    type_into(&ui, "确认密码", "abc12346");
    click(&ui, "我已阅读并同意《个人注册协议》");
    assert!(page.get_agree_terms());
    click(&ui, "注册");
    assert_eq!(page.get_password_confirm_error(), "两次输入的密码不一致");
    type_into(&ui, "确认密码", "abc12345");
    assert_eq!(page.get_password_confirm_error(), "");
    click(&ui, "注册");
    assert_eq!(ui.window.global::<Nav>().get_screen(), "login");
    assert_eq!(
        ui.window.global::<LoginPage>().get_message(),
        "注册成功,请登录"
    );
    assert_eq!(ui.window.global::<LoginPage>().get_login(), "15800005678");
}

/// WCAG 2.x relative luminance contrast of two `slint::Color`s.
fn contrast(a: slint::Color, b: slint::Color) -> f64 {
    fn lum(c: slint::Color) -> f64 {
        let ch = |v: u8| {
            let s = f64::from(v) / 255.0;
            if s <= 0.03928 {
                s / 12.92
            } else {
                ((s + 0.055) / 1.055).powf(2.4)
            }
        };
        0.2126 * ch(c.red()) + 0.7152 * ch(c.green()) + 0.0722 * ch(c.blue())
    }
    let (la, lb) = (lum(a), lum(b));
    (la.max(lb) + 0.05) / (la.min(lb) + 0.05)
}

#[test]
fn elder_mode_meets_the_size_and_contrast_rules() {
    let api = Arc::new(FakeAccounts::default());
    let ui = start(api);
    let theme = ui.window.global::<Theme>();
    assert!(!theme.get_elder());
    let normal_body = theme.get_body();
    click(&ui, "长辈版");
    assert!(theme.get_elder());
    assert!(
        theme.get_body() >= 18.0 && theme.get_body() > normal_body,
        "body {}",
        theme.get_body()
    );
    assert!(theme.get_title() <= 30.0 && theme.get_small() >= 18.0);
    assert!(theme.get_tap() >= 60.0);
    // Every actual button on the login screen is at least one tap target high.
    for label in ["登录", "密码登录", "短信验证码登录", "注册", "忘记密码"] {
        let h = one(&ui, label).size().height;
        assert!(h >= 60.0, "{label} is {h}px high");
    }
    let bg = theme.get_background();
    for (name, fg) in [
        ("text", theme.get_text()),
        ("muted", theme.get_muted()),
        ("error", theme.get_error()),
        ("link", theme.get_link()),
    ] {
        let c = contrast(fg, bg);
        assert!(c >= 4.5, "{name} contrast {c:.2}");
    }
    assert!(contrast(theme.get_on_primary(), theme.get_primary()) >= 4.5);
    assert!(contrast(theme.get_notice_text(), theme.get_notice_bg()) >= 4.5);
    // Control: the check itself can fail.
    assert!(contrast(slint::Color::from_rgb_u8(0xaa, 0xaa, 0xaa), bg) < 4.5);
}

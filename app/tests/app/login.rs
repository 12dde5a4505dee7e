//! 登录 and 注册 through the screens, against the real server: a wrong slide counted and a new
//! captcha, the right slide → 首页 with this year's window; five failures lock the account
//! (with its end time); empty fields; registration with the SMS code from the server's outbox;
//! 长辈版 sizes and contrast.

use app::platform::capture::LINUX_NOTICE;
use app::{HomePage, LoginPage, Nav, RegisterPage, Theme};
use chrono::Datelike;
use slint::ComponentHandle;

use crate::common::*;

#[test]
fn wrong_slide_is_refused_then_right_slide_logs_in_and_shows_home() {
    let vet = server().veteran();
    let ui = start_ui(client(), None);
    ui.window
        .window()
        .set_size(slint::LogicalSize::new(480., 3000.));
    assert_eq!(ui.window.global::<Nav>().get_screen(), "login");

    // As-you-type: a letter in the login name shows the ID-number error at once.
    type_into(&ui, "手机号或身份证号", "1101a");
    assert_eq!(
        ui.window.global::<LoginPage>().get_login_error(),
        "身份证号只能由数字组成,最后一位可以是X"
    );
    type_into(&ui, "手机号或身份证号", vet.phone());
    assert_eq!(ui.window.global::<LoginPage>().get_login_error(), "");
    type_into(&ui, "密码", PASSWORD);

    // Slide to the wrong place: refused by the server, and a new captcha is loaded.
    let first = ui.current_captcha_id().unwrap();
    let wrong = (slide_answer(&ui) + 60) % 240;
    one(&ui, "拖动滑块完成拼图").set_accessible_value(&wrong.to_string());
    click(&ui, "登录");
    assert_eq!(ui.window.global::<Nav>().get_screen(), "login");
    let message = ui.window.global::<LoginPage>().get_message();
    assert!(message.contains("滑块"), "{message}");
    assert_eq!(ui.window.global::<LoginPage>().get_slider_offset(), 0.0);
    assert_ne!(ui.current_captcha_id().unwrap(), first, "a new captcha");

    // Slide to the new captcha's answer.
    let x = slide_answer(&ui);
    one(&ui, "拖动滑块完成拼图").set_accessible_value(&x.to_string());
    assert_eq!(
        one(&ui, "拖动滑块完成拼图").accessible_value().unwrap(),
        x.to_string()
    );
    click(&ui, "登录");
    assert_eq!(ui.window.global::<Nav>().get_screen(), "home");
    let name = masked(&vet.person.name);
    assert_eq!(ui.session().unwrap().masked_name, name);
    let home = ui.window.global::<HomePage>();
    assert_eq!(home.get_greeting(), format!("您好,{name}").as_str());
    // The server's window (an administrator opened the whole year), not the category's default.
    let today = app::ui::local_today();
    let end = chrono::NaiveDate::from_ymd_opt(today.year(), 12, 31).unwrap();
    assert_eq!(
        home.get_deadline(),
        format!(
            "请于{}年12月31日前完成年审(还有{}天)",
            today.year(),
            (end - today).num_days()
        )
        .as_str()
    );
    assert!(home.get_consequence().contains("停发退役金"));
    assert_eq!(home.get_status(), "未年审");

    click(&ui, "退出登录");
    assert_eq!(ui.window.global::<Nav>().get_screen(), "login");
    assert!(ui.session().is_none());
}

#[test]
fn five_failures_show_the_lock_end_time() {
    let vet = server().veteran();
    let ui = start_ui(client(), None);
    ui.window
        .window()
        .set_size(slint::LogicalSize::new(480., 3000.));
    type_into(&ui, "手机号或身份证号", vet.phone());
    type_into(&ui, "密码", "wrong-pass1");
    for _ in 0..5 {
        let x = slide_answer(&ui);
        one(&ui, "拖动滑块完成拼图").set_accessible_value(&x.to_string());
        click(&ui, "登录");
    }
    let message = ui.window.global::<LoginPage>().get_message();
    assert!(
        message.starts_with("登录失败次数过多,账号已被锁定,请于"),
        "{message}"
    );
    assert!(message.ends_with("后再试"), "{message}");
    // Locked even with the right password now.
    type_into(&ui, "密码", PASSWORD);
    let x = slide_answer(&ui);
    one(&ui, "拖动滑块完成拼图").set_accessible_value(&x.to_string());
    click(&ui, "登录");
    assert_eq!(ui.window.global::<Nav>().get_screen(), "login");
    assert!(ui
        .window
        .global::<LoginPage>()
        .get_message()
        .contains("锁定"));
}

#[test]
fn empty_login_shows_errors_next_to_fields() {
    let ui = start_ui(client(), None);
    ui.window
        .window()
        .set_size(slint::LogicalSize::new(480., 3000.));
    click(&ui, "登录");
    let page = ui.window.global::<LoginPage>();
    assert_eq!(page.get_login_error(), "请输入手机号或身份证号");
    assert_eq!(page.get_password_error(), "请输入登录密码");
    // The error is rendered as a text element next to the field, readable by screen readers.
    assert!(has(&ui, "手机号或身份证号错误:请输入手机号或身份证号"));
}

#[test]
fn registration_walks_every_field_and_returns_to_login() {
    let s = server();
    let p = s.person();
    s.enroll(&p, true);
    let ui = start_ui(client(), None);
    ui.window
        .window()
        .set_size(slint::LogicalSize::new(480., 3000.));
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

    type_into(&ui, "用户姓名", &p.name);
    assert_eq!(page.get_name_error(), "");
    type_into(&ui, "身份证号", &tests::with_wrong_check(&p.id_number));
    assert_eq!(page.get_id_number_error(), "身份证号校验位不正确,请核对");
    type_into(&ui, "身份证号", &p.id_number);
    assert_eq!(page.get_id_number_error(), "");
    type_into(&ui, "身份证有效期始", &p.id_valid_from);
    click(&ui, "身份证有效期止 10年");
    assert!(
        !page.get_id_valid_to_error().is_empty(),
        "10年 is wrong for a card issued at 55"
    );
    click(&ui, "身份证有效期止 长期有效");
    assert_eq!(page.get_id_valid_to_error(), "");
    assert_eq!(page.get_valid_to_text(), "长期有效");
    type_into(&ui, "手机号码", p.phone());
    click(&ui, "获取验证码");
    assert_eq!(page.get_sms_button_text(), "重新发送(60)");
    assert!(!page.get_sms_button_enabled());
    let code = s.sms_code(p.phone()).expect("the server sent a code");
    type_into(&ui, "短信验证码", &code);
    type_into(&ui, "登录密码", PASSWORD);
    type_into(&ui, "确认密码", "abc12346");
    click(&ui, "我已阅读并同意《个人注册协议》");
    assert!(page.get_agree_terms());
    click(&ui, "注册");
    assert_eq!(page.get_password_confirm_error(), "两次输入的密码不一致");
    type_into(&ui, "确认密码", PASSWORD);
    assert_eq!(page.get_password_confirm_error(), "");
    click(&ui, "注册");
    assert_eq!(
        ui.window.global::<Nav>().get_screen(),
        "login",
        "{}",
        page.get_message()
    );
    assert_eq!(
        ui.window.global::<LoginPage>().get_message(),
        "注册成功,请登录"
    );
    assert_eq!(ui.window.global::<LoginPage>().get_login(), p.phone());
    // The account exists: it logs in.
    log_in_as(&ui, p.phone(), "home");
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
    init_backend();
    let deps = app::ui::Deps {
        api: client(),
        drafts: None,
        runner: app::ui::Runner::Inline,
        today: app::ui::local_today,
    };
    // As on Linux: the capture notice shows on every screen.
    let ui = app::ui::Ui::new(
        deps,
        app::platform::capture::CaptureProtection::Unsupported {
            reason_zh: LINUX_NOTICE,
        },
    )
    .unwrap();
    ui.window.show().unwrap();
    ui.window
        .window()
        .set_size(slint::LogicalSize::new(480., 3000.));
    assert_eq!(ui.window.global::<Nav>().get_capture_notice(), LINUX_NOTICE);
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

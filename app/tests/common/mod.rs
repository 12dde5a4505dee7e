//! Helpers the headless UI tests share (`mod common;` in each `tests/ui_*.rs`): starting the UI
//! on the in-memory `FakeAccounts`, finding elements by accessible-label, typing, clicking, and
//! logging in through the login screen with the slide answer the fake knows. One copy, so every
//! test drives the app the same way.
#![allow(dead_code)] // Each test binary uses its own subset.

use std::sync::Arc;

use app::api::fake::FakeAccounts;
use app::drafts::DraftStore;
use app::platform::capture::CaptureProtection;
use app::ui::{Deps, Runner, Ui};
use app::{LoginPage, Nav, WizardPage};
use chrono::NaiveDate;
use i_slint_backend_testing::ElementHandle;
use slint::{ComponentHandle, Model};

/// The fixed "today" of the tests that check dates (within the 2026 review period).
pub fn fixed_today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 2, 1).unwrap()
}

/// The UI on `api` (screen capture blocked), shown, inline runner.
pub fn start_ui(
    api: Arc<FakeAccounts>,
    drafts: Option<Arc<DraftStore>>,
    today: fn() -> NaiveDate,
) -> Ui {
    let deps = Deps {
        api,
        drafts,
        runner: Runner::Inline,
        today,
    };
    let ui = Ui::new(deps, CaptureProtection::Blocked).unwrap();
    ui.window.show().unwrap();
    ui
}

/// [`start_ui`] with a device store, in a phone-wide window tall enough that nothing scrolls
/// (the search API skips elements scrolled out of view).
pub fn start_phone(
    api: Arc<FakeAccounts>,
    drafts: Arc<DraftStore>,
    today: fn() -> NaiveDate,
) -> Ui {
    let ui = start_ui(api, Some(drafts), today);
    ui.window
        .window()
        .set_size(slint::LogicalSize::new(480., 4000.));
    ui
}

pub fn find(ui: &Ui, label: &str) -> Option<ElementHandle> {
    ElementHandle::find_by_accessible_label(&ui.window, label).next()
}

pub fn one(ui: &Ui, label: &str) -> ElementHandle {
    find(ui, label).unwrap_or_else(|| panic!("no element labelled {label:?}"))
}

pub fn has(ui: &Ui, label: &str) -> bool {
    find(ui, label).is_some()
}

pub fn click(ui: &Ui, label: &str) {
    one(ui, label).invoke_accessible_default_action();
}

pub fn type_into(ui: &Ui, label: &str, text: &str) {
    one(ui, label).set_accessible_value(text);
}

pub fn screen(ui: &Ui) -> String {
    ui.window.global::<Nav>().get_screen().to_string()
}

/// Logs in as `phone` (password abc12345, the slide to the current captcha's answer) and checks
/// that `expected_screen` opened.
pub fn log_in_as(ui: &Ui, api: &FakeAccounts, phone: &str, expected_screen: &str) {
    type_into(ui, "手机号或身份证号", phone);
    type_into(ui, "密码", "abc12345");
    let id = ui.current_captcha_id().expect("a captcha was issued");
    ui.window
        .global::<LoginPage>()
        .set_slider_offset(api.captcha_answer(&id).unwrap() as f32);
    click(ui, "登录");
    assert_eq!(screen(ui), expected_screen);
}

/// Logs in as the demo veteran 陈松 (13300001234): 首页.
pub fn log_in(ui: &Ui, api: &FakeAccounts) {
    log_in_as(ui, api, "13300001234", "home");
}

/// A small solid-colour PNG in `dir` (an ID-card photo stand-in); its path.
pub fn photo_file(dir: &std::path::Path, name: &str) -> String {
    let path = dir.join(name);
    image::RgbImage::from_pixel(64, 40, image::Rgb([30, 90, 160]))
        .save(&path)
        .unwrap();
    path.to_string_lossy().into_owned()
}

/// Both ID-card photos on the wizard's first step: `front.png` and `back_name` (its extension
/// picks PNG or JPEG), written to `dir`.
pub fn add_id_photos(ui: &Ui, dir: &std::path::Path, back_name: &str) {
    let page = ui.window.global::<WizardPage>();
    page.invoke_photo_file(
        "basic.id_front_photo".into(),
        photo_file(dir, "front.png").into(),
    );
    page.invoke_photo_file(
        "basic.id_back_photo".into(),
        photo_file(dir, back_name).into(),
    );
}

/// The error shown next to the wizard field `key` on the current step.
pub fn error_of(ui: &Ui, key: &str) -> String {
    let rows = ui.window.global::<WizardPage>().get_rows();
    rows.iter()
        .find(|r| r.key == key)
        .map(|r| r.error.to_string())
        .unwrap_or_else(|| panic!("no row {key}"))
}

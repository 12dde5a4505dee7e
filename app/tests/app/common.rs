//! What the app's tests share: the real server ([`tests::blocking::Server::shared`]: started
//! in-process on port 0 with a fresh SQLite data directory, one per test binary, fresh people
//! per test), the app's own `HttpClient` to it — through a [`Gate`] when a test takes the
//! network away — and the headless UI (`i-slint-backend-testing`) driven through accessibility
//! labels, logging in through the login screen with the slider answer the server stored.

use std::sync::Arc;

use app::api::HttpClient;
use app::drafts::DraftStore;
use app::platform::capture::CaptureProtection;
use app::ui::{local_today, Deps, Runner, Ui};
use app::{LoginPage, Nav, WizardPage};
use i_slint_backend_testing::ElementHandle;
use slint::{ComponentHandle, Model};
use tests::blocking::Server;
use tests::gate::Gate;

pub use tests::PASSWORD;

/// The server every test of this binary shares.
pub fn server() -> &'static Server {
    Server::shared()
}

/// A gate in front of the shared server and the app's client behind it.
pub fn gated() -> (Gate, HttpClient) {
    let gate = server().gate();
    let api = HttpClient::new(&gate.url()).unwrap();
    (gate, api)
}

/// The app's client straight to the shared server.
pub fn client() -> HttpClient {
    HttpClient::new(server().url()).unwrap()
}

/// The headless backend, once per thread (each test runs on its own thread; a test may start
/// a second UI, as after an app restart).
pub fn init_backend() {
    thread_local!(static DONE: std::cell::Cell<bool> = const { std::cell::Cell::new(false) });
    DONE.with(|done| {
        if !done.replace(true) {
            i_slint_backend_testing::init_no_event_loop();
        }
    });
}

/// The UI on `api` (screen capture blocked), shown, inline runner, today the local date (the
/// server's clock is the OS's too).
pub fn start_ui(api: HttpClient, drafts: Option<Arc<DraftStore>>) -> Ui {
    init_backend();
    let deps = Deps {
        api,
        drafts,
        runner: Runner::Inline,
        today: local_today,
    };
    let ui = Ui::new(deps, CaptureProtection::Blocked).unwrap();
    ui.window.show().unwrap();
    ui
}

/// [`start_ui`] with a device store, in a phone-wide window tall enough that nothing scrolls
/// (the search API skips elements scrolled out of view).
pub fn start_phone(api: HttpClient, drafts: Arc<DraftStore>) -> Ui {
    let ui = start_ui(api, Some(drafts));
    ui.window
        .window()
        .set_size(slint::LogicalSize::new(480., 4000.));
    ui
}

/// A device store in `dir` sealed with `key`.
pub fn drafts(dir: &std::path::Path, key: u8) -> Arc<DraftStore> {
    Arc::new(DraftStore::open(dir, &app::drafts::StaticKey([key; 32])).unwrap())
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

/// The answer to the captcha the login screen shows now.
pub fn slide_answer(ui: &Ui) -> i64 {
    let id = ui.current_captcha_id().expect("a captcha was issued");
    server().captcha_answer(&id)
}

/// Logs in as `login` (password [`PASSWORD`], the slide to the current captcha's answer) and
/// checks that `expected_screen` opened.
pub fn log_in_as(ui: &Ui, login: &str, expected_screen: &str) {
    type_into(ui, "手机号或身份证号", login);
    type_into(ui, "密码", PASSWORD);
    ui.window
        .global::<LoginPage>()
        .set_slider_offset(slide_answer(ui) as f32);
    click(ui, "登录");
    assert_eq!(
        screen(ui),
        expected_screen,
        "{}",
        ui.window.global::<LoginPage>().get_message()
    );
}

/// Makes the staff screen a tall tablet: the test backend finds only what lies inside the
/// window.
pub fn tall_tablet(ui: &Ui) {
    let width = ui.window.window().size().width as f32 / ui.window.window().scale_factor();
    ui.window
        .window()
        .set_size(slint::LogicalSize::new(width, 3000.));
}

/// A small image file in `dir` (an ID-card photo or evidence stand-in; the extension picks PNG
/// or JPEG); its path.
pub fn photo_file(dir: &std::path::Path, name: &str) -> String {
    let path = dir.join(name);
    image::RgbImage::from_fn(64, 40, |x, y| image::Rgb([x as u8 * 3, y as u8 * 5, 120]))
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

/// The row `key` of the wizard's current step: (value, error).
fn row(ui: &Ui, key: &str) -> (String, String) {
    let rows = ui.window.global::<WizardPage>().get_rows();
    rows.iter()
        .find(|r| r.key == key)
        .map(|r| (r.value.to_string(), r.error.to_string()))
        .unwrap_or_else(|| panic!("no row {key}"))
}

/// The error shown next to the wizard field `key` on the current step.
pub fn error_of(ui: &Ui, key: &str) -> String {
    row(ui, key).1
}

/// The value of the wizard field `key` on the current step.
pub fn value_of(ui: &Ui, key: &str) -> String {
    row(ui, key).0
}

/// How the server masks `name` (what every screen but the staff tablet's shows).
pub fn masked(name: &str) -> String {
    server::domain::mask_name(name)
}

/// The face test data's recorded clips, if present.
pub fn faces() -> Option<std::path::PathBuf> {
    let dir = app::liveness::testdata::faces_dir();
    if dir.is_none() {
        eprintln!("skipped: ../shared/testdata/faces not found");
    }
    dir
}

/// A photo of p07's face (the person in the recorded clips), for reference photos.
pub fn p07_photo(faces: &std::path::Path) -> Vec<u8> {
    std::fs::read(faces.join("stills/p07/p07_enroll.jpg")).unwrap()
}

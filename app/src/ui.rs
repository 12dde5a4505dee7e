//! Wiring between the Slint components (`ui/*.slint`) and the controllers.
//!
//! Everything here runs on the UI thread. Server calls go through a [`Runner`]: on a background
//! thread in the app ([`Runner::Background`]), inline in headless tests ([`Runner::Inline`]).

mod review;
mod reviewer;
mod staff;

pub use review::{PRIVACY_NOTICE, QUEUED_NOTE};

use std::cell::RefCell;
use std::rc::Rc;
use std::sync::Arc;
use std::time::Duration;

use chrono::{Datelike, NaiveDate};
use shared::error::{FieldError, UserError};
use slint::{ComponentHandle, SharedPixelBuffer, SharedString};

use crate::api::{HttpClient, PasswordResetRequest, Profile, SmsPurpose};
use crate::controllers::login::{self, LoginOutcome, SliderCaptcha};
use crate::controllers::register::{self, term_from_label, RegisterForm, RegisterOutcome};
use crate::controllers::wizard::{Row, Rules, SharedRules, Values, Wizard};
use crate::controllers::Session;
use crate::drafts::DraftStore;
use crate::fields;
use crate::platform::capture::CaptureProtection;
use crate::{
    AppWindow, FormRow, HomePage, LoginPage, MinePage, Nav, RegionLevel, RegisterPage, ResetPage,
    WizardPage,
};

/// How server calls are run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Runner {
    /// On the calling thread (tests).
    Inline,
    /// On a new thread; the result comes back on the UI thread.
    Background,
}

impl Runner {
    /// Runs `job`, then `done` with its result on the UI thread.
    pub(crate) fn run<T: Send + 'static>(
        &self,
        job: impl FnOnce() -> T + Send + 'static,
        done: impl FnOnce(T) + 'static,
    ) {
        match self {
            Runner::Inline => done(job()),
            Runner::Background => {
                let (tx, rx) = futures_channel::oneshot::channel();
                std::thread::spawn(move || {
                    let _ = tx.send(job());
                });
                let _ = slint::spawn_local(async move {
                    if let Ok(v) = rx.await {
                        done(v);
                    }
                });
            }
        }
    }
}

/// What the UI needs from outside.
pub struct Deps {
    pub api: HttpClient,
    pub drafts: Option<Arc<DraftStore>>,
    pub runner: Runner,
    /// "Today" in the user's time zone (a parameter so tests can fix it).
    pub today: fn() -> NaiveDate,
}

/// Today in the local time zone.
pub fn local_today() -> NaiveDate {
    chrono::Local::now().date_naive()
}

struct State {
    deps: Deps,
    captcha_id: Option<String>,
    session: Option<Session>,
    profile: Option<Profile>,
    sms_timer: Option<slint::Timer>,
    wizard: Option<Wizard>,
    rules: Box<dyn Rules>,
    rows: Rc<slint::VecModel<FormRow>>,
    /// This year's review as the server last said (`None` when it was unreachable).
    current: Option<shared::api::review::CurrentReview>,
    /// Retries a waiting submission (desktop only).
    retry_timer: Option<slint::Timer>,
    /// Where 拍照 takes ID-card photos from.
    photo_camera: Option<std::path::PathBuf>,
    /// The 身份核验 panel (`liveness_ui.rs`).
    liveness: Option<Rc<crate::liveness_ui::LivenessUi>>,
    /// The staff screens (`staff.rs`): the tablet's store, chosen photos, 代为年审.
    staff: staff::StaffState,
}

/// What the offline draft of a review holds.
#[derive(serde::Serialize, serde::Deserialize)]
struct SavedReview {
    values: Values,
    step: usize,
    reached: usize,
    /// The full 姓名 and 身份证号 to submit with (from the server's record), for when the draft
    /// is reopened without a connection.
    #[serde(default)]
    identity: Option<(String, String)>,
}

impl SavedReview {
    /// What is saved of `w`. The masked name and ID are display-only (they come from the
    /// profile or the staff store's detail); they are not part of the draft.
    fn of(w: &Wizard) -> SavedReview {
        let mut values = w.values.clone();
        values.remove("basic.name");
        values.remove("basic.id_number");
        SavedReview {
            values,
            step: w.step,
            reached: w.reached,
            identity: w.identity.clone(),
        }
    }

    /// The wizard on the saved values, at the saved step (clamped to the steps there are).
    fn into_wizard(self) -> Wizard {
        let mut w = Wizard::new(self.values);
        w.reached = self
            .reached
            .min(crate::controllers::wizard::STEPS.len() - 1);
        w.step = self.step.min(w.reached);
        w
    }
}

fn form_row(r: Row) -> FormRow {
    let options: Vec<SharedString> = r.options.into_iter().map(SharedString::from).collect();
    FormRow {
        key: r.key.into(),
        label: r.label.into(),
        kind: r.kind.into(),
        value: r.value.into(),
        options: slint::ModelRc::new(slint::VecModel::from(options)),
        placeholder: r.placeholder.into(),
        error: r.error.into(),
        levels: slint::ModelRc::new(slint::VecModel::from(
            r.levels
                .into_iter()
                .map(|l| RegionLevel {
                    title: l.title.into(),
                    options: slint::ModelRc::new(slint::VecModel::from(
                        l.options
                            .into_iter()
                            .map(SharedString::from)
                            .collect::<Vec<_>>(),
                    )),
                    selected: l.selected.into(),
                })
                .collect::<Vec<_>>(),
        )),
    }
}

/// The running UI: the window and the state behind it.
pub struct Ui {
    pub window: AppWindow,
    state: Rc<RefCell<State>>,
}

fn rgba_image(img: &image::RgbaImage) -> slint::Image {
    let buf = SharedPixelBuffer::<slint::Rgba8Pixel>::clone_from_slice(
        img.as_raw(),
        img.width(),
        img.height(),
    );
    slint::Image::from_rgba8(buf)
}

fn err_text(e: &Option<FieldError>) -> SharedString {
    e.as_ref().map(|e| e.message.as_str()).unwrap_or("").into()
}

impl Ui {
    /// Builds the window, wires every callback and shows the login screen.
    pub fn new(deps: Deps, capture: CaptureProtection) -> Result<Ui, slint::PlatformError> {
        let window = AppWindow::new()?;
        if let Some(notice) = capture.notice_zh() {
            window.global::<Nav>().set_capture_notice(notice.into());
        }
        let state = Rc::new(RefCell::new(State {
            deps,
            captcha_id: None,
            session: None,
            profile: None,
            sms_timer: None,
            wizard: None,
            rules: Box::new(SharedRules),
            rows: Rc::new(slint::VecModel::default()),
            current: None,
            retry_timer: None,
            photo_camera: None,
            liveness: None,
            staff: staff::StaffState::default(),
        }));
        let ui = Ui { window, state };
        ui.wire_login();
        ui.wire_register();
        ui.wire_reset();
        ui.wire_home();
        ui.wire_wizard();
        ui.wire_review();
        ui.wire_liveness();
        ui.wire_staff();
        ui.wire_reviewer();
        ui.refresh_captcha();
        Ok(ui)
    }

    /// Wires the 身份核验 panel; its proof goes to the wizard through [`Ui::set_verified`].
    fn wire_liveness(&self) {
        let session = self.handle_weak();
        let verified = self.handle_weak();
        let hooks = crate::liveness_ui::LivenessHooks {
            api: self.api(),
            runner: self.runner(),
            token: Box::new(move || session.upgrade()?.session().map(|s| s.token)),
            on_verified: Box::new(move |v| {
                if let Some(ui) = verified.upgrade() {
                    ui.set_verified(v);
                }
            }),
        };
        let panel = crate::liveness_ui::LivenessUi::wire(&self.window, hooks);
        self.state.borrow_mut().liveness = Some(panel);
    }

    /// The 身份核验 panel: its camera (`set_camera`) and face models.
    pub fn liveness(&self) -> Rc<crate::liveness_ui::LivenessUi> {
        self.state
            .borrow()
            .liveness
            .clone()
            .expect("wired in Ui::new")
    }

    /// The id of the captcha on screen (tests read its answer from the demo server).
    pub fn current_captcha_id(&self) -> Option<String> {
        self.state.borrow().captcha_id.clone()
    }

    /// The logged-in session, if any.
    pub fn session(&self) -> Option<Session> {
        self.state.borrow().session.clone()
    }

    fn today(&self) -> NaiveDate {
        (self.state.borrow().deps.today)()
    }

    fn api(&self) -> HttpClient {
        self.state.borrow().deps.api.clone()
    }

    fn runner(&self) -> Runner {
        self.state.borrow().deps.runner
    }

    /// Fetches a new slider captcha and resets the slider.
    pub fn refresh_captcha(&self) {
        let api = self.api();
        let ui = self.handle_weak();
        self.runner().run(
            move || api.captcha(),
            move |result| {
                let Some(ui) = ui.upgrade() else { return };
                let page = ui.window.global::<LoginPage>();
                page.set_slider_offset(0.0);
                match result.ok().as_ref().and_then(SliderCaptcha::decode) {
                    Some(c) => {
                        page.set_captcha_background(rgba_image(&c.background));
                        page.set_captcha_piece(rgba_image(&c.piece));
                        page.set_captcha_piece_y(c.piece_y as f32);
                        page.set_captcha_width(c.width as f32);
                        page.set_captcha_height(c.height as f32);
                        page.set_captcha_piece_size(c.piece.width() as f32);
                        ui.state.borrow_mut().captcha_id = Some(c.id);
                    }
                    None => {
                        ui.state.borrow_mut().captcha_id = None;
                        page.set_message("滑块验证加载失败,请检查网络后点击“换一张”重试".into());
                    }
                }
            },
        );
    }

    /// A callback that runs `f` on this UI while it is alive (a weak handle: a callback must not
    /// keep the window alive).
    fn act(&self, f: impl Fn(&Ui) + 'static) -> impl FnMut() + 'static {
        let ui = self.handle_weak();
        move || {
            if let Some(ui) = ui.upgrade() {
                f(&ui);
            }
        }
    }

    /// [`Ui::act`] for a callback with one argument.
    fn act_with<A>(&self, f: impl Fn(&Ui, A) + 'static) -> impl FnMut(A) + 'static {
        let ui = self.handle_weak();
        move |a| {
            if let Some(ui) = ui.upgrade() {
                f(&ui, a);
            }
        }
    }

    fn handle_weak(&self) -> WeakUi {
        WeakUi {
            window: self.window.as_weak(),
            state: Rc::downgrade(&self.state),
        }
    }

    fn wire_login(&self) {
        let page = self.window.global::<LoginPage>();

        let ui = self.handle_weak();
        page.on_field_edited(move |field| {
            let Some(ui) = ui.upgrade() else { return };
            let page = ui.window.global::<LoginPage>();
            let today = ui.today();
            let (err, shown) = match field.as_str() {
                "login" => (
                    fields::login_name("login", &page.get_login(), today).err(),
                    page.get_login_error(),
                ),
                "phone" => (
                    fields::phone("phone", &page.get_phone()).err(),
                    page.get_phone_error(),
                ),
                "sms_code" => (
                    fields::sms_code("sms_code", &page.get_sms_code()).err(),
                    page.get_sms_code_error(),
                ),
                "password" => (None, page.get_password_error()),
                _ => return,
            };
            let err = err.filter(|e| fields::show_while_typing(e, !shown.is_empty()));
            let text = err_text(&err);
            match field.as_str() {
                "login" => page.set_login_error(text),
                "phone" => page.set_phone_error(text),
                "sms_code" => page.set_sms_code_error(text),
                _ => page.set_password_error(text),
            }
        });

        let ui = self.handle_weak();
        page.on_refresh_captcha(move || {
            if let Some(ui) = ui.upgrade() {
                ui.refresh_captcha();
            }
        });

        let ui = self.handle_weak();
        page.on_submit(move || {
            if let Some(ui) = ui.upgrade() {
                ui.submit_login();
            }
        });

        let ui = self.handle_weak();
        page.on_send_sms(move || {
            let Some(ui) = ui.upgrade() else { return };
            let phone = ui.window.global::<LoginPage>().get_phone().to_string();
            ui.send_sms(phone, SmsPurpose::Login, SmsTarget::Login);
        });

        let ui = self.handle_weak();
        page.on_forgot_password(move || {
            if let Some(ui) = ui.upgrade() {
                ui.window.global::<Nav>().set_screen("reset".into());
            }
        });

        let ui = self.handle_weak();
        page.on_go_register(move || {
            if let Some(ui) = ui.upgrade() {
                ui.window.global::<Nav>().set_screen("register".into());
            }
        });
    }

    fn submit_login(&self) {
        let page = self.window.global::<LoginPage>();
        let today = self.today();
        let api = self.api();
        let sms = page.get_mode() == 1;
        let (login_name, password, phone, code) = (
            page.get_login().to_string(),
            page.get_password().to_string(),
            page.get_phone().to_string(),
            page.get_sms_code().to_string(),
        );
        let captcha_id = self.state.borrow().captcha_id.clone();
        let x = page.get_slider_offset().round() as i64;
        page.set_message("".into());
        page.set_busy(true);
        let ui = self.handle_weak();
        self.runner().run(
            move || {
                if sms {
                    login::sms_login(&api, &phone, &code, today)
                } else {
                    login::password_login(
                        &api,
                        captcha_id.as_deref(),
                        &login_name,
                        &password,
                        x,
                        today,
                    )
                }
            },
            move |outcome| {
                let Some(ui) = ui.upgrade() else { return };
                let page = ui.window.global::<LoginPage>();
                page.set_busy(false);
                match outcome {
                    LoginOutcome::LoggedIn(session) => {
                        page.set_password("".into());
                        page.set_sms_code("".into());
                        let role = session.role;
                        ui.state.borrow_mut().session = Some(session);
                        ui.open_for_role(role);
                    }
                    LoginOutcome::Invalid(errors) => {
                        for field in ["login", "password", "phone", "sms_code"] {
                            let e = errors.iter().find(|e| e.field == field).cloned();
                            let text = err_text(&e);
                            match field {
                                "login" => page.set_login_error(text),
                                "password" => page.set_password_error(text),
                                "phone" => page.set_phone_error(text),
                                _ => page.set_sms_code_error(text),
                            }
                        }
                    }
                    LoginOutcome::Rejected { message, .. } | LoginOutcome::Locked { message } => {
                        page.set_message(message.into());
                        if !sms {
                            ui.refresh_captcha();
                        }
                    }
                }
            },
        );
    }

    fn send_sms(&self, phone: String, purpose: SmsPurpose, target: SmsTarget) {
        let api = self.api();
        let ui = self.handle_weak();
        self.runner().run(
            move || register::request_sms_code(&api, &phone, purpose),
            move |result| {
                let Some(ui) = ui.upgrade() else { return };
                match result {
                    Ok(()) => {
                        target.set_error(&ui.window, "phone", "");
                        target.set_error(&ui.window, "sms_code", "");
                        ui.start_sms_countdown(target);
                    }
                    Err(e) => target.set_error(&ui.window, &e.field, &e.message),
                }
            },
        );
    }

    fn start_sms_countdown(&self, target: SmsTarget) {
        const SECONDS: u32 = 60;
        target.set_button(&self.window, &format!("重新发送({SECONDS})"), false);
        let timer = slint::Timer::default();
        let window = self.window.as_weak();
        let left = std::cell::Cell::new(SECONDS);
        timer.start(
            slint::TimerMode::Repeated,
            Duration::from_secs(1),
            move || {
                let Some(window) = window.upgrade() else {
                    return;
                };
                let n = left.get().saturating_sub(1);
                left.set(n);
                if n == 0 {
                    target.set_button(&window, "获取验证码", true);
                } else {
                    target.set_button(&window, &format!("重新发送({n})"), false);
                }
            },
        );
        self.state.borrow_mut().sms_timer = Some(timer);
    }

    fn register_form(&self) -> RegisterForm {
        let p = self.window.global::<RegisterPage>();
        RegisterForm {
            name: p.get_name().into(),
            id_number: p.get_id_number().into(),
            id_valid_from: p.get_id_valid_from().into(),
            term: term_from_label(&p.get_term()),
            phone: p.get_phone().into(),
            sms_code: p.get_sms_code().into(),
            password: p.get_password().into(),
            password_confirm: p.get_password_confirm().into(),
            agree_terms: p.get_agree_terms(),
        }
    }

    fn set_register_error(&self, field: &str, text: &str) {
        let p = self.window.global::<RegisterPage>();
        let t: SharedString = text.into();
        match field {
            "name" => p.set_name_error(t),
            "id_number" => p.set_id_number_error(t),
            "id_valid_from" => p.set_id_valid_from_error(t),
            "id_valid_to" => p.set_id_valid_to_error(t),
            "phone" => p.set_phone_error(t),
            "sms_code" => p.set_sms_code_error(t),
            "password" => p.set_password_error(t),
            "password_confirm" => p.set_password_confirm_error(t),
            "agree_terms" => p.set_agree_terms_error(t),
            _ => p.set_message(t),
        }
    }

    fn register_error_shown(&self, field: &str) -> bool {
        let p = self.window.global::<RegisterPage>();
        let s = match field {
            "name" => p.get_name_error(),
            "id_number" => p.get_id_number_error(),
            "id_valid_from" => p.get_id_valid_from_error(),
            "id_valid_to" => p.get_id_valid_to_error(),
            "phone" => p.get_phone_error(),
            "sms_code" => p.get_sms_code_error(),
            "password" => p.get_password_error(),
            "password_confirm" => p.get_password_confirm_error(),
            "agree_terms" => p.get_agree_terms_error(),
            _ => SharedString::new(),
        };
        !s.is_empty()
    }

    fn wire_register(&self) {
        let page = self.window.global::<RegisterPage>();

        let ui = self.handle_weak();
        page.on_field_edited(move |field| {
            let Some(ui) = ui.upgrade() else { return };
            let form = ui.register_form();
            let today = ui.today();
            // The validity depends on the ID number and the start date too.
            let mut affected = vec![field.to_string()];
            if matches!(field.as_str(), "id_number" | "id_valid_from") && form.term.is_some() {
                affected.push("id_valid_to".into());
            }
            if field == "password" && !form.password_confirm.is_empty() {
                affected.push("password_confirm".into());
            }
            for f in affected {
                let err = form.check(&f, today);
                let explicit = matches!(f.as_str(), "id_valid_to" | "agree_terms");
                let err = err.filter(|e| {
                    explicit || fields::show_while_typing(e, ui.register_error_shown(&f))
                });
                ui.set_register_error(&f, err.as_ref().map(|e| e.message.as_str()).unwrap_or(""));
            }
            ui.window
                .global::<RegisterPage>()
                .set_valid_to_text(form.validity_end_text(today).into());
        });

        let ui = self.handle_weak();
        page.on_send_sms(move || {
            let Some(ui) = ui.upgrade() else { return };
            let phone = ui.window.global::<RegisterPage>().get_phone().to_string();
            ui.send_sms(phone, SmsPurpose::Register, SmsTarget::Register);
        });

        let ui = self.handle_weak();
        page.on_submit(move || {
            let Some(ui) = ui.upgrade() else { return };
            let form = ui.register_form();
            let today = ui.today();
            let api = ui.api();
            let page = ui.window.global::<RegisterPage>();
            page.set_message("".into());
            for f in register::FIELDS {
                ui.set_register_error(f, "");
            }
            page.set_busy(true);
            let weak = ui.handle_weak();
            ui.runner().run(
                move || register::submit(&api, &form, today),
                move |outcome| {
                    let Some(ui) = weak.upgrade() else { return };
                    let page = ui.window.global::<RegisterPage>();
                    page.set_busy(false);
                    match outcome {
                        RegisterOutcome::Registered { notice } => {
                            page.set_password("".into());
                            page.set_password_confirm("".into());
                            page.set_sms_code("".into());
                            let login = ui.window.global::<LoginPage>();
                            login.set_login(page.get_phone());
                            login.set_message(notice.into());
                            ui.window.global::<Nav>().set_screen("login".into());
                        }
                        RegisterOutcome::Invalid(errors) => {
                            for e in &errors {
                                ui.set_register_error(&e.field, &e.message);
                            }
                            page.set_message("填写的信息有误,请按提示修改".into());
                        }
                        RegisterOutcome::Rejected { message, .. } => {
                            page.set_message(message.into())
                        }
                    }
                },
            );
        });

        let ui = self.handle_weak();
        page.on_back(move || {
            if let Some(ui) = ui.upgrade() {
                ui.window.global::<Nav>().set_screen("login".into());
            }
        });
    }

    fn wire_reset(&self) {
        let page = self.window.global::<ResetPage>();

        let ui = self.handle_weak();
        page.on_field_edited(move |field| {
            let Some(ui) = ui.upgrade() else { return };
            let p = ui.window.global::<ResetPage>();
            let (err, shown) = match field.as_str() {
                "phone" => (
                    fields::phone("phone", &p.get_phone()).err(),
                    p.get_phone_error(),
                ),
                "sms_code" => (
                    fields::sms_code("sms_code", &p.get_sms_code()).err(),
                    p.get_sms_code_error(),
                ),
                "password" => (
                    fields::password("password", &p.get_password()).err(),
                    p.get_password_error(),
                ),
                "password_confirm" => {
                    let e = (p.get_password_confirm() != p.get_password()).then(|| {
                        FieldError::new(
                            "password_confirm",
                            "password_mismatch",
                            "两次输入的密码不一致",
                        )
                    });
                    (e, p.get_password_confirm_error())
                }
                _ => return,
            };
            let text = err_text(&err.filter(|e| fields::show_while_typing(e, !shown.is_empty())));
            match field.as_str() {
                "phone" => p.set_phone_error(text),
                "sms_code" => p.set_sms_code_error(text),
                "password" => p.set_password_error(text),
                _ => p.set_password_confirm_error(text),
            }
        });

        let ui = self.handle_weak();
        page.on_send_sms(move || {
            let Some(ui) = ui.upgrade() else { return };
            let phone = ui.window.global::<ResetPage>().get_phone().to_string();
            ui.send_sms(phone, SmsPurpose::ResetPassword, SmsTarget::Reset);
        });

        let ui = self.handle_weak();
        page.on_submit(move || {
            let Some(ui) = ui.upgrade() else { return };
            let p = ui.window.global::<ResetPage>();
            let phone = fields::phone("phone", &p.get_phone());
            let code = fields::sms_code("sms_code", &p.get_sms_code());
            let pw = fields::password("password", &p.get_password());
            let mismatch = p.get_password_confirm() != p.get_password();
            p.set_phone_error(err_text(&phone.as_ref().err().cloned()));
            p.set_sms_code_error(err_text(&code.as_ref().err().cloned()));
            p.set_password_error(err_text(&pw.as_ref().err().cloned()));
            p.set_password_confirm_error(if mismatch {
                "两次输入的密码不一致".into()
            } else {
                "".into()
            });
            let (Ok(phone), Ok(sms_code), Ok(new_password), false) = (phone, code, pw, mismatch)
            else {
                return;
            };
            let api = ui.api();
            let weak = ui.handle_weak();
            ui.runner().run(
                move || {
                    api.reset_password(&PasswordResetRequest {
                        phone,
                        sms_code,
                        new_password,
                    })
                },
                move |result| {
                    let Some(ui) = weak.upgrade() else { return };
                    let p = ui.window.global::<ResetPage>();
                    match result {
                        Ok(()) => {
                            p.set_password("".into());
                            p.set_password_confirm("".into());
                            p.set_sms_code("".into());
                            ui.window
                                .global::<LoginPage>()
                                .set_message("密码已重置,请使用新密码登录".into());
                            ui.window.global::<Nav>().set_screen("login".into());
                        }
                        Err(e) => p.set_message(e.message().into()),
                    }
                },
            );
        });

        let ui = self.handle_weak();
        page.on_back(move || {
            if let Some(ui) = ui.upgrade() {
                ui.window.global::<Nav>().set_screen("login".into());
            }
        });
    }

    /// The first screen after logging in: the staff list (`staff.rs`), the review queue
    /// (`reviewer.rs`), or 首页.
    fn open_for_role(&self, role: crate::controllers::Role) {
        use crate::controllers::Role;
        match role {
            Role::Staff => self.open_staff(),
            Role::Reviewer => self.open_reviewer(),
            Role::Veteran | Role::Admin | Role::Person => self.open_home(),
        }
    }

    /// Fetches the profile and this year's review, then shows 首页 (see `review.rs`).
    fn open_home(&self) {
        self.refresh_home();
    }

    fn has_draft(&self, user_id: &str, year: i32) -> bool {
        let state = self.state.borrow();
        let Some(drafts) = state.deps.drafts.as_ref() else {
            return false;
        };
        matches!(drafts.load::<serde_json::Value>(user_id, year), Ok(Some(_)))
    }

    fn wire_home(&self) {
        let page = self.window.global::<HomePage>();
        let ui = self.handle_weak();
        page.on_logout(move || {
            let Some(ui) = ui.upgrade() else { return };
            let session = ui.state.borrow_mut().session.take();
            ui.state.borrow_mut().profile = None;
            ui.state.borrow_mut().current = None;
            ui.state.borrow_mut().wizard = None;
            ui.state.borrow_mut().retry_timer = None;
            if let Some(session) = session {
                let api = ui.api();
                ui.runner().run(move || api.logout(&session.token), |_| {});
            }
            ui.window.global::<Nav>().set_screen("login".into());
            ui.refresh_captcha();
        });
        let ui = self.handle_weak();
        page.on_start_review(move || {
            if let Some(ui) = ui.upgrade() {
                ui.open_wizard();
            }
        });
    }

    /// Opens the wizard on this year's draft, the server's copy or last year's record (see
    /// `review.rs` for which wins).
    fn open_wizard(&self) {
        self.open_wizard_from_sources();
    }

    /// Copies the wizard's step and rows to the screen. With `rebuild`, the rows are replaced;
    /// otherwise only rows that changed are updated, so the field being typed in keeps focus.
    fn show_wizard(&self, rebuild: bool) {
        let state = self.state.borrow();
        let Some(w) = state.wizard.as_ref() else {
            return;
        };
        let page = self.window.global::<WizardPage>();
        page.set_step(w.step as i32);
        page.set_reached(w.reached as i32);
        page.set_can_submit(w.can_submit());
        let rows: Vec<FormRow> = w.rows().into_iter().map(form_row).collect();
        let model = &state.rows;
        use slint::Model;
        let same_keys = model.row_count() == rows.len()
            && rows
                .iter()
                .enumerate()
                .all(|(i, r)| model.row_data(i).is_some_and(|m| m.key == r.key));
        if rebuild || !same_keys {
            model.set_vec(rows);
        } else {
            for (i, r) in rows.into_iter().enumerate() {
                if model
                    .row_data(i)
                    .is_some_and(|m| m.error != r.error || m.kind != r.kind)
                {
                    model.set_row_data(i, r);
                }
            }
        }
    }

    fn save_draft(&self) {
        if self.is_assisted() {
            // 代为年审: saved in the tablet's store under the person, not as this user's draft.
            self.save_assisted_draft();
            return;
        }
        let today = self.today();
        let state = self.state.borrow();
        let (Some(w), Some(profile), Some(drafts)) = (
            state.wizard.as_ref(),
            state.profile.as_ref(),
            state.deps.drafts.as_ref(),
        ) else {
            return;
        };
        let saved = SavedReview::of(w);
        let year = state
            .current
            .as_ref()
            .map(|c| c.year)
            .unwrap_or(today.year());
        let note = match drafts.save(&profile.id, year, &saved) {
            Ok(()) => "草稿已自动保存".to_owned(),
            Err(e) => e.message(),
        };
        self.window
            .global::<WizardPage>()
            .set_saved_note(note.into());
    }

    fn wire_wizard(&self) {
        let page = self.window.global::<WizardPage>();

        let ui = self.handle_weak();
        page.on_edited(move |key, value| {
            let Some(ui) = ui.upgrade() else { return };
            let today = ui.today();
            let changed = {
                let mut guard = ui.state.borrow_mut();
                let state = &mut *guard;
                match state.wizard.as_mut() {
                    Some(w) => w.edit(&key, &value, state.rules.as_ref(), today),
                    None => false,
                }
            };
            if changed {
                ui.save_draft();
                ui.show_wizard(false);
            }
        });

        let ui = self.handle_weak();
        page.on_next(move || {
            let Some(ui) = ui.upgrade() else { return };
            let today = ui.today();
            let result = {
                let mut guard = ui.state.borrow_mut();
                let state = &mut *guard;
                state
                    .wizard
                    .as_mut()
                    .map(|w| w.next(state.rules.as_ref(), today))
            };
            let page = ui.window.global::<WizardPage>();
            match result {
                Some(Err(n)) => {
                    page.set_message(format!("有{n}处信息需要修改,请按提示填写").into())
                }
                _ => page.set_message("".into()),
            }
            ui.save_draft();
            ui.show_wizard(true);
        });

        let ui = self.handle_weak();
        page.on_prev(move || {
            let Some(ui) = ui.upgrade() else { return };
            if let Some(w) = ui.state.borrow_mut().wizard.as_mut() {
                w.prev();
            }
            ui.window.global::<WizardPage>().set_message("".into());
            ui.save_draft();
            ui.show_wizard(true);
        });

        let ui = self.handle_weak();
        page.on_jump(move |step| {
            let Some(ui) = ui.upgrade() else { return };
            let jumped = match (ui.state.borrow_mut().wizard.as_mut(), usize::try_from(step)) {
                (Some(w), Ok(step)) => w.jump(step),
                _ => false,
            };
            if jumped {
                ui.window.global::<WizardPage>().set_message("".into());
                ui.save_draft();
                ui.show_wizard(true);
            }
        });

        let ui = self.handle_weak();
        page.on_exit(move || {
            let Some(ui) = ui.upgrade() else { return };
            if ui.is_assisted() {
                ui.close_assisted("");
                return;
            }
            ui.save_draft();
            ui.state.borrow_mut().wizard = None;
            ui.open_home();
        });
    }
}

#[derive(Clone)]
struct WeakUi {
    window: slint::Weak<AppWindow>,
    state: std::rc::Weak<RefCell<State>>,
}

impl WeakUi {
    fn upgrade(&self) -> Option<Ui> {
        Some(Ui {
            window: self.window.upgrade()?,
            state: self.state.upgrade()?,
        })
    }
}

/// Which screen's SMS button and fields a code request updates.
#[derive(Debug, Clone, Copy)]
enum SmsTarget {
    Login,
    Register,
    Reset,
    Mine,
}

impl SmsTarget {
    fn set_button(self, w: &AppWindow, text: &str, enabled: bool) {
        match self {
            SmsTarget::Login => {
                w.global::<LoginPage>().set_sms_button_text(text.into());
                w.global::<LoginPage>().set_sms_button_enabled(enabled);
            }
            SmsTarget::Register => {
                w.global::<RegisterPage>().set_sms_button_text(text.into());
                w.global::<RegisterPage>().set_sms_button_enabled(enabled);
            }
            SmsTarget::Reset => {
                w.global::<ResetPage>().set_sms_button_text(text.into());
                w.global::<ResetPage>().set_sms_button_enabled(enabled);
            }
            SmsTarget::Mine => {
                w.global::<MinePage>().set_sms_button_text(text.into());
                w.global::<MinePage>().set_sms_button_enabled(enabled);
            }
        }
    }

    fn set_error(self, w: &AppWindow, field: &str, text: &str) {
        let t: SharedString = text.into();
        match (self, field) {
            (SmsTarget::Login, "phone") => w.global::<LoginPage>().set_phone_error(t),
            (SmsTarget::Login, _) => w.global::<LoginPage>().set_sms_code_error(t),
            (SmsTarget::Register, "phone") => w.global::<RegisterPage>().set_phone_error(t),
            (SmsTarget::Register, _) => w.global::<RegisterPage>().set_sms_code_error(t),
            (SmsTarget::Reset, "phone") => w.global::<ResetPage>().set_phone_error(t),
            (SmsTarget::Reset, _) => w.global::<ResetPage>().set_sms_code_error(t),
            (SmsTarget::Mine, "phone") => w.global::<MinePage>().set_new_phone_error(t),
            (SmsTarget::Mine, _) => w.global::<MinePage>().set_sms_code_error(t),
        }
    }
}

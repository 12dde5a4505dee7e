//! Wiring of the review beyond the form: this year's review from the server (首页 status,
//! prefill), the region pickers and ID-card photos of the wizard, 提交 through the offline queue,
//! the result screens, and 我的.

use std::path::PathBuf;
use std::time::Duration;

use chrono::Datelike;
use shared::api::review::{CurrentReview, SUBMITTED_MESSAGE};
use shared::error::{FieldError, UserError};
use slint::{ComponentHandle, SharedString};

use super::{SavedReview, SmsTarget, Ui};
use crate::api::review::ChangePhoneRequest;
use crate::api::{Profile, SmsPurpose};
use crate::controllers::home::home_view;
use crate::controllers::liveness::Verified;
use crate::controllers::wizard::{identity_of, values_from_shared, Values, Wizard};
use crate::fields;
use crate::platform::camera::{Camera, FramesDir};
use crate::queue::{
    jpeg_bytes, photo_from_bytes, PhotoError, QueuedPhoto, SendOutcome, SubmissionQueue,
};
use crate::{HomePage, MinePage, Nav, ResultPage, WizardPage};

/// Seed 000's 温馨提示 on 身份核验, and 我的's 个人信息保护 notice.
pub const PRIVACY_NOTICE: &str = "年度登记审核是退役军人事务部门联系对象、掌握情况、加强服务的一项重要制度。登记信息的真实准确性将影响后续退役金发放及服务保障待遇落实。在信息审核过程中,如发现存在虚假或隐瞒情形,年度登记将不能顺利通过。为避免带来不必要的麻烦,请您如实填写相关信息,感谢您的支持与配合!进行年度登记审核时,需要您上传本人身份证照片并核验您的人脸信息,依据《个人信息保护法》要求,核验的信息仅用于年度登记审核使用。";

/// What the screen says while a submission waits for the network.
pub const QUEUED_NOTE: &str = "已保存,网络恢复后自动提交";

/// How often a waiting submission is tried again (desktop; tests call [`Ui::retry_queue`]).
const RETRY_EVERY: Duration = Duration::from_secs(15);

fn photo_record(user_id: &str, year: i32, key: &str) -> Vec<u8> {
    format!("photo/{user_id}/{year}/{key}").into_bytes()
}

/// The result screen for a review status (`None`: nothing to show).
fn result_for(
    status: &str,
    reason: Option<&str>,
) -> Option<(&'static str, String, String, String)> {
    let reason = reason.unwrap_or("").to_owned();
    Some(match status {
        "approved" => (
            "approved",
            "恭喜您!".into(),
            "您的年度登记审核已通过!".into(),
            String::new(),
        ),
        "rejected" => (
            "rejected",
            "审核未通过".into(),
            "您的个人年审未通过,请及时查看并根据【不通过原因】,修改年审信息重新提交审核。".into(),
            reason,
        ),
        "submitted" | "resubmitted" | "special_check_pending" => (
            "pending",
            "已提交,待审核".into(),
            SUBMITTED_MESSAGE.into(),
            String::new(),
        ),
        _ => return None,
    })
}

impl Ui {
    pub(super) fn wire_review(&self) {
        let page = self.window.global::<WizardPage>();
        page.set_notice(PRIVACY_NOTICE.into());

        let ui = self.handle_weak();
        page.on_region_picked(move |key, level, name| {
            let Some(ui) = ui.upgrade() else { return };
            let today = ui.today();
            let changed = {
                let mut guard = ui.state.borrow_mut();
                let state = &mut *guard;
                match (state.wizard.as_mut(), usize::try_from(level)) {
                    (Some(w), Ok(level)) => {
                        w.pick_region(&key, level, &name, state.rules.as_ref(), today)
                    }
                    _ => false,
                }
            };
            if changed {
                ui.save_draft();
                ui.show_wizard(true);
            }
        });

        let ui = self.handle_weak();
        page.on_photo_file(move |key, path| {
            let Some(ui) = ui.upgrade() else { return };
            let path = path.trim();
            let result = if path.is_empty() {
                Err(PhotoError::Unreadable)
            } else {
                std::fs::read(path)
                    .map_err(|_| PhotoError::Unreadable)
                    .and_then(photo_from_bytes)
            };
            ui.set_photo(&key, result);
        });

        let ui = self.handle_weak();
        page.on_photo_camera(move |key| {
            let Some(ui) = ui.upgrade() else { return };
            let dir = ui.state.borrow().photo_camera.clone();
            let result = match dir {
                Some(dir) => photo_from_camera(&dir),
                None => Err(PhotoError::NoCamera),
            };
            ui.set_photo(&key, result);
        });

        let ui = self.handle_weak();
        page.on_submit(move || {
            let Some(ui) = ui.upgrade() else { return };
            if ui.is_assisted() {
                ui.submit_assisted();
            } else {
                ui.submit_review();
            }
        });

        let result = self.window.global::<ResultPage>();
        let ui = self.handle_weak();
        result.on_back_home(move || {
            if let Some(ui) = ui.upgrade() {
                ui.open_home();
            }
        });
        let ui = self.handle_weak();
        result.on_review_again(move || {
            if let Some(ui) = ui.upgrade() {
                ui.open_wizard();
            }
        });

        let home = self.window.global::<HomePage>();
        let ui = self.handle_weak();
        home.on_view_result(move || {
            if let Some(ui) = ui.upgrade() {
                ui.show_result_of_current();
            }
        });
        let ui = self.handle_weak();
        home.on_open_mine(move || {
            if let Some(ui) = ui.upgrade() {
                ui.open_mine();
            }
        });

        self.wire_mine();
    }

    /// Where 拍照 takes ID-card photos from (a directory of recorded frames; the first one is
    /// used). Without it, 拍照 says there is no camera and the file path is the way.
    pub fn set_photo_camera(&self, dir: Option<PathBuf>) {
        self.state.borrow_mut().photo_camera = dir;
    }

    fn user_and_year(&self) -> Option<(String, i32)> {
        let state = self.state.borrow();
        let user = state.profile.as_ref()?.id.clone();
        let year = state
            .current
            .as_ref()
            .map(|c| c.year)
            .unwrap_or_else(|| (state.deps.today)().year());
        Some((user, year))
    }

    /// This year's review as the server last said, if it was reachable.
    pub fn current_review(&self) -> Option<CurrentReview> {
        self.state.borrow().current.clone()
    }

    fn set_photo(&self, key: &str, result: Result<QueuedPhoto, PhotoError>) {
        if self.is_assisted() {
            // 代为年审: the person's photos stay with the tablet's queue, not in a draft.
            self.set_assisted_photo(key, result);
            return;
        }
        let today = self.today();
        let saved = match (result, self.user_and_year()) {
            (Ok(photo), Some((user, year))) => {
                let kb = photo.bytes.len().div_ceil(1024);
                let store = self.state.borrow().deps.drafts.clone();
                match store {
                    Some(store) => store
                        .save_record(&photo_record(&user, year, key), &photo)
                        .map(|()| format!("已选择 · {kb} KB"))
                        .map_err(|e| FieldError::new(key, e.code(), e.message())),
                    None => Err(FieldError::new(
                        key,
                        "drafts_disabled",
                        "本机存储不可用,无法保存照片",
                    )),
                }
            }
            (Ok(_), None) => return,
            (Err(e), _) => Err(FieldError::new(key, e.code(), e.message())),
        };
        {
            let mut guard = self.state.borrow_mut();
            let state = &mut *guard;
            let Some(w) = state.wizard.as_mut() else {
                return;
            };
            match saved {
                Ok(note) => {
                    w.edit(key, &note, state.rules.as_ref(), today);
                }
                Err(e) => {
                    w.shown.insert(key.to_owned(), e);
                }
            }
        }
        self.save_draft();
        self.show_wizard(true);
    }

    /// The seam with the 身份核验 step: its proof (or `None` after 重新核验).
    pub fn set_verified(&self, verified: Option<Verified>) {
        let assisted = self.is_assisted();
        let status = match &verified {
            Some(Verified::Challenge(_)) if assisted => {
                "本机核验已通过(同步时由服务器复核),请点击“提交”"
            }
            Some(Verified::Challenge(_)) => "身份核验已通过,请点击“提交”",
            Some(Verified::Newspaper(_)) => "读报照片已上传,请点击“提交”,由工作人员人工核验",
            None => "",
        };
        let can_submit = {
            let mut state = self.state.borrow_mut();
            match state.wizard.as_mut() {
                Some(w) => {
                    w.set_verified(verified);
                    w.can_submit()
                }
                None => false,
            }
        };
        let page = self.window.global::<WizardPage>();
        page.set_liveness_status(status.into());
        page.set_can_submit(can_submit);
    }

    /// Fetches the profile and this year's review, then shows 首页.
    pub(super) fn refresh_home(&self) {
        let Some(token) = self.session().map(|s| s.token) else {
            return;
        };
        let api = self.api();
        let ui = self.handle_weak();
        self.runner().run(
            move || (api.me(&token), api.current_review(&token).ok()),
            move |(profile, current)| {
                let Some(ui) = ui.upgrade() else { return };
                let home = ui.window.global::<HomePage>();
                match profile {
                    Ok(profile) => {
                        ui.state.borrow_mut().current = current;
                        ui.state.borrow_mut().profile = Some(profile.clone());
                        ui.show_home(&profile);
                        home.set_message("".into());
                    }
                    Err(e) => home.set_message(e.message().into()),
                }
                ui.window.global::<Nav>().set_screen("home".into());
                // A submission made offline goes out as soon as the server answers again.
                if ui.queued().is_some() {
                    ui.retry_queue();
                }
            },
        );
    }

    fn queued(&self) -> Option<crate::queue::QueuedSubmission> {
        let (user, year) = self.user_and_year()?;
        let store = self.state.borrow().deps.drafts.clone()?;
        SubmissionQueue::new(&store)
            .pending(&user, year)
            .ok()
            .flatten()
    }

    fn show_home(&self, profile: &Profile) {
        let today = self.today();
        let home = self.window.global::<HomePage>();
        let has_draft = self.has_draft(&profile.id, today.year());
        let current = self.state.borrow().current.clone();
        let view = home_view(profile, has_draft, today, current.as_ref());
        home.set_greeting(view.greeting.into());
        home.set_title(view.title.into());
        home.set_deadline(view.deadline.into());
        home.set_consequence(view.consequence.into());
        let queued = self.queued().is_some();
        let status = current.as_ref().map(|c| c.status.as_str()).unwrap_or("");
        let editable = matches!(status, "not_started" | "draft" | "rejected");
        let status_text = match &current {
            _ if queued => "已保存,等待网络恢复后提交".to_owned(),
            Some(_) if has_draft && status == "rejected" => {
                "审核未通过,草稿已保存,尚未重新提交".to_owned()
            }
            Some(_) if has_draft && editable => view.status,
            Some(c) => c.status_label.clone(),
            None => view.status,
        };
        home.set_status(status_text.into());
        home.set_queued_note(if queued {
            QUEUED_NOTE.into()
        } else {
            "".into()
        });
        let action = if !crate::controllers::home::has_review(profile) {
            "none"
        } else if queued {
            "queued"
        } else if result_for(status, None).is_some() {
            "result"
        } else if has_draft {
            "continue"
        } else {
            "start"
        };
        home.set_action(action.into());
    }

    fn show_result(&self, kind: &str, title: &str, message: &str, reason: &str) {
        let page = self.window.global::<ResultPage>();
        page.set_kind(kind.into());
        page.set_title(title.into());
        page.set_message(message.into());
        page.set_reason(reason.into());
        page.set_reason_open(false);
        self.window.global::<Nav>().set_screen("result".into());
    }

    fn show_result_of_current(&self) {
        let current = self.state.borrow().current.clone();
        let Some(c) = current else { return };
        if let Some((kind, title, message, reason)) =
            result_for(&c.status, c.rejection_reason.as_deref())
        {
            self.show_result(kind, &title, &message, &reason);
        }
    }

    /// Opens the wizard: the local draft if there is one, else the server's copy (after a
    /// rejection: the rejected form), else the form submitted from this device, else last
    /// year's record. How "newer" is decided: `CurrentReview` carries no time for its draft, so
    /// by origin — a local draft exists only for edits made on this device since its last
    /// acknowledged submission (it is removed when the server acknowledges, and this app does
    /// not upload drafts), so when there is one it is the newest copy the person made.
    pub(super) fn open_wizard_from_sources(&self) {
        let today = self.today();
        let (user_id, name, id) = {
            let state = self.state.borrow();
            let Some(profile) = state.profile.as_ref() else {
                return;
            };
            (
                profile.id.clone(),
                profile.masked_name.clone(),
                profile.masked_id_number.clone().unwrap_or_default(),
            )
        };
        let year = self.user_and_year().map(|(_, y)| y).unwrap_or(today.year());
        let (store, current) = {
            let state = self.state.borrow();
            (state.deps.drafts.clone(), state.current.clone())
        };
        let saved = store
            .as_ref()
            .and_then(|d| d.load::<SavedReview>(&user_id, year).ok().flatten());
        let submitted = store.as_ref().and_then(|d| {
            SubmissionQueue::new(d)
                .last_submitted(&user_id, year)
                .ok()
                .flatten()
        });
        let server_draft = current.as_ref().and_then(|c| c.draft.clone());
        let prefill = current.as_ref().and_then(|c| c.prefill.clone());
        let identity = [&server_draft, &submitted, &prefill]
            .into_iter()
            .flatten()
            .find_map(identity_of)
            .or_else(|| saved.as_ref().and_then(|s| s.identity.clone()));
        let (mut wizard, note) = match saved {
            Some(s) => (s.into_wizard(), "已恢复上次保存的草稿"),
            None => match server_draft
                .or(submitted)
                .map(|d| (d, true))
                .or(prefill.map(|d| (d, false)))
            {
                Some((d, own)) => (
                    Wizard::new(values_from_shared(&d)),
                    if own {
                        "已带入上次提交的信息,请按不通过原因修改"
                    } else {
                        "已带入上一年填报的信息,请核对"
                    },
                ),
                None => (Wizard::new(Values::new()), ""),
            },
        };
        if current.as_ref().map(|c| c.status.as_str()) != Some("rejected")
            && note.starts_with("已带入上次提交")
        {
            // A server draft that is not a rejected form: just the person's earlier copy.
            wizard.step = 0;
        }
        wizard.identity = identity;
        // Shown masked: the full name and ID number come from the roster, not from this device.
        wizard.values.insert("basic.name".into(), name);
        wizard.values.insert("basic.id_number".into(), id);
        // The photos are taken again every year: keep only those chosen on this device.
        for key in ["basic.id_front_photo", "basic.id_back_photo"] {
            let have = store.as_ref().is_some_and(|d| {
                matches!(
                    d.load_record::<QueuedPhoto>(&photo_record(&user_id, year, key)),
                    Ok(Some(_))
                )
            });
            if !have {
                wizard.values.remove(key);
            }
        }
        self.state.borrow_mut().wizard = Some(wizard);
        let page = self.window.global::<WizardPage>();
        page.set_title(self.window.global::<HomePage>().get_title());
        page.set_message("".into());
        page.set_saved_note(note.into());
        page.set_liveness_status("".into());
        page.set_can_submit(false);
        page.set_submitting(false);
        page.set_rows(self.state.borrow().rows.clone().into());
        self.show_wizard(true);
        self.window.global::<Nav>().set_screen("wizard".into());
    }

    /// 提交: checks everything, queues the submission (sealed, with a new `Idempotency-Key`)
    /// and sends it.
    pub fn submit_review(&self) {
        let today = self.today();
        let Some((user, year)) = self.user_and_year() else {
            return;
        };
        let page = self.window.global::<WizardPage>();
        let store = self.state.borrow().deps.drafts.clone();
        let Some(store) = store else {
            page.set_message("本机存储不可用,无法提交".into());
            return;
        };
        let checked = {
            let mut guard = self.state.borrow_mut();
            let state = &mut *guard;
            let Some(w) = state.wizard.as_mut() else {
                return;
            };
            let mut errors = state.rules.check(&w.values, today);
            let photos: Vec<Option<QueuedPhoto>> = ["basic.id_front_photo", "basic.id_back_photo"]
                .into_iter()
                .map(|key| {
                    store
                        .load_record::<QueuedPhoto>(&photo_record(&user, year, key))
                        .ok()
                        .flatten()
                })
                .collect();
            for (key, photo) in ["basic.id_front_photo", "basic.id_back_photo"]
                .into_iter()
                .zip(&photos)
            {
                if photo.is_none() && !errors.iter().any(|e| e.field == key) {
                    errors.push(FieldError::new(key, "required", "请上传身份证照片"));
                }
            }
            if !errors.is_empty() {
                let (n, _) = w.show_server_errors(&errors);
                Err(n)
            } else {
                match (
                    w.verified.clone(),
                    photos.into_iter().collect::<Option<Vec<_>>>(),
                ) {
                    (Some(verified), Some(mut photos)) => {
                        let back = photos.pop();
                        let front = photos.pop();
                        Ok((w.submission_form(), front, back, verified))
                    }
                    _ => return,
                }
            }
        };
        match checked {
            Err(n) => {
                page.set_message(format!("有{n}处信息需要修改,请按提示填写").into());
                self.show_wizard(true);
            }
            Ok((form, Some(front), Some(back), verified)) => {
                let queue = SubmissionQueue::new(&store);
                match queue.enqueue(&user, year, form, front, back, verified) {
                    Ok(_) => {
                        page.set_submitting(true);
                        self.retry_queue();
                    }
                    Err(e) => page.set_message(e.message().into()),
                }
            }
            Ok(_) => {}
        }
    }

    /// One attempt to send the waiting submission (if any); the retry timer calls this.
    pub fn retry_queue(&self) {
        let Some((user, year)) = self.user_and_year() else {
            return;
        };
        let (store, session) = {
            let state = self.state.borrow();
            (state.deps.drafts.clone(), state.session.clone())
        };
        let (Some(store), Some(session)) = (store, session) else {
            return;
        };
        let api = self.api();
        let ui = self.handle_weak();
        let (u, y) = (user.clone(), year);
        self.runner().run(
            move || SubmissionQueue::new(&store).send(&api, &session.token, &u, y),
            move |outcome| {
                if let Some(ui) = ui.upgrade() {
                    ui.queue_outcome(outcome, &user, year);
                }
            },
        );
    }

    fn queue_outcome(&self, outcome: SendOutcome, user: &str, year: i32) {
        let page = self.window.global::<WizardPage>();
        page.set_submitting(false);
        match outcome {
            SendOutcome::Empty => self.stop_retry(),
            SendOutcome::Accepted(accepted) => {
                self.stop_retry();
                if let Some(store) = self.state.borrow().deps.drafts.clone() {
                    for key in ["basic.id_front_photo", "basic.id_back_photo"] {
                        let _ = store.delete_record(&photo_record(user, year, key));
                    }
                }
                self.state.borrow_mut().wizard = None;
                if let Some(c) = self.state.borrow_mut().current.as_mut() {
                    c.status = accepted.status.clone();
                    c.rejection_reason = None;
                }
                self.window.global::<HomePage>().set_queued_note("".into());
                let title = if accepted.status == "resubmitted" {
                    "重新提交成功"
                } else {
                    "提交成功"
                };
                self.show_result("submitted", title, &accepted.message, "");
            }
            SendOutcome::Waiting(_) => {
                page.set_message(QUEUED_NOTE.into());
                self.window
                    .global::<HomePage>()
                    .set_queued_note(QUEUED_NOTE.into());
                self.start_retry();
            }
            SendOutcome::Refused(e) => {
                self.stop_retry();
                self.window.global::<HomePage>().set_queued_note("".into());
                let errors = e.problem().map(|p| p.errors.clone()).unwrap_or_default();
                if self.state.borrow().wizard.is_none() {
                    // Refused while the wizard was closed (a retry from 首页): reopen it on the
                    // draft, which is still there.
                    self.open_wizard_from_sources();
                }
                let (n, other) = match self.state.borrow_mut().wizard.as_mut() {
                    Some(w) => w.show_server_errors(&errors),
                    None => (0, errors.clone()),
                };
                let liveness = other
                    .iter()
                    .any(|e| e.field.contains("liveness") || e.field.contains("newspaper"));
                if liveness {
                    self.set_verified(None);
                }
                let message = if n > 0 {
                    format!("有{n}处信息需要修改,请按提示填写")
                } else if let Some(first) = other.first() {
                    first.message.clone()
                } else {
                    e.message()
                };
                page.set_message(message.into());
                self.show_wizard(true);
                self.window.global::<Nav>().set_screen("wizard".into());
            }
        }
    }

    fn start_retry(&self) {
        if self.runner() == super::Runner::Inline || self.state.borrow().retry_timer.is_some() {
            return;
        }
        let timer = slint::Timer::default();
        let ui = self.handle_weak();
        timer.start(slint::TimerMode::Repeated, RETRY_EVERY, move || {
            if let Some(ui) = ui.upgrade() {
                ui.retry_queue();
            }
        });
        self.state.borrow_mut().retry_timer = Some(timer);
    }

    fn stop_retry(&self) {
        self.state.borrow_mut().retry_timer = None;
    }

    fn open_mine(&self) {
        let profile = self.state.borrow().profile.clone();
        let Some(p) = profile else { return };
        let page = self.window.global::<MinePage>();
        page.set_masked_name(p.masked_name.into());
        page.set_masked_id(p.masked_id_number.unwrap_or_default().into());
        page.set_masked_phone(p.masked_phone.into());
        page.set_category(p.category_label.unwrap_or_default().into());
        page.set_privacy_notice(PRIVACY_NOTICE.into());
        page.set_message("".into());
        page.set_real_name("".into());
        page.set_real_name_reason("".into());
        self.window.global::<Nav>().set_screen("mine".into());
        self.load_real_name();
    }

    /// Fetches the 实名认证 status for 我的 (left empty if it cannot be read: the rest of the
    /// screen does not depend on it).
    fn load_real_name(&self) {
        let Some(token) = self.session().map(|s| s.token) else {
            return;
        };
        let api = self.api();
        let weak = self.handle_weak();
        self.runner().run(
            move || api.my_identity(&token),
            move |result| {
                let (Some(ui), Ok(identity)) = (weak.upgrade(), result) else {
                    return;
                };
                let page = ui.window.global::<MinePage>();
                page.set_real_name(identity.real_name.label.clone().into());
                let reason = identity.real_name.status.reason().map(|r| r.to_string());
                page.set_real_name_reason(reason.unwrap_or_default().into());
            },
        );
    }

    fn wire_mine(&self) {
        let page = self.window.global::<MinePage>();
        let ui = self.handle_weak();
        page.on_back(move || {
            if let Some(ui) = ui.upgrade() {
                ui.window.global::<Nav>().set_screen("home".into());
            }
        });
        let ui = self.handle_weak();
        page.on_logout(move || {
            if let Some(ui) = ui.upgrade() {
                ui.window.global::<HomePage>().invoke_logout();
            }
        });
        let ui = self.handle_weak();
        page.on_send_sms(move || {
            let Some(ui) = ui.upgrade() else { return };
            let phone = ui.window.global::<MinePage>().get_new_phone().to_string();
            ui.send_sms(phone, SmsPurpose::ChangePhone, SmsTarget::Mine);
        });
        let ui = self.handle_weak();
        page.on_change_phone(move || {
            let Some(ui) = ui.upgrade() else { return };
            let p = ui.window.global::<MinePage>();
            let phone = fields::phone("new_phone", &p.get_new_phone());
            let code = fields::sms_code("sms_code", &p.get_sms_code());
            p.set_new_phone_error(super::err_text(&phone.as_ref().err().cloned()));
            p.set_sms_code_error(super::err_text(&code.as_ref().err().cloned()));
            let (Ok(new_phone), Ok(sms_code)) = (phone, code) else {
                return;
            };
            let Some(token) = ui.session().map(|s| s.token) else {
                return;
            };
            let api = ui.api();
            let weak = ui.handle_weak();
            ui.runner().run(
                move || {
                    api.change_phone(
                        &token,
                        &ChangePhoneRequest {
                            new_phone,
                            sms_code,
                        },
                    )?;
                    api.me(&token)
                },
                move |result| {
                    let Some(ui) = weak.upgrade() else { return };
                    let p = ui.window.global::<MinePage>();
                    match result {
                        Ok(profile) => {
                            p.set_masked_phone(profile.masked_phone.clone().into());
                            p.set_new_phone("".into());
                            p.set_sms_code("".into());
                            p.set_changing_phone(false);
                            p.set_message(
                                format!("手机号码已换绑为 {}", profile.masked_phone).into(),
                            );
                            ui.state.borrow_mut().profile = Some(profile);
                        }
                        Err(e) => {
                            let errors = e.problem().map(|p| p.errors.clone()).unwrap_or_default();
                            for err in &errors {
                                let t: SharedString = err.message.as_str().into();
                                match err.field.as_str() {
                                    "new_phone" => p.set_new_phone_error(t),
                                    "sms_code" => p.set_sms_code_error(t),
                                    _ => {}
                                }
                            }
                            p.set_message(e.message().into());
                        }
                    }
                },
            );
        });
    }
}

/// The first frame of a recorded camera directory, as a JPEG photo.
pub(super) fn photo_from_camera(dir: &std::path::Path) -> Result<QueuedPhoto, PhotoError> {
    let mut cam = FramesDir::open(dir, 10).map_err(|_| PhotoError::NoCamera)?;
    let frame = cam
        .next_frame()
        .ok()
        .flatten()
        .ok_or(PhotoError::NoCamera)?;
    let img = image::RgbImage::from_raw(frame.width, frame.height, frame.rgb)
        .ok_or(PhotoError::NoCamera)?;
    let bytes = jpeg_bytes(&img).ok_or(PhotoError::NotAnImage)?;
    photo_from_bytes(bytes)
}

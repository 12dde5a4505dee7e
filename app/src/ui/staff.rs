//! Wiring of the staff screens (`ui/staff.slint`, global `StaffPage`) to
//! [`crate::controllers::staff`] and the tablet's encrypted offline store
//! ([`crate::staff_queue::StaffStore`]).
//!
//! The tablet works from its cache: the list and each person come from the store (refreshed
//! from the server when it answers), and every piece of work — 现场确认 / 远程确认, 死亡核减,
//! 采集基准照片 and 代为年审 — is put into the store's queue first and sent by 同步 (exactly once,
//! by each operation's `Idempotency-Key`). Conflicts the server reports are listed in a banner
//! until dismissed with 知道了; nothing is applied over them.
//!
//! 代为年审 reuses the wizard (`ui.rs`, `review.rs`) in assisted mode: it opens on what this
//! tablet saved of an unfinished 代为年审 of the person, else the person's cached form (this
//! year's draft, else last year's); every change, ID-card photos included, is saved sealed in the
//! tablet's store under this staff member, the person and the year
//! ([`StaffStore::save_assisted_draft`], apart from the staff member's own drafts), so closing the
//! app loses nothing. The 身份核验 step runs on the device with the person's cached challenge
//! ([`crate::liveness_ui::LivenessUi::set_offline_challenge`]) and is done again after a restore;
//! 提交 queues a `StaffOp::AssistedReview` instead of the veteran's own submission and deletes the
//! saved draft, as 放弃本次代办 does.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{DateTime, FixedOffset};
use shared::api::staff::ConfirmationKind;
use shared::error::{FieldError, UserError};
use slint::{ComponentHandle, SharedString};

use super::{SavedReview, Ui};
use crate::api::liveness::ChallengeIssued;
use crate::controllers::staff::{
    self as ctl, error_for, ConfirmationForm, DeathForm, ReferenceForm, SortBy,
};
use crate::controllers::wizard::{identity_of, values_from_shared, Values, Wizard};
use crate::queue::{photo_from_bytes, PhotoError, QueuedPhoto};
use crate::staff_queue::{OpState, StaffOp, StaffStore, StaffStoreError};
use crate::{Nav, StaffConflict, StaffPage, StaffRow, WizardPage};

/// The window size of the staff screens (a tablet in landscape).
pub const TABLET_SIZE: (f32, f32) = (1280., 860.);
/// The window size of the veteran's screens (a phone), restored on 退出登录.
pub const PHONE_SIZE: (f32, f32) = (480., 860.);

/// The staff screens' state (kept in `ui::State`).
#[derive(Default)]
pub(super) struct StaffState {
    pub store: Option<Arc<StaffStore>>,
    /// Photos chosen for the open form, by target (`confirm`, `death`, `reference`).
    pub photos: BTreeMap<String, QueuedPhoto>,
    /// 代为年审 in progress.
    pub assisted: Option<Assisted>,
}

/// A review being done on a person's behalf.
pub(super) struct Assisted {
    pub person_id: String,
    /// The review year (the cached detail's), part of the saved draft's key.
    pub year: i32,
    /// The ID-card photos, by wizard key (also saved in the tablet's store with the draft, not
    /// in the staff member's own drafts).
    pub photos: BTreeMap<String, QueuedPhoto>,
}

/// The wizard keys of the two ID-card photos.
const ID_PHOTOS: [&str; 2] = ["basic.id_front_photo", "basic.id_back_photo"];

/// The tablet's clock, in its own offset.
fn now() -> DateTime<FixedOffset> {
    chrono::Local::now().fixed_offset()
}

fn read_photo(path: &str) -> Result<QueuedPhoto, PhotoError> {
    let path = path.trim();
    if path.is_empty() {
        return Err(PhotoError::Unreadable);
    }
    std::fs::read(path)
        .map_err(|_| PhotoError::Unreadable)
        .and_then(photo_from_bytes)
}

impl Ui {
    pub(super) fn wire_staff(&self) {
        let page = self.window.global::<StaffPage>();
        page.set_r_consent_text(ctl::REFERENCE_CONSENT.into());
        page.set_d_warning(ctl::DEATH_WARNING.into());

        page.on_search_edited(self.act_with(|ui, _: SharedString| ui.show_staff_list()));
        page.on_sort_by(self.act_with(|ui, sort: SharedString| {
            let sort = SortBy::parse(&sort);
            ui.window
                .global::<StaffPage>()
                .set_sort(sort.as_str().into());
            ui.show_staff_list();
        }));
        page.on_select(self.act_with(|ui, id: SharedString| ui.select_person(&id)));
        page.on_refresh(self.act(|ui| ui.staff_refresh()));
        page.on_sync(self.act(|ui| ui.staff_sync()));
        page.on_dismiss_conflict(self.act_with(|ui, op_id: SharedString| {
            if let Some(store) = ui.staff_store() {
                if let Err(e) = store.dismiss_conflict(&op_id) {
                    ui.staff_message(&e.message());
                }
            }
            ui.show_staff_list();
        }));
        page.on_open_panel(self.act_with(|ui, panel: SharedString| ui.open_staff_panel(&panel)));
        page.on_confirm_kind(self.act_with(|ui, label: SharedString| {
            let p = ui.window.global::<StaffPage>();
            let mut form = ConfirmationForm {
                kind: p.get_c_kind().into(),
                method: p.get_c_method().into(),
                ..ConfirmationForm::default()
            };
            form.set_kind(&label);
            ui.show_confirm_kind(&form);
        }));
        page.on_confirm_submit(self.act(|ui| ui.confirm_submit()));
        page.on_death_submit(self.act(|ui| ui.death_submit(false)));
        page.on_death_confirm(self.act(|ui| ui.death_submit(true)));
        page.on_reference_submit(self.act(|ui| ui.reference_submit()));
        let ui = self.handle_weak();
        page.on_photo_file(move |target, path| {
            if let Some(ui) = ui.upgrade() {
                ui.staff_photo(&target, read_photo(&path));
            }
        });
        page.on_photo_camera(self.act_with(|ui, target: SharedString| {
            let dir = ui.state.borrow().photo_camera.clone();
            let result = match dir {
                Some(dir) => super::review::photo_from_camera(&dir),
                None => Err(PhotoError::NoCamera),
            };
            ui.staff_photo(&target, result);
        }));
        page.on_start_assisted(self.act(|ui| ui.open_assisted()));
        self.window
            .global::<WizardPage>()
            .on_discard(self.act(|ui| ui.discard_assisted()));
        page.on_logout(self.act(|ui| {
            ui.state.borrow_mut().staff = StaffState::default();
            ui.liveness().set_offline_challenge(None);
            let p = ui.window.global::<StaffPage>();
            p.set_selected("".into());
            p.set_panel("".into());
            p.set_message("".into());
            p.set_search("".into());
            ui.window
                .window()
                .set_size(slint::LogicalSize::new(PHONE_SIZE.0, PHONE_SIZE.1));
            ui.window.global::<crate::HomePage>().invoke_logout();
        }));
    }

    /// Shows the staff list after a staff member logs in: the window becomes tablet-wide, the
    /// cached list shows at once, then it is refreshed from the server when it answers.
    pub(super) fn open_staff(&self) {
        self.window
            .window()
            .set_size(slint::LogicalSize::new(TABLET_SIZE.0, TABLET_SIZE.1));
        let name = self.session().map(|s| s.masked_name).unwrap_or_default();
        let page = self.window.global::<StaffPage>();
        page.set_staff_name(name.into());
        page.set_message("".into());
        if self.staff_store().is_none() {
            match self.open_staff_store() {
                Ok(store) => self.state.borrow_mut().staff.store = Some(Arc::new(store)),
                Err(message) => page.set_message(message.into()),
            }
        }
        self.show_staff_list();
        self.window.global::<Nav>().set_screen("staff".into());
        self.staff_refresh();
    }

    /// The tablet's store, once opened.
    pub fn staff_store(&self) -> Option<Arc<StaffStore>> {
        self.state.borrow().staff.store.clone()
    }

    fn staff_message(&self, text: &str) {
        self.window.global::<StaffPage>().set_message(text.into());
    }

    /// Copies the list, the sync status and the conflicts to the screen.
    pub fn show_staff_list(&self) {
        let page = self.window.global::<StaffPage>();
        let Some(store) = self.staff_store() else {
            page.set_people(slint::ModelRc::new(slint::VecModel::<StaffRow>::default()));
            page.set_sync_status("本机存储不可用".into());
            return;
        };
        let people = store.people();
        let sort = SortBy::parse(&page.get_sort());
        let rows = ctl::list_view(
            &people,
            &page.get_search(),
            sort,
            |id| store.person(id).map(|d| d.name),
            |id| pending_count(&store, id),
        );
        page.set_list_note(
            if people.is_empty() {
                "本机暂无名单,请联网后点击“更新名单”"
            } else if rows.is_empty() {
                "没有符合条件的服务对象"
            } else {
                ""
            }
            .into(),
        );
        let rows: Vec<StaffRow> = rows
            .into_iter()
            .map(|r| StaffRow {
                person_id: r.person_id.into(),
                title: r.title.into(),
                detail: r.detail.into(),
                address: r.address.into(),
                pending: r.pending.into(),
                no_reference: r.no_reference,
            })
            .collect();
        page.set_people(slint::ModelRc::new(slint::VecModel::from(rows)));
        let pending = store.pending().len();
        let conflicts = store.conflicts();
        page.set_pending_count(pending as i32);
        page.set_sync_status(
            ctl::sync_status(pending, conflicts.len() + store.rejected().len()).into(),
        );
        // Conflicts first, then other refusals: each stays until 知道了.
        let mut banner: Vec<StaffConflict> = conflicts
            .into_iter()
            .map(|c| {
                let what = c.conflict.map(|x| x.detail).unwrap_or(c.message);
                StaffConflict {
                    op_id: c.op_id.into(),
                    text: format!("{}{}:{what}", c.label_zh, who(&c.masked_name)).into(),
                }
            })
            .collect();
        banner.extend(store.rejected().into_iter().map(|r| {
            StaffConflict {
                op_id: r.op_id.into(),
                text: format!(
                    "{}{}被退回:{}",
                    r.label_zh,
                    who(&r.masked_name),
                    r.message.unwrap_or_default()
                )
                .into(),
            }
        }));
        page.set_conflicts(slint::ModelRc::new(slint::VecModel::from(banner)));
        page.set_refreshed(
            ctl::refreshed_label(store.refreshed_at().as_deref(), now().offset()).into(),
        );
        let selected = page.get_selected().to_string();
        if !selected.is_empty() {
            self.show_person(&selected);
        }
    }

    fn select_person(&self, id: &str) {
        self.state.borrow_mut().staff.photos.clear();
        let page = self.window.global::<StaffPage>();
        page.set_selected(id.into());
        page.set_panel("".into());
        page.set_message("".into());
        self.show_person(id);
    }

    fn show_person(&self, id: &str) {
        let page = self.window.global::<StaffPage>();
        let Some(store) = self.staff_store() else {
            return;
        };
        let Some(detail) = store.person(id) else {
            page.set_selected("".into());
            return;
        };
        let item = store.people().into_iter().find(|p| p.person_id == id);
        let v = ctl::person_view(&detail, item.as_ref());
        page.set_p_name(v.name.into());
        page.set_p_masked_id(v.masked_id.into());
        page.set_p_category(v.category.into());
        page.set_p_status(v.status.into());
        page.set_p_deadline(v.deadline.into());
        page.set_p_address(v.address.into());
        page.set_p_no_reference(v.no_reference);
        page.set_p_died(v.died.into());
        page.set_p_can_review(v.can_review);
        page.set_p_pending(ctl::pending_label(pending_count(&store, id)).into());
    }

    /// Runs `job` against the server with the tablet's store (busy meanwhile), then `done` on
    /// the UI with the staff page no longer busy. Nothing without a store or a session.
    fn staff_job<T: Send + 'static>(
        &self,
        job: impl FnOnce(&StaffStore, &crate::api::HttpClient, &crate::api::Token) -> T + Send + 'static,
        done: impl FnOnce(&Ui, T) + 'static,
    ) {
        let (Some(store), Some(session)) = (self.staff_store(), self.session()) else {
            return;
        };
        let api = self.api();
        let ui = self.handle_weak();
        self.window.global::<StaffPage>().set_busy(true);
        self.runner().run(
            move || job(&store, &api, &session.token),
            move |result| {
                let Some(ui) = ui.upgrade() else { return };
                ui.window.global::<StaffPage>().set_busy(false);
                done(&ui, result);
            },
        );
    }

    /// Refreshes the cached list, details and challenges from the server (when it answers).
    pub fn staff_refresh(&self) {
        self.staff_job(
            |store, api, token| store.refresh(api, token),
            |ui, result| {
                let page = ui.window.global::<StaffPage>();
                match result {
                    Ok(_) => {}
                    Err(crate::api::ApiError::Network) => page.set_message(
                        "当前无网络,显示本机保存的名单;办理的事项将在联网后同步".into(),
                    ),
                    Err(e) => page.set_message(e.message().into()),
                }
                ui.show_staff_list();
            },
        );
    }

    /// 同步: sends the queued work; conflicts go to the banner.
    pub fn staff_sync(&self) {
        self.staff_job(
            |store, api, token| {
                let report = store.sync(api, token);
                // What was sent changed the people's status: fetch the list again.
                if !report.sent.is_empty() {
                    let _ = store.refresh(api, token);
                }
                report
            },
            |ui, report| {
                let page = ui.window.global::<StaffPage>();
                let mut parts = vec![format!("已发送 {} 项", report.sent.len())];
                if !report.conflicts.is_empty() {
                    parts.push(format!("{} 项冲突", report.conflicts.len()));
                }
                if !report.rejected.is_empty() {
                    parts.push(format!("{} 项被退回", report.rejected.len()));
                }
                let text = if report.waiting > 0 {
                    let why = report
                        .last_error
                        .as_ref()
                        .map(|e| e.message())
                        .unwrap_or_default();
                    parts.push(format!("{} 项待联网后再同步", report.waiting));
                    format!("{}。{why}", parts.join(","))
                } else {
                    format!("同步完成:{}", parts.join(","))
                };
                page.set_message(text.into());
                ui.show_staff_list();
            },
        );
    }

    fn open_staff_panel(&self, panel: &str) {
        let page = self.window.global::<StaffPage>();
        let empty = SharedString::new();
        match panel {
            "confirm" => {
                self.state.borrow_mut().staff.photos.remove("confirm");
                let form = ConfirmationForm::new(ConfirmationKind::OnSite, now());
                page.set_c_at(form.confirmed_at.clone().into());
                page.set_c_delegate(empty.clone());
                page.set_c_notes(empty.clone());
                page.set_c_photo_path(empty.clone());
                page.set_c_photo_note(empty.clone());
                self.show_confirm_kind(&form);
                self.show_confirm_errors(&[]);
            }
            "death" if page.get_panel() == "death-confirm" => {
                // 返回修改: keep what was typed.
            }
            "death" => {
                self.state.borrow_mut().staff.photos.remove("death");
                page.set_d_date(empty.clone());
                page.set_d_notes(empty.clone());
                page.set_d_photo_path(empty.clone());
                page.set_d_photo_note(empty.clone());
                self.show_death_errors(&[]);
            }
            "reference" => {
                self.state.borrow_mut().staff.photos.remove("reference");
                page.set_r_consent(false);
                page.set_r_photo_path(empty.clone());
                page.set_r_photo_note(empty.clone());
                page.set_r_photo_error(empty.clone());
                page.set_r_consent_error(empty.clone());
            }
            _ => {}
        }
        page.set_message(empty);
        page.set_panel(panel.into());
    }

    fn show_confirm_kind(&self, form: &ConfirmationForm) {
        let page = self.window.global::<StaffPage>();
        let kind = ctl::kind_of(&form.kind).unwrap_or(ConfirmationKind::OnSite);
        let methods: Vec<SharedString> = ctl::method_labels(kind)
            .into_iter()
            .map(SharedString::from)
            .collect();
        page.set_c_kind(form.kind.as_str().into());
        page.set_c_methods(slint::ModelRc::new(slint::VecModel::from(methods)));
        page.set_c_method(form.method.as_str().into());
        page.set_c_photo_required(kind.photo_required());
        page.set_c_photo_hint(
            if kind.photo_required() {
                format!("远程确认须上传{}", ctl::CONFIRM_PHOTO_HINT)
            } else {
                format!("可选:{}", ctl::CONFIRM_PHOTO_HINT)
            }
            .into(),
        );
    }

    fn show_confirm_errors(&self, errors: &[FieldError]) {
        let page = self.window.global::<StaffPage>();
        page.set_c_method_error(error_for(errors, "method").into());
        page.set_c_at_error(error_for(errors, "confirmed_at").into());
        page.set_c_delegate_error(error_for(errors, "delegate_name").into());
        page.set_c_notes_error(error_for(errors, "notes").into());
        page.set_c_photo_error(error_for(errors, "photo").into());
    }

    fn show_death_errors(&self, errors: &[FieldError]) {
        let page = self.window.global::<StaffPage>();
        page.set_d_date_error(error_for(errors, "died_on").into());
        page.set_d_notes_error(error_for(errors, "notes").into());
        page.set_d_photo_error(error_for(errors, "evidence").into());
    }

    /// A photo chosen for the open form (`confirm`, `death` or `reference`).
    fn staff_photo(&self, target: &str, result: Result<QueuedPhoto, PhotoError>) {
        let page = self.window.global::<StaffPage>();
        let (note, error) = match result {
            Ok(photo) => {
                let note = format!("已选择 · {} KB", photo.bytes.len().div_ceil(1024));
                self.state
                    .borrow_mut()
                    .staff
                    .photos
                    .insert(target.to_owned(), photo);
                (note, String::new())
            }
            Err(e) => {
                self.state.borrow_mut().staff.photos.remove(target);
                (String::new(), e.message())
            }
        };
        match target {
            "confirm" => {
                page.set_c_photo_note(note.into());
                page.set_c_photo_error(error.into());
            }
            "death" => {
                page.set_d_photo_note(note.into());
                page.set_d_photo_error(error.into());
            }
            "reference" => {
                page.set_r_photo_note(note.into());
                page.set_r_photo_error(error.into());
            }
            _ => {}
        }
    }

    fn photo_for(&self, target: &str) -> Option<QueuedPhoto> {
        self.state.borrow().staff.photos.get(target).cloned()
    }

    /// Queues `op`, then shows the list with its 待同步 marker and tries to send it.
    fn enqueue_staff(&self, op: StaffOp, what: &str) {
        let Some(store) = self.staff_store() else {
            self.staff_message("本机存储不可用,无法保存");
            return;
        };
        match store.enqueue(op) {
            Ok(_) => {
                self.state.borrow_mut().staff.photos.clear();
                let page = self.window.global::<StaffPage>();
                page.set_panel("".into());
                self.show_staff_list();
                page.set_message(ctl::queued_message(what).into());
            }
            Err(e) => self.staff_message(&e.message()),
        }
    }

    fn selected_year(&self, person_id: &str) -> i32 {
        use chrono::Datelike;
        self.staff_store()
            .and_then(|s| s.person(person_id))
            .map(|d| d.year)
            .unwrap_or_else(|| self.today().year())
    }

    /// The selected person and the photo chosen for the form `target`; `None` with no one
    /// selected.
    fn selected_with_photo(&self, target: &str) -> Option<(String, Option<QueuedPhoto>)> {
        let person_id = self.window.global::<StaffPage>().get_selected().to_string();
        (!person_id.is_empty()).then(|| (person_id, self.photo_for(target)))
    }

    fn confirm_submit(&self) {
        let page = self.window.global::<StaffPage>();
        let Some((person_id, photo)) = self.selected_with_photo("confirm") else {
            return;
        };
        let form = ConfirmationForm {
            kind: page.get_c_kind().into(),
            method: page.get_c_method().into(),
            confirmed_at: page.get_c_at().into(),
            delegate_name: page.get_c_delegate().into(),
            notes: page.get_c_notes().into(),
            has_photo: photo.is_some(),
        };
        match form.check(now(), self.selected_year(&person_id)) {
            Err(errors) => {
                self.show_confirm_errors(&errors);
                page.set_message(format!("有{}处信息需要修改,请按提示填写", errors.len()).into());
            }
            Ok(req) => {
                self.show_confirm_errors(&[]);
                let what = ctl::kind_of(&form.kind)
                    .map(|k| k.label_zh())
                    .unwrap_or("确认记录");
                self.enqueue_staff(
                    StaffOp::Confirmation {
                        person_id,
                        req,
                        photo_jpeg: photo.map(|p| p.bytes),
                    },
                    what,
                );
            }
        }
    }

    /// 提交核减 (`confirmed == false`: check, then ask) and 确认核减 (`true`: queue).
    fn death_submit(&self, confirmed: bool) {
        let page = self.window.global::<StaffPage>();
        let Some((person_id, photo)) = self.selected_with_photo("death") else {
            return;
        };
        let form = DeathForm {
            died_on: page.get_d_date().into(),
            notes: page.get_d_notes().into(),
            has_evidence: photo.is_some(),
        };
        match (form.check(self.today()), photo) {
            (Err(errors), _) => {
                self.show_death_errors(&errors);
                page.set_panel("death".into());
                page.set_message(format!("有{}处信息需要修改,请按提示填写", errors.len()).into());
            }
            (Ok(_), _) if !confirmed => {
                self.show_death_errors(&[]);
                page.set_message("".into());
                page.set_panel("death-confirm".into());
            }
            (Ok(checked), Some(photo)) => self.enqueue_staff(
                StaffOp::Death {
                    person_id,
                    died_on: checked.died_on.format("%Y-%m-%d").to_string(),
                    notes: checked.notes,
                    evidence_jpeg: photo.bytes,
                },
                "死亡核减",
            ),
            (Ok(_), None) => {}
        }
    }

    fn reference_submit(&self) {
        let page = self.window.global::<StaffPage>();
        let Some((person_id, photo)) = self.selected_with_photo("reference") else {
            return;
        };
        let form = ReferenceForm {
            consent: page.get_r_consent(),
            has_photo: photo.is_some(),
        };
        match (form.check(), photo) {
            (Err(errors), _) => {
                page.set_r_photo_error(error_for(&errors, "photo").into());
                page.set_r_consent_error(error_for(&errors, "consent").into());
            }
            (Ok(()), Some(photo)) => self.enqueue_staff(
                StaffOp::ReferencePhoto {
                    person_id,
                    jpeg: photo.bytes,
                    consent: true,
                },
                "基准照片",
            ),
            (Ok(()), None) => {}
        }
    }

    /// Whether the wizard is doing a review on someone's behalf.
    pub fn is_assisted(&self) -> bool {
        self.state.borrow().staff.assisted.is_some()
    }

    /// 代为年审: the wizard on the person's cached form, in assisted mode.
    fn open_assisted(&self) {
        let page = self.window.global::<StaffPage>();
        let person_id = page.get_selected().to_string();
        let Some(store) = self.staff_store() else {
            return;
        };
        let Some(detail) = store.person(&person_id) else {
            return;
        };
        let challenge: Option<ChallengeIssued> = store.offline_challenge(&person_id);
        let year = detail.year;
        let source = detail.draft.clone().or(detail.prefill.clone());
        // What this tablet saved of an earlier, unfinished 代为年审 wins over the server's copies.
        let saved: Option<SavedReview> = store.assisted_draft(&person_id, year);
        let identity = source
            .as_ref()
            .and_then(identity_of)
            .or_else(|| saved.as_ref().and_then(|s| s.identity.clone()));
        let (mut wizard, note) = match (saved, &source) {
            (Some(s), _) => (s.into_wizard(), "已恢复上次未完成的代为年审,请与本人核对"),
            (None, Some(d)) => (
                Wizard::new(values_from_shared(d)),
                if detail.draft.is_some() {
                    "已带入本年度草稿,请与本人核对"
                } else {
                    "已带入上一年填报的信息,请与本人核对"
                },
            ),
            (None, None) => (Wizard::new(Values::new()), "无上一年信息,请与本人逐项填写"),
        };
        wizard.identity = identity;
        wizard
            .values
            .insert("basic.name".into(), detail.name.clone());
        wizard
            .values
            .insert("basic.id_number".into(), detail.masked_id_number.clone());
        // The photos are taken again every year: keep only those taken in this 代为年审.
        let mut photos = BTreeMap::new();
        for key in ID_PHOTOS {
            match store.assisted_photo(&person_id, year, key) {
                Some(photo) => {
                    photos.insert(key.to_owned(), photo);
                }
                None => {
                    wizard.values.remove(key);
                }
            }
        }
        {
            let mut state = self.state.borrow_mut();
            state.wizard = Some(wizard);
            state.staff.assisted = Some(Assisted {
                person_id: person_id.clone(),
                year,
                photos,
            });
        }
        let live = self.liveness();
        live.reset();
        let offline_note = if challenge.is_some() {
            ""
        } else {
            "本机没有该服务对象的核验动作,请联网后点击“更新名单”再进行身份核验。"
        };
        live.set_offline_challenge(challenge);
        let staff = self.session().map(|s| s.masked_name).unwrap_or_default();
        let w = self.window.global::<WizardPage>();
        w.set_title(format!("代为年审 · {}", detail.name).into());
        w.set_assisted_note(
            format!(
                "代为年审:由工作人员 {staff} 协助 {} 本人完成,提交记录将注明为代办。身份核验须由本人面对摄像头完成。{offline_note}",
                detail.name
            )
            .into(),
        );
        w.set_exit_text("返回名单".into());
        w.set_message("".into());
        w.set_saved_note(note.into());
        w.set_liveness_status("".into());
        w.set_can_submit(false);
        w.set_submitting(false);
        w.set_rows(self.state.borrow().rows.clone().into());
        self.show_wizard(true);
        self.window.global::<Nav>().set_screen("wizard".into());
    }

    /// An ID-card photo in assisted mode: kept with the wizard and saved in the tablet's store
    /// with the assisted draft.
    pub(super) fn set_assisted_photo(&self, key: &str, result: Result<QueuedPhoto, PhotoError>) {
        let today = self.today();
        let store = self.staff_store();
        {
            let mut guard = self.state.borrow_mut();
            let state = &mut *guard;
            let (Some(w), Some(a)) = (state.wizard.as_mut(), state.staff.assisted.as_mut()) else {
                return;
            };
            let kept = match (&result, &store) {
                (Ok(photo), Some(store)) => {
                    store.set_assisted_photo(&a.person_id, a.year, key, Some(photo))
                }
                (Ok(_), None) => Err(StaffStoreError::Invalid {
                    code: "drafts_disabled",
                    message: "本机存储不可用,无法保存照片",
                }),
                (Err(_), store) => {
                    // The photo is not usable: forget the saved one too.
                    if let Some(store) = store {
                        let _ = store.set_assisted_photo(&a.person_id, a.year, key, None);
                    }
                    Ok(())
                }
            };
            let error = match (result, kept) {
                (Ok(photo), Ok(())) => {
                    let note = format!("已选择 · {} KB", photo.bytes.len().div_ceil(1024));
                    a.photos.insert(key.to_owned(), photo);
                    w.edit(key, &note, state.rules.as_ref(), today);
                    None
                }
                (Ok(_), Err(e)) => Some(FieldError::new(key, e.code(), e.message())),
                (Err(e), _) => Some(FieldError::new(key, e.code(), e.message())),
            };
            if let Some(e) = error {
                a.photos.remove(key);
                w.shown.insert(key.to_owned(), e);
            }
        }
        self.save_assisted_draft();
        self.show_wizard(true);
    }

    /// Saves the assisted review in progress (form, step) in the tablet's store, keyed by this
    /// staff member, the person and the year; called on every change, like the veteran's draft.
    pub(super) fn save_assisted_draft(&self) {
        let Some(store) = self.staff_store() else {
            return;
        };
        let result = {
            let state = self.state.borrow();
            let (Some(w), Some(a)) = (state.wizard.as_ref(), state.staff.assisted.as_ref()) else {
                return;
            };
            store.save_assisted_draft(&a.person_id, a.year, &SavedReview::of(w))
        };
        let note = match result {
            Ok(()) => "草稿已自动保存".to_owned(),
            Err(e) => e.message(),
        };
        self.window
            .global::<WizardPage>()
            .set_saved_note(note.into());
    }

    /// Forgets the saved assisted review of the open person (form and photos).
    fn delete_assisted_draft(&self) -> Result<(), String> {
        let who = self
            .state
            .borrow()
            .staff
            .assisted
            .as_ref()
            .map(|a| (a.person_id.clone(), a.year));
        match (self.staff_store(), who) {
            (Some(store), Some((person_id, year))) => store
                .delete_assisted_draft(&person_id, year, &ID_PHOTOS)
                .map_err(|e| e.message()),
            _ => Ok(()),
        }
    }

    /// 放弃本次代办: deletes the saved assisted review and goes back to the list.
    fn discard_assisted(&self) {
        if !self.is_assisted() {
            return;
        }
        match self.delete_assisted_draft() {
            Ok(()) => self.close_assisted("已放弃本次代为年审,本机保存的内容已删除"),
            Err(message) => self
                .window
                .global::<WizardPage>()
                .set_message(message.into()),
        }
    }

    /// Leaves assisted mode and goes back to the list.
    pub(super) fn close_assisted(&self, message: &str) {
        {
            let mut state = self.state.borrow_mut();
            state.wizard = None;
            state.staff.assisted = None;
        }
        let live = self.liveness();
        live.reset();
        live.set_offline_challenge(None);
        let w = self.window.global::<WizardPage>();
        w.set_assisted_note("".into());
        w.set_exit_text("返回首页".into());
        self.show_staff_list();
        self.staff_message(message);
        self.window.global::<Nav>().set_screen("staff".into());
    }

    /// 提交 in assisted mode: checks the form, the photos and the device's liveness capture,
    /// then queues a `StaffOp::AssistedReview` and goes back to the list (待同步).
    pub(super) fn submit_assisted(&self) {
        let today = self.today();
        let page = self.window.global::<WizardPage>();
        let capture = self.liveness().offline_capture();
        let checked = {
            let mut guard = self.state.borrow_mut();
            let state = &mut *guard;
            let (Some(w), Some(a)) = (state.wizard.as_mut(), state.staff.assisted.as_ref()) else {
                return;
            };
            let mut errors = state.rules.check(&w.values, today);
            for key in ID_PHOTOS {
                if !a.photos.contains_key(key) && !errors.iter().any(|e| e.field == key) {
                    errors.push(FieldError::new(key, "required", "请上传身份证照片"));
                }
            }
            if !errors.is_empty() {
                Err(w.show_server_errors(&errors).0)
            } else {
                Ok((
                    a.person_id.clone(),
                    w.submission_form(),
                    a.photos.get("basic.id_front_photo").cloned(),
                    a.photos.get("basic.id_back_photo").cloned(),
                ))
            }
        };
        match checked {
            Err(n) => {
                page.set_message(format!("有{n}处信息需要修改,请按提示填写").into());
                self.show_wizard(true);
            }
            Ok((person_id, form, Some(front), Some(back))) => {
                let Some(capture) = capture else {
                    page.set_message("请先由本人完成身份核验".into());
                    return;
                };
                let Some(store) = self.staff_store() else {
                    page.set_message("本机存储不可用,无法保存".into());
                    return;
                };
                let op = StaffOp::AssistedReview {
                    person_id,
                    form,
                    id_front_jpeg: front.bytes,
                    id_back_jpeg: back.bytes,
                    challenge_id: capture.challenge_id,
                    frames: capture.frames,
                    claimed: capture.claimed,
                    flash_started_ms: capture.flash_started_ms,
                };
                match store.enqueue(op) {
                    Ok(_) => {
                        // Queued: the op holds everything now. A draft that cannot be deleted
                        // is not worth failing for; it is replaced by the next 代为年审.
                        let _ = self.delete_assisted_draft();
                        self.close_assisted(&ctl::queued_message("代为年审"));
                    }
                    Err(e) => page.set_message(e.message().into()),
                }
            }
            Ok(_) => {}
        }
    }
}

impl Ui {
    /// Opens the tablet's store next to the drafts.
    fn open_staff_store(&self) -> Result<StaffStore, String> {
        let drafts = self.state.borrow().deps.drafts.clone();
        let Some(drafts) = drafts else {
            return Err("本机存储不可用,无法离线保存名单".into());
        };
        let staff = self.session().map(|s| s.user_id).unwrap_or_default();
        Ok(StaffStore::with_store(drafts, &staff))
    }
}

/// `(**松)` after an operation's name, or nothing when the name is not cached.
fn who(masked_name: &str) -> String {
    if masked_name.is_empty() {
        String::new()
    } else {
        format!("({masked_name})")
    }
}

/// Work for a person still waiting to be sent (conflicts and refusals are in the banner).
fn pending_count(store: &StaffStore, person_id: &str) -> usize {
    store
        .pending_for(person_id)
        .iter()
        .filter(|o| o.state == OpState::Pending)
        .count()
}

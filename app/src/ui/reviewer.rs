//! Wiring of the reviewer screens (`ui/reviewer.slint`): the review queue of the reviewer's
//! districts with its status filter, one item in detail (a submission beside last year's form
//! with its photos and liveness key frames, a staff confirmation, a death record), and the
//! decision. The logic is `controllers::reviewer`; this file copies values into `ReviewerPage`
//! and runs the server calls through the [`super::Runner`]. Images are fetched and scaled down
//! on the worker thread, turned into `slint::Image`s on the UI thread.
//!
//! The screen's state lives in `ReviewerPage` itself (filter, selected id and kind), so nothing
//! is added to `ui.rs`'s `State`.

use image::RgbaImage;
use slint::{ComponentHandle, ModelRc, SharedString, VecModel};

use super::{rgba_image, Ui};
use crate::controllers::login::local_offset;
use crate::controllers::reviewer::{
    self as ctl, common_reasons, is_pending, DecideOutcome, Detail, DetailKind, Filter, QueueRow,
};
use crate::{
    HomePage, Nav, ReviewCompareRow, ReviewFact, ReviewQueueRow, ReviewThumb, ReviewerPage,
};

/// The window size of the reviewer's desktop/tablet layout.
const WIDE: (f32, f32) = (1280.0, 860.0);
/// The phone-sized window the other screens use (`app.slint`'s preferred size).
const NARROW: (f32, f32) = (480.0, 860.0);

/// Longest side of the pictures shown, in pixels.
const PHOTO_MAX: u32 = 640;
const FRAME_MAX: u32 = 320;

/// The pictures of an item, decoded off the UI thread.
#[derive(Default)]
struct Pictures {
    id_front: Option<RgbaImage>,
    id_back: Option<RgbaImage>,
    frames: Vec<Option<RgbaImage>>,
    newspaper: Option<RgbaImage>,
    record_photo: Option<RgbaImage>,
}

fn image_of(img: &Option<RgbaImage>) -> slint::Image {
    img.as_ref().map(rgba_image).unwrap_or_default()
}

fn queue_row(r: QueueRow) -> ReviewQueueRow {
    ReviewQueueRow {
        id: r.id.into(),
        kind: r.kind.into(),
        kind_label: r.kind_label.into(),
        masked_name: r.masked_name.into(),
        category: r.category_label.into(),
        district: r.district_name.into(),
        submitted_at: r.submitted_at.into(),
        status_label: r.status_label.into(),
    }
}

impl Ui {
    pub(super) fn wire_reviewer(&self) {
        let page = self.window.global::<ReviewerPage>();

        let ui = self.handle_weak();
        page.on_filter_changed(move |i| {
            let Some(ui) = ui.upgrade() else { return };
            let page = ui.window.global::<ReviewerPage>();
            page.set_filter(i);
            ui.clear_reviewer_detail();
            page.set_message("".into());
            ui.load_review_queue();
        });

        let ui = self.handle_weak();
        page.on_refresh(move || {
            if let Some(ui) = ui.upgrade() {
                ui.load_review_queue();
            }
        });

        let ui = self.handle_weak();
        page.on_open_item(move |kind, id| {
            let Some(ui) = ui.upgrade() else { return };
            ui.window.global::<ReviewerPage>().set_message("".into());
            ui.open_review_item(DetailKind::of(&kind), id.to_string());
        });

        let ui = self.handle_weak();
        page.on_approve(move || {
            if let Some(ui) = ui.upgrade() {
                ui.decide_review_item(true);
            }
        });

        let ui = self.handle_weak();
        page.on_reject(move || {
            if let Some(ui) = ui.upgrade() {
                ui.decide_review_item(false);
            }
        });

        let ui = self.handle_weak();
        page.on_logout(move || {
            let Some(ui) = ui.upgrade() else { return };
            ui.clear_reviewer_detail();
            let page = ui.window.global::<ReviewerPage>();
            page.set_queue(ModelRc::new(VecModel::<ReviewQueueRow>::default()));
            page.set_message("".into());
            page.set_filter(0);
            ui.window
                .window()
                .set_size(slint::LogicalSize::new(NARROW.0, NARROW.1));
            // The one logout: it ends the session on the server and shows the login screen.
            ui.window.global::<HomePage>().invoke_logout();
        });
    }

    /// Shows the review queue after a reviewer logs in, in a window wide enough for the queue
    /// and the detail side by side.
    pub(super) fn open_reviewer(&self) {
        self.window
            .window()
            .set_size(slint::LogicalSize::new(WIDE.0, WIDE.1));
        let page = self.window.global::<ReviewerPage>();
        let name = self.session().map(|s| s.masked_name).unwrap_or_default();
        page.set_reviewer_name(name.into());
        page.set_filter(0);
        page.set_message("".into());
        self.clear_reviewer_detail();
        self.window.global::<Nav>().set_screen("reviewer".into());
        self.load_review_queue();
    }

    fn clear_reviewer_detail(&self) {
        let page = self.window.global::<ReviewerPage>();
        page.set_selected_id("".into());
        page.set_detail_kind("".into());
        page.set_rows(ModelRc::new(VecModel::<ReviewCompareRow>::default()));
        page.set_facts(ModelRc::new(VecModel::<ReviewFact>::default()));
        page.set_frames(ModelRc::new(VecModel::<ReviewThumb>::default()));
        page.set_reasons(ModelRc::new(VecModel::<SharedString>::default()));
        page.set_id_front(slint::Image::default());
        page.set_id_back(slint::Image::default());
        page.set_newspaper(slint::Image::default());
        page.set_record_photo(slint::Image::default());
        page.set_reasons_open(false);
        page.set_chosen_reason("".into());
        page.set_written_reason("".into());
        page.set_reason_error("".into());
        page.set_decision_reason("".into());
        page.set_pending(false);
        page.set_special(false);
        page.set_busy(false);
    }

    /// Reads the queue under the current filter.
    fn load_review_queue(&self) {
        let Some(session) = self.session() else {
            return;
        };
        let page = self.window.global::<ReviewerPage>();
        let filter = Filter::from_index(page.get_filter());
        let api = self.api();
        let ui = self.handle_weak();
        self.runner().run(
            move || ctl::load_queue(&api, &session.token, filter, &local_offset()),
            move |result| {
                let Some(ui) = ui.upgrade() else { return };
                let page = ui.window.global::<ReviewerPage>();
                // A late answer for another tab is dropped.
                if Filter::from_index(page.get_filter()) != filter {
                    return;
                }
                match result {
                    Ok(rows) => {
                        page.set_queue_message(if rows.is_empty() {
                            format!("暂无{}的记录", filter.label()).into()
                        } else {
                            "".into()
                        });
                        let rows: Vec<ReviewQueueRow> = rows.into_iter().map(queue_row).collect();
                        page.set_queue(ModelRc::new(VecModel::from(rows)));
                    }
                    Err(message) => page.set_queue_message(message.into()),
                }
            },
        );
    }

    /// Fetches an item and its pictures, then shows it.
    fn open_review_item(&self, kind: DetailKind, id: String) {
        let Some(session) = self.session() else {
            return;
        };
        let api = self.api();
        let ui = self.handle_weak();
        let page = self.window.global::<ReviewerPage>();
        page.set_busy(true);
        self.runner().run(
            move || {
                let token = &session.token;
                let detail = ctl::open(&api, token, kind, &id, &local_offset())?;
                let fetch = |upload: &str, max: u32| -> Option<RgbaImage> {
                    if upload.is_empty() {
                        return None;
                    }
                    let bytes = api.upload_bytes(token, upload).ok()?;
                    ctl::thumbnail(&bytes, max)
                };
                let mut pics = Pictures::default();
                match &detail {
                    Detail::Submission(s) => {
                        pics.id_front = fetch(&s.id_front_upload, PHOTO_MAX);
                        pics.id_back = fetch(&s.id_back_upload, PHOTO_MAX);
                        pics.frames = s.key_frames.iter().map(|f| fetch(f, FRAME_MAX)).collect();
                        pics.newspaper = s
                            .newspaper_upload
                            .as_deref()
                            .and_then(|u| fetch(u, PHOTO_MAX));
                    }
                    Detail::Record(r) => {
                        pics.record_photo =
                            r.photo_upload.as_deref().and_then(|u| fetch(u, PHOTO_MAX));
                    }
                }
                Ok::<_, String>((detail, pics))
            },
            move |result| {
                let Some(ui) = ui.upgrade() else { return };
                let page = ui.window.global::<ReviewerPage>();
                page.set_busy(false);
                match result {
                    Ok((detail, pics)) => ui.show_review_item(&detail, pics),
                    Err(message) => {
                        page.set_message_is_error(true);
                        page.set_message(message.into());
                    }
                }
            },
        );
    }

    fn show_review_item(&self, detail: &Detail, pics: Pictures) {
        self.clear_reviewer_detail();
        let page = self.window.global::<ReviewerPage>();
        let h = detail.header();
        page.set_selected_id(detail.id().into());
        page.set_detail_kind(detail.kind().as_str().into());
        page.set_name(h.masked_name.as_str().into());
        page.set_category(h.category_label.as_str().into());
        page.set_district(h.district_name.as_str().into());
        page.set_kind_label(h.kind_label.as_str().into());
        page.set_assisted_by(h.assisted_by.as_str().into());
        page.set_when(h.when.as_str().into());
        page.set_status_label(h.status_label.as_str().into());
        page.set_pending(is_pending(&h.status));
        // An undone death record's reason is not a rejection: shown as a fact below.
        if detail.kind() != DetailKind::Death {
            page.set_decision_reason(h.decision_reason.as_str().into());
        }
        let special = matches!(detail, Detail::Submission(s) if s.special_population);
        let reasons: Vec<SharedString> = common_reasons(detail.kind(), special)
            .into_iter()
            .map(SharedString::from)
            .collect();
        page.set_reasons(ModelRc::new(VecModel::from(reasons)));
        match detail {
            Detail::Submission(s) => {
                let mut last_section = String::new();
                let rows: Vec<ReviewCompareRow> = s
                    .rows
                    .iter()
                    .map(|r| {
                        let first = r.section != last_section;
                        last_section = r.section.clone();
                        ReviewCompareRow {
                            section: r.section.as_str().into(),
                            first_of_section: first,
                            label: r.label.as_str().into(),
                            this_year: r.this_year.as_str().into(),
                            last_year: r.last_year.as_str().into(),
                            changed: r.changed,
                        }
                    })
                    .collect();
                page.set_rows(ModelRc::new(VecModel::from(rows)));
                page.set_has_last_year(s.has_last_year);
                page.set_changed_summary(
                    match (s.has_last_year, s.changed_count()) {
                        (false, _) => "无上年度记录可对比".to_owned(),
                        (true, 0) => "与上年一致".to_owned(),
                        (true, n) => format!("{n}项与上年不同"),
                    }
                    .into(),
                );
                page.set_id_front(image_of(&pics.id_front));
                page.set_id_back(image_of(&pics.id_back));
                let frames: Vec<ReviewThumb> = pics
                    .frames
                    .iter()
                    .enumerate()
                    .map(|(i, f)| ReviewThumb {
                        image: image_of(f),
                        label: format!("关键帧{}", i + 1).into(),
                    })
                    .collect();
                page.set_frames(ModelRc::new(VecModel::from(frames)));
                page.set_face_text(s.face_text.as_str().into());
                page.set_face_same(s.face_same);
                page.set_special(s.special_population);
                page.set_newspaper(image_of(&pics.newspaper));
            }
            Detail::Record(r) => {
                let mut facts: Vec<ReviewFact> = r
                    .facts
                    .iter()
                    .map(|f| ReviewFact {
                        label: f.label.as_str().into(),
                        value: f.value.as_str().into(),
                    })
                    .collect();
                if r.kind == DetailKind::Death && !h.decision_reason.is_empty() {
                    facts.push(ReviewFact {
                        label: "撤销原因".into(),
                        value: h.decision_reason.as_str().into(),
                    });
                }
                page.set_facts(ModelRc::new(VecModel::from(facts)));
                page.set_record_photo(image_of(&pics.record_photo));
                page.set_record_photo_label(r.photo_label.as_str().into());
            }
        }
    }

    /// 通过 / 不通过 on the open item.
    fn decide_review_item(&self, approve: bool) {
        let Some(session) = self.session() else {
            return;
        };
        let page = self.window.global::<ReviewerPage>();
        let id = page.get_selected_id().to_string();
        if id.is_empty() || page.get_busy() {
            return;
        }
        let kind = DetailKind::of(&page.get_detail_kind());
        let chosen = page.get_chosen_reason().to_string();
        let written = page.get_written_reason().to_string();
        // Checked here first, so a missing reason never waits for a worker thread.
        if !approve {
            if let Err(e) = ctl::decision_request(false, &chosen, &written) {
                page.set_reason_error(e.message.into());
                return;
            }
        }
        page.set_reason_error("".into());
        page.set_message("".into());
        page.set_busy(true);
        let api = self.api();
        let ui = self.handle_weak();
        let again = id.clone();
        self.runner().run(
            move || ctl::decide(&api, &session.token, kind, &id, approve, &chosen, &written),
            move |outcome| {
                let Some(ui) = ui.upgrade() else { return };
                let page = ui.window.global::<ReviewerPage>();
                page.set_busy(false);
                match outcome {
                    DecideOutcome::Done { message, .. } => {
                        page.set_message_is_error(false);
                        page.set_message(message.into());
                        ui.load_review_queue();
                        ui.open_review_item(kind, again);
                    }
                    DecideOutcome::ReasonError(m) => page.set_reason_error(m.into()),
                    DecideOutcome::Failed(m) => {
                        page.set_message_is_error(true);
                        page.set_message(m.into());
                    }
                }
            },
        );
    }
}

//! The staff (工作人员) and reviewer (审核人员) endpoints of [`FakeAccounts`], in memory, for UI
//! tests, screenshots and trying the tablet screens without a server.
//!
//! Demo data: eleven people in two districts (东城区 110101, 西城区 110102) that the demo staff
//! member (13700000001) and the demo reviewer (13700000002) both work on, plus one person in
//! 徐汇区 (310104) that neither may see. Six still owe this year's review (one has no reference
//! photo, one is overdue); five have items waiting in the review queue: a veteran's own
//! submission whose form differs from last year's in three fields, an assisted one, a
//! special-population check, a 现场确认 and a death record.
//!
//! It follows the server's contract where the screens can tell: people outside the caller's
//! districts are 404 like missing ones; every write takes an `Idempotency-Key` (the same key
//! again answers the same and records nothing; a key reused for another operation is 422
//! `idempotency_key_reused`); a write meeting a review that moved on is 409 `conflict` with a
//! [`Conflict`] body (test control: [`FakeAccounts::staff_mark_self_submitted`]); decisions
//! change statuses; uploads must decode and are served back. The liveness evidence of an
//! assisted review goes through the fake's `send_evidence` (a staff challenge is an ordinary fake
//! challenge owned by the staff account; one asked for offline lives
//! [`OFFLINE_CHALLENGE_TTL_HOURS`] there too, like on the server).

use std::collections::HashMap;
use std::io::Cursor;

use chrono::{Datelike, NaiveDate, Utc};
use shared::api::accounts::Role;
use shared::api::problem::Conflict;
use shared::api::review::{QueueItem, SUBMITTED_MESSAGE};
use shared::api::staff::{ConfirmationKind, ConfirmationMethod, DistrictCounts, StaffPersonItem};
use shared::category::Category;
use shared::form::{BasicDraft, PartyDraft, ReviewFormDraft, RewardsDraft};
use shared::lifecycle::StatusKind;

use super::{mask_name, problem, FakeAccounts, State};
use crate::api::liveness::{is_path_safe, LivenessApi};
use crate::api::review::UploadKind;
use crate::api::staff::{
    ChallengeIssued, ConfirmationDetail, ConfirmationRecorded, ConfirmationRequest,
    DeathRecordDetail, DeathRecorded, DeathRequest, DecisionRequest, DecisionResult,
    DistrictSummary, PeopleQuery, PeopleSort, ReferencePhotoRequest, ReferencePhotoStored,
    ReviewQueue, ReviewerApi, StaffApi, StaffPeople, StaffPersonDetail, StaffUploadKind,
    SubmissionAccepted, SubmissionDetail, SubmissionRequest, UploadCreated,
    OFFLINE_CHALLENGE_TTL_HOURS,
};
use crate::api::{ApiError, Problem, Token};

/// The districts of the demo staff member and reviewer.
pub const DEMO_DISTRICTS: [&str; 2] = ["110101", "110102"];
/// The district of the person neither may see.
pub const OTHER_DISTRICT: &str = "310104";

#[derive(Clone)]
struct FakePerson {
    person_id: String,
    name: String,
    id_number: String,
    phone: String,
    category: Category,
    district: String,
    /// A `StatusKind` string.
    status: String,
    status_changed_at: Option<String>,
    deadline: NaiveDate,
    address: String,
    has_reference_photo: bool,
    died_on: Option<String>,
    last_year: ReviewFormDraft,
}

/// One staff write as stored for replays.
#[derive(Clone)]
struct StoredOp {
    operation: &'static str,
    person_id: String,
    answer: serde_json::Value,
}

#[derive(Clone)]
struct QueueEntry {
    item: QueueItem,
    person_id: String,
}

#[derive(Default)]
pub(super) struct FakeStaff {
    seeded: bool,
    people: Vec<FakePerson>,
    /// Upload id → (staff account, person, kind, bytes).
    uploads: HashMap<String, (usize, String, StaffUploadKind, Vec<u8>)>,
    /// Staff challenge id → (staff account, person).
    challenges: HashMap<String, (usize, String)>,
    /// (staff account, Idempotency-Key) → the answer.
    ops: HashMap<(usize, String), StoredOp>,
    queue: Vec<QueueEntry>,
    submissions: HashMap<String, SubmissionDetail>,
    confirmations: HashMap<String, ConfirmationDetail>,
    deaths: HashMap<String, DeathRecordDetail>,
    /// Write requests that reached the fake (replays included).
    write_calls: usize,
    /// Records created (replays excluded).
    writes_created: usize,
    fail_next: Vec<ApiError>,
    next: u64,
}

/// The check character of a 18-digit ID number (GB 11643, ISO 7064 MOD 11-2).
fn with_check_digit(first17: &str) -> String {
    const W: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    const C: &[u8; 11] = b"10X98765432";
    let sum: u32 = first17
        .bytes()
        .zip(W)
        .map(|(b, w)| u32::from(b - b'0') * w)
        .sum();
    format!("{first17}{}", C[(sum % 11) as usize] as char)
}

fn mask_id(id: &str) -> String {
    format!("{}********{}", &id[..6], &id[14..])
}

fn status_label(status: &str) -> &'static str {
    StatusKind::ALL
        .into_iter()
        .find(|k| k.as_str() == status)
        .map(StatusKind::label_zh)
        .unwrap_or("未年审")
}

fn editable(status: &str) -> bool {
    matches!(
        status,
        "not_started" | "draft" | "rejected" | "overdue" | "suspended"
    )
}

fn form_for(p: &FakePerson, political: &str) -> ReviewFormDraft {
    let member = political == "party_member";
    ReviewFormDraft {
        basic: BasicDraft {
            name: Some(p.name.clone()),
            id_number: Some(p.id_number.clone()),
            political_status: Some(political.into()),
            phone: Some(p.phone.clone()),
            emergency_contact_name: Some("王丽".into()),
            emergency_contact_phone: Some("13900001111".into()),
            placement_region: Some(p.district.clone()),
            residence_region: Some(p.district.clone()),
            residence_address: Some(p.address.clone()),
            foreign_nationality: Some(false),
            social_organization: Some(false),
            living_difficulty: Some(false),
            ..BasicDraft::default()
        },
        party: if member {
            PartyDraft {
                is_member: Some(true),
                branch: Some("社区第一党支部".into()),
                branch_phone: Some("010-65000000".into()),
                attends_party_life: Some(true),
                dues_paid: Some("200".into()),
                evaluation: Some("excellent".into()),
            }
        } else {
            PartyDraft {
                is_member: Some(false),
                ..PartyDraft::default()
            }
        },
        rewards: RewardsDraft {
            rewarded: Some(false),
            party_discipline: Some(false),
            criminal_penalty: Some(false),
            ..RewardsDraft::default()
        },
        ..ReviewFormDraft::default()
    }
}

/// A small generated image (`png`: PNG, else JPEG) with a face-like oval, for served uploads.
pub fn demo_image(seed: u8, png: bool) -> Vec<u8> {
    let img = image::RgbImage::from_fn(96, 72, |x, y| {
        let (dx, dy) = (x as i32 - 48, y as i32 - 36);
        if dx * dx * 4 + dy * dy * 9 < 2500 {
            image::Rgb([230, 190, 160])
        } else {
            image::Rgb([
                seed.wrapping_mul(37).wrapping_add((x * 2) as u8),
                120u8.wrapping_add((y * 2) as u8),
                200u8.wrapping_sub(seed),
            ])
        }
    });
    let mut out = Cursor::new(Vec::new());
    let format = if png {
        image::ImageFormat::Png
    } else {
        image::ImageFormat::Jpeg
    };
    // Encoding a small in-memory buffer cannot fail short of out-of-memory.
    let _ = img.write_to(&mut out, format);
    out.into_inner()
}

fn now_rfc3339() -> String {
    Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

fn invalid(errors: Vec<shared::FieldError>) -> ApiError {
    ApiError::Problem(Problem::invalid_fields(errors))
}

fn not_found() -> ApiError {
    problem(404, "not_found", "记录不存在或无权查看")
}

fn conflict(p: &FakePerson, detail: Option<&str>) -> ApiError {
    let when = p
        .status_changed_at
        .as_deref()
        .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
        .map(|t| {
            (t.with_timezone(&Utc) + chrono::Duration::hours(8))
                .format("%Y-%m-%d %H:%M")
                .to_string()
        })
        .unwrap_or_default();
    let detail = detail
        .map(str::to_owned)
        .unwrap_or_else(|| match p.status.as_str() {
            "submitted" | "resubmitted" => {
                format!("该人员本年度年审已于{when}提交,正在等待审核,无需重复办理")
            }
            "special_check_pending" => {
                format!("该人员已于{when}提交特殊人群核验,正在等待审核,无需重复办理")
            }
            "approved" => format!("该人员本年度年审已于{when}审核通过,无需重复办理"),
            "deceased" => format!(
                "该人员已登记死亡(死亡日期{}),不能再办理年审",
                p.died_on.as_deref().unwrap_or("")
            ),
            other => format!("该人员的年审状态已变为「{}」", status_label(other)),
        });
    let mut problem = Problem::new(
        409,
        "conflict",
        "该人员的年审状态已发生变化,本次操作未保存,请核实后处理",
    );
    problem.conflict = Some(Conflict {
        status: p.status.clone(),
        status_label: status_label(&p.status).into(),
        since: p.status_changed_at.clone(),
        detail,
    });
    ApiError::Problem(problem)
}

impl FakeStaff {
    fn id(&mut self, prefix: &str) -> String {
        self.next += 1;
        format!("{prefix}{:030x}", self.next)
    }

    fn person_mut(&mut self, person_id: &str) -> Option<&mut FakePerson> {
        self.people.iter_mut().find(|p| p.person_id == person_id)
    }

    fn set_status(&mut self, person_id: &str, status: &str) {
        if let Some(p) = self.person_mut(person_id) {
            p.status = status.into();
            p.status_changed_at = Some(now_rfc3339());
        }
    }

    /// The demo people and review queue (once).
    fn seed(&mut self) {
        if self.seeded {
            return;
        }
        self.seeded = true;
        let year = chrono::Local::now().year();
        let d = |m: u32, day: u32| NaiveDate::from_ymd_opt(year, m, day).unwrap_or_default();
        #[allow(clippy::type_complexity)]
        let rows: [(
            &str,
            &str,
            &str,
            Category,
            &str,
            &str,
            NaiveDate,
            &str,
            bool,
        ); 12] = [
            (
                "p01",
                "李建国",
                "11010119480315121",
                Category::MilitaryRetiree,
                "110101",
                "not_started",
                d(12, 31),
                "东城区和平里街道和平里七区12号楼3单元502",
                true,
            ),
            (
                "p02",
                "王秀兰",
                "11010119520708242",
                Category::EntitledGroup,
                "110101",
                "not_started",
                d(12, 31),
                "东城区东四街道东四六条18号院1号楼201",
                false,
            ),
            (
                "p03",
                "赵德胜",
                "11010119600122351",
                Category::SelfEmployedOfficer,
                "110101",
                "rejected",
                d(12, 31),
                "东城区朝阳门街道南竹杆胡同6号院4号楼1101",
                true,
            ),
            (
                "p04",
                "孙国强",
                "11010219551105331",
                Category::MonthlyPensionVeteran,
                "110102",
                "not_started",
                d(12, 20),
                "西城区德胜门外大街甲10号院2号楼602",
                true,
            ),
            (
                "p05",
                "周玉梅",
                "11010219470921262",
                Category::NonMilitaryRetiree,
                "110102",
                "overdue",
                d(3, 31),
                "西城区展览路街道百万庄大街3号院7号楼302",
                true,
            ),
            (
                "p06",
                "吴长青",
                "11010219500612171",
                Category::EntitledGroup,
                "110102",
                "not_started",
                d(12, 31),
                "西城区广安门内街道报国寺东夹道9号",
                true,
            ),
            (
                "p07",
                "陈志刚",
                "11010119580403291",
                Category::SelfEmployedOfficer,
                "110101",
                "submitted",
                d(12, 31),
                "东城区建国门街道西总布胡同27号院3号楼405",
                true,
            ),
            (
                "p08",
                "刘淑英",
                "11010119490227202",
                Category::MilitaryRetiree,
                "110101",
                "submitted",
                d(12, 31),
                "东城区北新桥街道东直门内大街168号院2号楼101",
                true,
            ),
            (
                "p09",
                "郑海波",
                "11010219620814311",
                Category::MonthlyPensionVeteran,
                "110102",
                "special_check_pending",
                d(12, 20),
                "西城区金融街街道太平桥大街25号院1号楼803",
                true,
            ),
            (
                "p10",
                "马桂芝",
                "11010219440116302",
                Category::EntitledGroup,
                "110102",
                "submitted",
                d(12, 31),
                "西城区新街口街道西直门内大街132号院5号楼202",
                true,
            ),
            (
                "p11",
                "冯立新",
                "11010119410530131",
                Category::MilitaryRetiree,
                "110101",
                "deceased",
                d(12, 31),
                "东城区景山街道黄化门街14号",
                true,
            ),
            (
                "p12",
                "黄明华",
                "31010419560918241",
                Category::SelfEmployedOfficer,
                OTHER_DISTRICT,
                "not_started",
                d(12, 31),
                "上海市徐汇区漕溪北路88号",
                true,
            ),
        ];
        for (i, (id, name, id17, category, district, status, deadline, address, photo)) in
            rows.into_iter().enumerate()
        {
            let mut p = FakePerson {
                person_id: format!("{id}fake0000000000000000000000000"),
                name: name.into(),
                id_number: with_check_digit(id17),
                phone: format!("1390000{:04}", 1001 + i),
                category,
                district: district.into(),
                status: status.into(),
                status_changed_at: (status != "not_started")
                    .then(|| format!("{year}-0{}-1{}T02:30:00Z", 2 + i % 6, i % 10)),
                deadline,
                address: address.into(),
                has_reference_photo: photo,
                died_on: (status == "deceased").then(|| format!("{year}-02-11")),
                last_year: ReviewFormDraft::default(),
            };
            let political = if i % 3 == 1 { "masses" } else { "party_member" };
            p.last_year = form_for(&p, political);
            self.people.push(p);
        }
        // The review queue: one of each kind.
        let add = |s: &mut FakeStaff, idx: usize, kind: &str, hours_ago: i64| -> String {
            let p = s.people[idx].clone();
            let id = s.id("rq");
            let submitted_at = (Utc::now() - chrono::Duration::hours(hours_ago))
                .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
            s.queue.push(QueueEntry {
                person_id: p.person_id.clone(),
                item: QueueItem {
                    submission_id: id.clone(),
                    status: if kind == "death" {
                        "submitted".into()
                    } else {
                        p.status.clone()
                    },
                    submitted_at,
                    year,
                    category: p.category.as_str().into(),
                    category_label: p.category.label_zh().into(),
                    district: p.district.clone(),
                    masked_name: mask_name(&p.name),
                    kind: kind.into(),
                },
            });
            id
        };
        // p07: their own submission, three fields changed since last year.
        let own = add(self, 6, "submission", 50);
        let p = self.people[6].clone();
        let mut form = p.last_year.clone();
        form.basic.phone = Some("13811112222".into());
        form.basic.residence_address = Some("东城区建国门街道东总布胡同10号院2号楼1203".into());
        form.party.dues_paid = Some("240".into());
        let detail = self.submission_detail(&own, &p, form, "submission", None);
        self.submissions.insert(own, detail);
        // p08: assisted by the demo staff member.
        let assisted = add(self, 7, "assisted_submission", 30);
        let p = self.people[7].clone();
        let mut detail =
            self.submission_detail(&assisted, &p, p.last_year.clone(), "submission", None);
        detail.assisted_by = Some("u3".into());
        detail.assisted_by_name = Some("林小红".into());
        self.submissions.insert(assisted, detail);
        // p09: the special-population check (newspaper photo).
        let special = add(self, 8, "special_population", 20);
        let p = self.people[8].clone();
        let newspaper = self.seed_upload(&p.person_id, StaffUploadKind::NewspaperPhoto, 9);
        let mut detail = self.submission_detail(
            &special,
            &p,
            p.last_year.clone(),
            "special_check_pending",
            Some(newspaper),
        );
        detail.special_population = true;
        detail.face_match_score = Some(0.41);
        self.submissions.insert(special, detail);
        // p10: a 现场确认 at home with a relative.
        let conf = add(self, 9, "confirmation", 10);
        let p = self.people[9].clone();
        let photo = self.seed_upload(&p.person_id, StaffUploadKind::NewspaperPhoto, 10);
        self.confirmations.insert(
            conf.clone(),
            ConfirmationDetail {
                confirmation_id: conf,
                person_id: p.person_id.clone(),
                masked_name: mask_name(&p.name),
                category: p.category.as_str().into(),
                category_label: p.category.label_zh().into(),
                district: p.district.clone(),
                year,
                kind: ConfirmationKind::OnSite.as_str().into(),
                kind_label: ConfirmationKind::OnSite.label_zh().into(),
                method: ConfirmationMethod::HomeVisit.as_str().into(),
                method_label: ConfirmationMethod::HomeVisit.label_zh().into(),
                confirmed_at: (Utc::now() - chrono::Duration::hours(11))
                    .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                delegate_name: Some("马小军(儿子)".into()),
                notes: Some("本人卧床,在家中核验,精神状况良好".into()),
                photo_upload: Some(photo),
                staff_id: "u3".into(),
                staff_name: "林小红".into(),
                status: "submitted".into(),
                recorded_at: now_rfc3339(),
                decision_reason: None,
            },
        );
        // p11: a death record.
        let death = add(self, 10, "death", 5);
        let p = self.people[10].clone();
        let evidence = self.seed_upload(&p.person_id, StaffUploadKind::DeathEvidence, 11);
        self.deaths.insert(
            death.clone(),
            DeathRecordDetail {
                death_record_id: death,
                person_id: p.person_id.clone(),
                masked_name: mask_name(&p.name),
                category: p.category.as_str().into(),
                category_label: p.category.label_zh().into(),
                district: p.district.clone(),
                year,
                died_on: p.died_on.clone().unwrap_or_default(),
                evidence_upload: evidence,
                notes: Some("家属提供医院出具的死亡医学证明".into()),
                staff_id: "u3".into(),
                staff_name: "林小红".into(),
                status: "submitted".into(),
                recorded_at: now_rfc3339(),
                undo_reason: None,
            },
        );
    }

    /// An upload made "by staff" for seeded records (owner: nobody; served to reviewers).
    fn seed_upload(&mut self, person_id: &str, kind: StaffUploadKind, seed: u8) -> String {
        let id = self.id("up");
        self.uploads.insert(
            id.clone(),
            (usize::MAX, person_id.into(), kind, demo_image(seed, false)),
        );
        id
    }

    fn submission_detail(
        &mut self,
        id: &str,
        p: &FakePerson,
        form: ReviewFormDraft,
        status: &str,
        newspaper: Option<String>,
    ) -> SubmissionDetail {
        let front = self.seed_upload(&p.person_id, StaffUploadKind::IdFront, 1);
        let back = self.seed_upload(&p.person_id, StaffUploadKind::IdBack, 2);
        let frames: Vec<String> = (0..3)
            .map(|i| self.seed_upload(&p.person_id, StaffUploadKind::LivenessFrame, 20 + i))
            .collect();
        let changed_fields = changed_fields(&p.last_year, &form);
        SubmissionDetail {
            submission_id: id.into(),
            status: if status == "submission" {
                "submitted".into()
            } else {
                status.into()
            },
            submitted_at: now_rfc3339(),
            year: chrono::Local::now().year(),
            category: p.category.as_str().into(),
            category_label: p.category.label_zh().into(),
            district: p.district.clone(),
            form,
            id_front_upload: front,
            id_back_upload: back,
            liveness_challenge_id: format!("{:032x}", self.next),
            last_year: Some(p.last_year.clone()),
            changed_fields,
            decision_reason: None,
            special_population: false,
            newspaper_photo_upload: newspaper,
            face_match_score: Some(0.83),
            liveness_frames: frames,
            assisted_by: None,
            assisted_by_name: None,
        }
    }
}

/// The field paths that differ between two forms (the server's rule: `shared::form::diff` on the
/// validated forms), falling back to comparing the drafts' JSON leaves.
fn changed_fields(before: &ReviewFormDraft, after: &ReviewFormDraft) -> Vec<String> {
    let today = chrono::Local::now().date_naive();
    let mut b = before.clone();
    let mut a = after.clone();
    for f in [&mut b, &mut a] {
        f.basic.id_front_photo = Some("front".into());
        f.basic.id_back_photo = Some("back".into());
        f.verification.liveness_challenge_id = Some("challenge".into());
    }
    if let (Ok(b), Ok(a)) = (b.validate(today), a.validate(today)) {
        return shared::form::diff(&b, &a)
            .into_iter()
            .map(|c| c.path.to_owned())
            .collect();
    }
    let (Ok(serde_json::Value::Object(b)), Ok(serde_json::Value::Object(a))) =
        (serde_json::to_value(before), serde_json::to_value(after))
    else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for (section, bv) in &b {
        let av = a.get(section);
        if let (serde_json::Value::Object(bm), Some(serde_json::Value::Object(am))) = (bv, av) {
            for (k, v) in bm {
                if am.get(k) != Some(v) {
                    out.push(format!("{section}.{k}"));
                }
            }
        }
    }
    out
}

impl FakeAccounts {
    /// Runs `f` for a caller of `role` (401 without a session, 403 for another role), after the
    /// offline switch and the scripted failures.
    fn staff_call<T>(
        &self,
        token: &Token,
        role: Role,
        f: impl FnOnce(&mut State, usize) -> Result<T, ApiError>,
    ) -> Result<T, ApiError> {
        let mut state = self.lock();
        state.staff.seed();
        let index = state.enter(token, |s| &mut s.staff.fail_next)?;
        if state.accounts[index].person.role != role {
            return Err(problem(403, "forbidden", "您没有权限进行此操作"));
        }
        f(&mut state, index)
    }

    /// The next staff or reviewer calls fail with these errors, in order.
    pub fn fail_next_staff(&self, errors: Vec<ApiError>) {
        self.lock().staff.fail_next.extend(errors);
    }

    /// Staff write requests that reached the fake (replays included).
    pub fn staff_write_calls(&self) -> usize {
        self.lock().staff.write_calls
    }

    /// Staff records created (replays excluded).
    pub fn staff_writes_created(&self) -> usize {
        self.lock().staff.writes_created
    }

    /// Staff uploads made so far (seeded ones excluded).
    pub fn staff_uploads_made(&self) -> usize {
        self.lock()
            .staff
            .uploads
            .values()
            .filter(|u| u.0 != usize::MAX)
            .count()
    }

    /// The demo person ids, in the demo order (`p01…` first; the last is outside the demo
    /// districts).
    pub fn staff_person_ids(&self) -> Vec<String> {
        let mut state = self.lock();
        state.staff.seed();
        state
            .staff
            .people
            .iter()
            .map(|p| p.person_id.clone())
            .collect()
    }

    /// The person submitted this year's review on their own phone: their review is `submitted`
    /// now, so a staff write for them is a 409 `conflict`. Returns whether the person exists.
    pub fn staff_mark_self_submitted(&self, person_id: &str) -> bool {
        let mut state = self.lock();
        state.staff.seed();
        let Some(p) = state.staff.person_mut(person_id) else {
            return false;
        };
        p.status = "submitted".into();
        p.status_changed_at = Some(now_rfc3339());
        true
    }

    /// Pass a staff liveness challenge without evidence (for UI tests that do not run models).
    pub fn staff_pass_challenge(&self, challenge_id: &str) -> bool {
        let mut state = self.lock();
        let Some((staff, _)) = state.staff.challenges.get(challenge_id).cloned() else {
            return false;
        };
        state
            .review
            .challenges
            .insert(challenge_id.to_owned(), staff);
        true
    }
}

/// The scope check: the person exists and is in a demo district (both demo accounts work on
/// exactly those).
fn scoped(state: &State, person_id: &str) -> Result<FakePerson, ApiError> {
    if !is_path_safe(person_id) {
        return Err(not_found());
    }
    state
        .staff
        .people
        .iter()
        .find(|p| p.person_id == person_id && DEMO_DISTRICTS.contains(&p.district.as_str()))
        .cloned()
        .ok_or_else(not_found)
}

/// A replay of `key`: the stored answer, or 422 when it was used for something else.
fn replay(
    state: &mut State,
    staff: usize,
    key: &str,
    operation: &'static str,
    person_id: &str,
) -> Result<Option<serde_json::Value>, ApiError> {
    state.staff.write_calls += 1;
    let key = key.trim();
    if key.is_empty() || key.len() > 128 || !key.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(problem(
            422,
            "idempotency_key_required",
            "缺少操作编号,请重新提交",
        ));
    }
    match state.staff.ops.get(&(staff, key.to_owned())) {
        None => Ok(None),
        Some(op) if op.operation == operation && op.person_id == person_id => {
            Ok(Some(op.answer.clone()))
        }
        Some(_) => Err(invalid(vec![shared::FieldError::new(
            "Idempotency-Key",
            "idempotency_key_reused",
            "该操作编号已用于其他操作,请重新生成后提交",
        )])),
    }
}

fn store_op<T: serde::Serialize>(
    state: &mut State,
    staff: usize,
    key: &str,
    operation: &'static str,
    person_id: &str,
    answer: &T,
) {
    state.staff.writes_created += 1;
    state.staff.ops.insert(
        (staff, key.trim().to_owned()),
        StoredOp {
            operation,
            person_id: person_id.into(),
            answer: serde_json::to_value(answer).unwrap_or_default(),
        },
    );
}

fn from_stored<T: serde::de::DeserializeOwned>(v: serde_json::Value) -> Result<T, ApiError> {
    serde_json::from_value(v).map_err(|_| ApiError::BadResponse { status: 201 })
}

fn check_upload(
    state: &State,
    errors: &mut Vec<shared::FieldError>,
    staff: usize,
    person_id: &str,
    field: &str,
    upload_id: &str,
    kind: StaffUploadKind,
) {
    match state.staff.uploads.get(upload_id.trim()) {
        Some((owner, person, k, _)) if *owner == staff && person == person_id => {
            if *k != kind {
                errors.push(shared::FieldError::new(
                    field,
                    "upload_wrong_kind",
                    "上传的图片类型不对,请重新上传",
                ));
            }
        }
        _ => errors.push(shared::FieldError::new(
            field,
            "upload_not_found",
            "图片不存在或已失效,请重新上传",
        )),
    }
}

fn staff_name(state: &State, staff: usize) -> String {
    state.accounts[staff].person.name.clone()
}

fn queue_item(p: &FakePerson, id: &str, kind: &str, status: &str) -> QueueEntry {
    QueueEntry {
        person_id: p.person_id.clone(),
        item: QueueItem {
            submission_id: id.into(),
            status: status.into(),
            submitted_at: now_rfc3339(),
            year: chrono::Local::now().year(),
            category: p.category.as_str().into(),
            category_label: p.category.label_zh().into(),
            district: p.district.clone(),
            masked_name: mask_name(&p.name),
            kind: kind.into(),
        },
    }
}

impl StaffApi for FakeAccounts {
    fn staff_people(&self, token: &Token, query: &PeopleQuery) -> Result<StaffPeople, ApiError> {
        self.staff_call(token, Role::Staff, |state, _| {
            if query.page == 0 || query.per_page == 0 || query.per_page > 200 {
                return Err(invalid(vec![shared::FieldError::new(
                    "per_page",
                    "per_page_invalid",
                    "每页条数应为1到200",
                )]));
            }
            let q = query.q.as_deref().map(str::trim).filter(|s| !s.is_empty());
            let mut items: Vec<StaffPersonItem> = state
                .staff
                .people
                .iter()
                .filter(|p| DEMO_DISTRICTS.contains(&p.district.as_str()))
                .filter(|p| !query.owing_only || editable(&p.status))
                .filter(|p| {
                    q.is_none_or(|q| {
                        p.name.contains(q) || mask_id(&p.id_number).contains(&q.to_uppercase())
                    })
                })
                .map(|p| StaffPersonItem {
                    person_id: p.person_id.clone(),
                    masked_name: mask_name(&p.name),
                    masked_id_number: mask_id(&p.id_number),
                    category: p.category.as_str().into(),
                    category_label: p.category.label_zh().into(),
                    district: p.district.clone(),
                    status: p.status.clone(),
                    status_label: status_label(&p.status).into(),
                    deadline: p.deadline.to_string(),
                    address: Some(p.address.clone()),
                    owing: editable(&p.status),
                    has_reference_photo: p.has_reference_photo,
                })
                .collect();
            match query.sort {
                PeopleSort::Deadline => items.sort_by(|a, b| {
                    (&a.deadline, &a.district, &a.person_id).cmp(&(
                        &b.deadline,
                        &b.district,
                        &b.person_id,
                    ))
                }),
                PeopleSort::Address => items
                    .sort_by(|a, b| (&a.address, &a.person_id).cmp(&(&b.address, &b.person_id))),
            }
            let total = items.len() as u64;
            let start = (query.page as usize - 1) * query.per_page as usize;
            let items = items
                .into_iter()
                .skip(start)
                .take(query.per_page as usize)
                .collect();
            Ok(StaffPeople {
                items,
                page: query.page,
                per_page: query.per_page,
                total,
            })
        })
    }

    fn staff_person(&self, token: &Token, person_id: &str) -> Result<StaffPersonDetail, ApiError> {
        self.staff_call(token, Role::Staff, |state, _| {
            let p = scoped(state, person_id)?;
            let year = chrono::Local::now().year();
            let mut prefill = p.last_year.clone();
            prefill.verification = Default::default();
            Ok(StaffPersonDetail {
                person_id: p.person_id.clone(),
                name: p.name.clone(),
                masked_id_number: mask_id(&p.id_number),
                category: p.category.as_str().into(),
                category_label: p.category.label_zh().into(),
                district: p.district.clone(),
                year,
                status: p.status.clone(),
                status_label: status_label(&p.status).into(),
                status_changed_at: p.status_changed_at.clone(),
                opens: format!("{year}-01-01"),
                deadline: p.deadline.to_string(),
                prefill: Some(prefill),
                draft: None,
                has_reference_photo: p.has_reference_photo,
                died_on: p.died_on.clone(),
                consequences: p.category.overdue_consequence_zh().into(),
            })
        })
    }

    fn staff_upload(
        &self,
        token: &Token,
        person_id: &str,
        kind: StaffUploadKind,
        bytes: Vec<u8>,
        _file_name: &str,
    ) -> Result<UploadCreated, ApiError> {
        self.staff_call(token, Role::Staff, |state, staff| {
            let p = scoped(state, person_id)?;
            if bytes.len() > crate::queue::MAX_PHOTO_BYTES {
                return Err(problem(413, "too_large", "图片不能超过2MB"));
            }
            if image::load_from_memory(&bytes).is_err() {
                return Err(problem(
                    415,
                    "unsupported_media",
                    "只能上传JPG或PNG格式的图片",
                ));
            }
            let upload_id = state.staff.id("up");
            if kind == StaffUploadKind::LivenessFrame {
                // The fake evidence endpoint checks the caller's liveness frames here.
                state
                    .review
                    .uploads
                    .insert(upload_id.clone(), (staff, UploadKind::LivenessFrame));
            }
            state
                .staff
                .uploads
                .insert(upload_id.clone(), (staff, p.person_id, kind, bytes));
            Ok(UploadCreated { upload_id })
        })
    }

    fn staff_challenge(&self, token: &Token, person_id: &str) -> Result<ChallengeIssued, ApiError> {
        let (staff, person) = self.staff_call(token, Role::Staff, |state, staff| {
            let p = scoped(state, person_id)?;
            if p.status == "deceased" {
                return Err(conflict(&p, None));
            }
            Ok((staff, p.person_id))
        })?;
        let issued = self.new_challenge(token)?;
        self.lock()
            .staff
            .challenges
            .insert(issued.challenge_id.clone(), (staff, person));
        Ok(issued)
    }

    fn staff_offline_challenge(
        &self,
        token: &Token,
        person_id: &str,
    ) -> Result<ChallengeIssued, ApiError> {
        let mut issued = self.staff_challenge(token, person_id)?;
        let expires_at = Utc::now() + chrono::Duration::hours(OFFLINE_CHALLENGE_TTL_HOURS);
        self.lock()
            .liveness
            .set_expiry(&issued.challenge_id, expires_at);
        issued.expires_at = expires_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        Ok(issued)
    }

    fn staff_submit(
        &self,
        token: &Token,
        person_id: &str,
        idempotency_key: &str,
        req: &SubmissionRequest,
    ) -> Result<SubmissionAccepted, ApiError> {
        self.staff_call(token, Role::Staff, |state, staff| {
            let p = scoped(state, person_id)?;
            if let Some(v) = replay(state, staff, idempotency_key, "submission", &p.person_id)? {
                return from_stored(v);
            }
            let today = chrono::Local::now().date_naive();
            let mut draft = req.form.clone();
            draft.basic.id_front_photo = Some(req.id_front_upload.clone());
            draft.basic.id_back_photo = Some(req.id_back_upload.clone());
            draft.verification.liveness_challenge_id = Some(req.liveness_challenge_id.clone());
            let mut errors = match draft.validate(today) {
                Ok(form) => form.check_submittable().err().unwrap_or_default(),
                Err(e) => e,
            };
            if draft.basic.name.as_deref() != Some(p.name.as_str()) {
                errors.push(shared::FieldError::new(
                    "basic.name",
                    "name_mismatch",
                    "姓名与建档立卡信息不一致",
                ));
            }
            if draft.basic.id_number.as_deref() != Some(p.id_number.as_str()) {
                errors.push(shared::FieldError::new(
                    "basic.id_number",
                    "id_number_mismatch",
                    "身份证号与建档立卡信息不一致",
                ));
            }
            check_upload(
                state,
                &mut errors,
                staff,
                &p.person_id,
                "id_front_upload",
                &req.id_front_upload,
                StaffUploadKind::IdFront,
            );
            check_upload(
                state,
                &mut errors,
                staff,
                &p.person_id,
                "id_back_upload",
                &req.id_back_upload,
                StaffUploadKind::IdBack,
            );
            let issued_for_person = state.staff.challenges.get(&req.liveness_challenge_id)
                == Some(&(staff, p.person_id.clone()));
            let passed = state.review.challenges.get(&req.liveness_challenge_id) == Some(&staff);
            if !issued_for_person || !passed {
                errors.push(shared::FieldError::new(
                    "liveness_challenge_id",
                    "challenge_not_found",
                    "身份核验记录不存在,请重新进行人脸识别",
                ));
            }
            if !errors.is_empty() {
                return Err(invalid(errors));
            }
            if !editable(&p.status) {
                return Err(conflict(&p, None));
            }
            let next = if p.status == "rejected" {
                "resubmitted"
            } else {
                "submitted"
            };
            state.review.challenges.remove(&req.liveness_challenge_id);
            let id = state.staff.id("sb");
            let answer = SubmissionAccepted {
                submission_id: id.clone(),
                status: next.into(),
                message: SUBMITTED_MESSAGE.into(),
            };
            let name = staff_name(state, staff);
            let mut detail = state
                .staff
                .submission_detail(&id, &p, req.form.clone(), next, None);
            detail.id_front_upload = req.id_front_upload.clone();
            detail.id_back_upload = req.id_back_upload.clone();
            detail.liveness_challenge_id = req.liveness_challenge_id.clone();
            detail.assisted_by = Some(state.accounts[staff].user_id.clone());
            detail.assisted_by_name = Some(name);
            state.staff.submissions.insert(id.clone(), detail);
            state.staff.set_status(&p.person_id, next);
            let entry = queue_item(&p, &id, "assisted_submission", next);
            state.staff.queue.push(entry);
            store_op(
                state,
                staff,
                idempotency_key,
                "submission",
                &p.person_id,
                &answer,
            );
            Ok(answer)
        })
    }

    fn staff_confirm(
        &self,
        token: &Token,
        person_id: &str,
        idempotency_key: &str,
        req: &ConfirmationRequest,
    ) -> Result<ConfirmationRecorded, ApiError> {
        self.staff_call(token, Role::Staff, |state, staff| {
            let p = scoped(state, person_id)?;
            if let Some(v) = replay(state, staff, idempotency_key, "confirmation", &p.person_id)? {
                return from_stored(v);
            }
            let mut errors = Vec::new();
            let kind = ConfirmationKind::parse(req.kind.trim());
            let method = ConfirmationMethod::parse(req.method.trim());
            if kind.is_none() {
                errors.push(shared::FieldError::new(
                    "kind",
                    "confirmation_kind_invalid",
                    "确认方式应为现场确认(on_site)或远程确认(remote)",
                ));
            }
            match (kind, method) {
                (_, None) => errors.push(shared::FieldError::new(
                    "method",
                    "confirmation_method_invalid",
                    "核验方式应为at_centre、home_visit、video_call或phone_call",
                )),
                (Some(k), Some(m)) if !k.methods().contains(&m) => {
                    errors.push(shared::FieldError::new(
                        "method",
                        "confirmation_method_mismatch",
                        format!("{}不能使用「{}」方式", k.label_zh(), m.label_zh()),
                    ))
                }
                _ => {}
            }
            match chrono::DateTime::parse_from_rfc3339(req.confirmed_at.trim()) {
                Ok(t) if t.with_timezone(&Utc) > Utc::now() + chrono::Duration::minutes(5) => {
                    errors.push(shared::FieldError::new(
                        "confirmed_at",
                        "confirmed_at_future",
                        "确认时间不能晚于当前时间",
                    ))
                }
                Ok(_) => {}
                Err(_) => errors.push(shared::FieldError::new(
                    "confirmed_at",
                    "datetime_invalid",
                    "确认时间格式不正确,应为RFC 3339格式",
                )),
            }
            let photo = req
                .photo_upload
                .as_deref()
                .map(str::trim)
                .filter(|s| !s.is_empty());
            match photo {
                Some(id) => check_upload(
                    state,
                    &mut errors,
                    staff,
                    &p.person_id,
                    "photo_upload",
                    id,
                    StaffUploadKind::NewspaperPhoto,
                ),
                None if kind.is_some_and(ConfirmationKind::photo_required) => {
                    errors.push(shared::FieldError::new(
                        "photo_upload",
                        "photo_required",
                        "远程确认需上传本人手持身份证及当日报刊的免冠照片",
                    ))
                }
                None => {}
            }
            let (Some(kind), Some(method)) = (kind, method) else {
                return Err(invalid(errors));
            };
            if !errors.is_empty() {
                return Err(invalid(errors));
            }
            if !editable(&p.status) {
                return Err(conflict(&p, None));
            }
            let id = state.staff.id("cf");
            let answer = ConfirmationRecorded {
                confirmation_id: id.clone(),
                person_id: p.person_id.clone(),
                status: "submitted".into(),
                message: format!("{}已记录,待审核人员审核", kind.label_zh()),
            };
            let detail = ConfirmationDetail {
                confirmation_id: id.clone(),
                person_id: p.person_id.clone(),
                masked_name: mask_name(&p.name),
                category: p.category.as_str().into(),
                category_label: p.category.label_zh().into(),
                district: p.district.clone(),
                year: chrono::Local::now().year(),
                kind: kind.as_str().into(),
                kind_label: kind.label_zh().into(),
                method: method.as_str().into(),
                method_label: method.label_zh().into(),
                confirmed_at: req.confirmed_at.trim().into(),
                delegate_name: req.delegate_name.clone().filter(|s| !s.trim().is_empty()),
                notes: req.notes.clone().filter(|s| !s.trim().is_empty()),
                photo_upload: photo.map(str::to_owned),
                staff_id: state.accounts[staff].user_id.clone(),
                staff_name: staff_name(state, staff),
                status: "submitted".into(),
                recorded_at: now_rfc3339(),
                decision_reason: None,
            };
            state.staff.confirmations.insert(id.clone(), detail);
            state.staff.set_status(&p.person_id, "submitted");
            let entry = queue_item(&p, &id, "confirmation", "submitted");
            state.staff.queue.push(entry);
            store_op(
                state,
                staff,
                idempotency_key,
                "confirmation",
                &p.person_id,
                &answer,
            );
            Ok(answer)
        })
    }

    fn staff_record_death(
        &self,
        token: &Token,
        person_id: &str,
        idempotency_key: &str,
        req: &DeathRequest,
    ) -> Result<DeathRecorded, ApiError> {
        self.staff_call(token, Role::Staff, |state, staff| {
            let p = scoped(state, person_id)?;
            if let Some(v) = replay(state, staff, idempotency_key, "death", &p.person_id)? {
                return from_stored(v);
            }
            let mut errors = Vec::new();
            let today = chrono::Local::now().date_naive();
            match NaiveDate::parse_from_str(req.died_on.trim(), "%Y-%m-%d") {
                Ok(d) if d > today => errors.push(shared::FieldError::new(
                    "died_on",
                    "died_on_future",
                    "死亡日期不能晚于今天",
                )),
                Ok(_) => {}
                Err(_) => errors.push(shared::FieldError::new(
                    "died_on",
                    "date_invalid",
                    "请填写正确的死亡日期",
                )),
            }
            check_upload(
                state,
                &mut errors,
                staff,
                &p.person_id,
                "evidence_upload",
                &req.evidence_upload,
                StaffUploadKind::DeathEvidence,
            );
            if !errors.is_empty() {
                return Err(invalid(errors));
            }
            if p.status == "deceased" {
                return Err(conflict(&p, None));
            }
            let id = state.staff.id("dr");
            let answer = DeathRecorded {
                death_record_id: id.clone(),
                person_id: p.person_id.clone(),
                status: "deceased".into(),
                payment_stopped: true,
                message: "死亡信息已登记,待遇已停发,待审核人员核实".into(),
            };
            let detail = DeathRecordDetail {
                death_record_id: id.clone(),
                person_id: p.person_id.clone(),
                masked_name: mask_name(&p.name),
                category: p.category.as_str().into(),
                category_label: p.category.label_zh().into(),
                district: p.district.clone(),
                year: today.year(),
                died_on: req.died_on.trim().into(),
                evidence_upload: req.evidence_upload.trim().into(),
                notes: req.notes.clone().filter(|s| !s.trim().is_empty()),
                staff_id: state.accounts[staff].user_id.clone(),
                staff_name: staff_name(state, staff),
                status: "submitted".into(),
                recorded_at: now_rfc3339(),
                undo_reason: None,
            };
            state.staff.deaths.insert(id.clone(), detail);
            state.staff.set_status(&p.person_id, "deceased");
            if let Some(person) = state.staff.person_mut(&p.person_id) {
                person.died_on = Some(req.died_on.trim().into());
            }
            let entry = queue_item(&p, &id, "death", "submitted");
            state.staff.queue.push(entry);
            store_op(
                state,
                staff,
                idempotency_key,
                "death",
                &p.person_id,
                &answer,
            );
            Ok(answer)
        })
    }

    fn staff_reference_photo(
        &self,
        token: &Token,
        person_id: &str,
        idempotency_key: &str,
        req: &ReferencePhotoRequest,
    ) -> Result<ReferencePhotoStored, ApiError> {
        self.staff_call(token, Role::Staff, |state, staff| {
            let p = scoped(state, person_id)?;
            if let Some(v) = replay(
                state,
                staff,
                idempotency_key,
                "reference_photo",
                &p.person_id,
            )? {
                return from_stored(v);
            }
            let mut errors = Vec::new();
            if !req.consent {
                errors.push(shared::FieldError::new(
                    "consent",
                    "consent_required",
                    "采集基准照片须经本人同意",
                ));
            }
            check_upload(
                state,
                &mut errors,
                staff,
                &p.person_id,
                "upload_id",
                &req.upload_id,
                StaffUploadKind::ReferencePhoto,
            );
            if !errors.is_empty() {
                return Err(invalid(errors));
            }
            if p.has_reference_photo {
                return Err(conflict(
                    &p,
                    Some("该人员已有基准照片,如需更换请联系管理员"),
                ));
            }
            if let Some(person) = state.staff.person_mut(&p.person_id) {
                person.has_reference_photo = true;
            }
            let answer = ReferencePhotoStored {
                person_id: p.person_id.clone(),
                has_reference_photo: true,
            };
            store_op(
                state,
                staff,
                idempotency_key,
                "reference_photo",
                &p.person_id,
                &answer,
            );
            Ok(answer)
        })
    }

    fn staff_summary(&self, token: &Token) -> Result<DistrictSummary, ApiError> {
        self.staff_call(token, Role::Staff, |state, _| {
            let districts = DEMO_DISTRICTS
                .iter()
                .map(|d| {
                    let mut c = DistrictCounts {
                        district: (*d).into(),
                        district_name: if *d == "110101" {
                            "北京市东城区".into()
                        } else {
                            "北京市西城区".into()
                        },
                        total: 0,
                        reviewed: 0,
                        pending: 0,
                        owing: 0,
                        overdue: 0,
                        suspended: 0,
                        deceased: 0,
                    };
                    for p in state.staff.people.iter().filter(|p| p.district == *d) {
                        c.total += 1;
                        match p.status.as_str() {
                            "deceased" => c.deceased += 1,
                            "suspended" => c.suspended += 1,
                            "overdue" => c.overdue += 1,
                            "submitted" | "resubmitted" | "special_check_pending" => c.pending += 1,
                            "approved" => c.reviewed += 1,
                            _ => c.owing += 1,
                        }
                    }
                    c
                })
                .collect();
            Ok(DistrictSummary {
                year: chrono::Local::now().year(),
                districts,
            })
        })
    }
}

/// `approve`, or `reject` with a reason; anything else is a field error.
fn parse_decision(req: &DecisionRequest) -> Result<Option<String>, ApiError> {
    match req.decision.as_str() {
        "approve" => Ok(None),
        "reject" => match req
            .reason
            .as_deref()
            .map(str::trim)
            .filter(|r| !r.is_empty())
        {
            Some(r) => Ok(Some(r.to_owned())),
            None => Err(invalid(vec![shared::FieldError::new(
                "reason",
                "reason_required",
                "请填写不通过原因",
            )])),
        },
        _ => Err(invalid(vec![shared::FieldError::new(
            "decision",
            "decision_invalid",
            "审核结果应为通过或不通过",
        )])),
    }
}

fn illegal() -> ApiError {
    problem(409, "illegal_transition", "该事项已审核,不能重复审核")
}

/// Sets the queue item's status (and the person's, to `person_status`).
/// `rejected` with a reason, else `approved`.
fn outcome(reason: &Option<String>) -> &'static str {
    if reason.is_some() {
        "rejected"
    } else {
        "approved"
    }
}

/// Records a decision on the queue item `id` (and the person's new status) and answers it.
fn decided(state: &mut State, id: &str, status: &str, person_status: &str) -> DecisionResult {
    let mut person = None;
    if let Some(e) = state
        .staff
        .queue
        .iter_mut()
        .find(|e| e.item.submission_id == id)
    {
        e.item.status = status.into();
        person = Some(e.person_id.clone());
    }
    if let Some(p) = person {
        state.staff.set_status(&p, person_status);
    }
    DecisionResult {
        submission_id: id.into(),
        status: status.into(),
    }
}

impl ReviewerApi for FakeAccounts {
    fn review_queue(
        &self,
        token: &Token,
        status: &str,
        page: u32,
    ) -> Result<ReviewQueue, ApiError> {
        self.staff_call(token, Role::Reviewer, |state, _| {
            let wanted = if status.trim().is_empty() {
                "submitted"
            } else {
                status.trim()
            };
            let per_page = 20u32;
            let page = page.max(1);
            let mut items: Vec<QueueItem> = state
                .staff
                .queue
                .iter()
                .filter(|e| DEMO_DISTRICTS.contains(&e.item.district.as_str()))
                .filter(|e| match wanted {
                    // Waiting: every kind's waiting statuses.
                    "submitted" => matches!(
                        e.item.status.as_str(),
                        "submitted" | "resubmitted" | "special_check_pending"
                    ),
                    other => e.item.status == other,
                })
                .map(|e| e.item.clone())
                .collect();
            items.sort_by(|a, b| a.submitted_at.cmp(&b.submitted_at));
            let total = items.len() as u64;
            let items = items
                .into_iter()
                .skip(((page - 1) * per_page) as usize)
                .take(per_page as usize)
                .collect();
            Ok(ReviewQueue {
                items,
                page,
                per_page,
                total,
            })
        })
    }

    fn submission(&self, token: &Token, id: &str) -> Result<SubmissionDetail, ApiError> {
        self.staff_call(token, Role::Reviewer, |state, _| {
            state
                .staff
                .submissions
                .get(id)
                .filter(|s| DEMO_DISTRICTS.contains(&s.district.as_str()))
                .cloned()
                .ok_or_else(not_found)
        })
    }

    fn decide_submission(
        &self,
        token: &Token,
        id: &str,
        req: &DecisionRequest,
    ) -> Result<DecisionResult, ApiError> {
        self.staff_call(token, Role::Reviewer, |state, _| {
            let reason = parse_decision(req)?;
            let Some(s) = state.staff.submissions.get_mut(id) else {
                return Err(not_found());
            };
            if !matches!(
                s.status.as_str(),
                "submitted" | "resubmitted" | "special_check_pending"
            ) {
                return Err(illegal());
            }
            let status = outcome(&reason);
            s.status = status.into();
            s.decision_reason = reason;
            Ok(decided(state, id, status, status))
        })
    }

    fn confirmation(&self, token: &Token, id: &str) -> Result<ConfirmationDetail, ApiError> {
        self.staff_call(token, Role::Reviewer, |state, _| {
            state
                .staff
                .confirmations
                .get(id)
                .cloned()
                .ok_or_else(not_found)
        })
    }

    fn decide_confirmation(
        &self,
        token: &Token,
        id: &str,
        req: &DecisionRequest,
    ) -> Result<DecisionResult, ApiError> {
        self.staff_call(token, Role::Reviewer, |state, _| {
            let reason = parse_decision(req)?;
            let Some(c) = state.staff.confirmations.get_mut(id) else {
                return Err(not_found());
            };
            if c.status != "submitted" {
                return Err(illegal());
            }
            let status = outcome(&reason);
            c.status = status.into();
            c.decision_reason = reason;
            Ok(decided(state, id, status, status))
        })
    }

    fn death_record(&self, token: &Token, id: &str) -> Result<DeathRecordDetail, ApiError> {
        self.staff_call(token, Role::Reviewer, |state, _| {
            state.staff.deaths.get(id).cloned().ok_or_else(not_found)
        })
    }

    fn decide_death(
        &self,
        token: &Token,
        id: &str,
        req: &DecisionRequest,
    ) -> Result<DecisionResult, ApiError> {
        self.staff_call(token, Role::Reviewer, |state, _| {
            if req.decision == "reject" {
                return Err(invalid(vec![shared::FieldError::new(
                    "decision",
                    "death_reject_not_allowed",
                    "死亡登记不能驳回,如有错误请联系管理员撤销",
                )]));
            }
            parse_decision(req)?;
            let Some(d) = state.staff.deaths.get_mut(id) else {
                return Err(not_found());
            };
            if d.status != "submitted" {
                return Err(illegal());
            }
            d.status = "approved".into();
            Ok(decided(state, id, "approved", "deceased"))
        })
    }

    fn upload_bytes(&self, token: &Token, upload_id: &str) -> Result<Vec<u8>, ApiError> {
        self.staff_call(token, Role::Reviewer, |state, _| {
            state
                .staff
                .uploads
                .get(upload_id)
                .map(|u| u.3.clone())
                .ok_or_else(not_found)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::{AccountsApi, CaptchaAnswer, LoginRequest};
    use shared::error::UserError;

    pub(crate) fn log_in(api: &FakeAccounts, phone: &str) -> (Token, Role) {
        let c = api.captcha().unwrap();
        let x = api.captcha_answer(&c.id).unwrap();
        let s = api
            .login(&LoginRequest {
                login: phone.into(),
                password: "abc12345".into(),
                captcha: Some(CaptchaAnswer { id: c.id, x }),
            })
            .unwrap();
        (Token::new(s.token), s.user.role)
    }

    #[test]
    fn demo_logins_carry_their_roles_and_demo_ids_are_valid() {
        let api = FakeAccounts::default();
        assert_eq!(log_in(&api, "13700000001").1, Role::Staff);
        assert_eq!(log_in(&api, "13700000002").1, Role::Reviewer);
        assert_eq!(log_in(&api, "13300001234").1, Role::Veteran);
        let today = chrono::Local::now().date_naive();
        let mut state = api.lock();
        state.staff.seed();
        for p in &state.staff.people {
            assert!(
                shared::id::IdNumber::parse(&p.id_number, today).is_ok(),
                "{}",
                p.person_id
            );
        }
    }

    #[test]
    fn staff_list_is_scoped_filtered_and_masked() {
        let api = FakeAccounts::default();
        let (staff, _) = log_in(&api, "13700000001");
        let owing = api.staff_people(&staff, &PeopleQuery::default()).unwrap();
        assert_eq!(owing.total, 6);
        assert!(owing.items.iter().all(|i| i.owing));
        assert!(owing.items.iter().any(|i| !i.has_reference_photo));
        assert!(owing
            .items
            .iter()
            .all(|i| i.masked_id_number.contains("********")));
        let all = api
            .staff_people(
                &staff,
                &PeopleQuery {
                    owing_only: false,
                    ..PeopleQuery::default()
                },
            )
            .unwrap();
        assert_eq!(all.total, 11);
        let outside = api.staff_person_ids().pop().unwrap();
        assert_eq!(
            api.staff_person(&staff, &outside).unwrap_err().code(),
            "not_found"
        );
        let inside = &owing.items[0].person_id;
        let d = api.staff_person(&staff, inside).unwrap();
        assert!(d.prefill.is_some());
        // A veteran is not staff.
        let (vet, _) = log_in(&api, "13300001234");
        assert_eq!(
            api.staff_people(&vet, &PeopleQuery::default())
                .unwrap_err()
                .code(),
            "forbidden"
        );
    }

    #[test]
    fn reviewer_sees_every_kind_and_decisions_change_statuses() {
        let api = FakeAccounts::default();
        let (rev, _) = log_in(&api, "13700000002");
        let q = api.review_queue(&rev, "submitted", 1).unwrap();
        let mut kinds: Vec<&str> = q.items.iter().map(|i| i.kind.as_str()).collect();
        kinds.sort_unstable();
        assert_eq!(
            kinds,
            [
                "assisted_submission",
                "confirmation",
                "death",
                "special_population",
                "submission"
            ]
        );
        let own = q.items.iter().find(|i| i.kind == "submission").unwrap();
        let d = api.submission(&rev, &own.submission_id).unwrap();
        assert_eq!(d.changed_fields.len(), 3, "{:?}", d.changed_fields);
        let img = api.upload_bytes(&rev, &d.id_front_upload).unwrap();
        assert!(image::load_from_memory(&img).is_ok());
        let assisted = q
            .items
            .iter()
            .find(|i| i.kind == "assisted_submission")
            .unwrap();
        assert_eq!(
            api.submission(&rev, &assisted.submission_id)
                .unwrap()
                .assisted_by_name
                .as_deref(),
            Some("林小红")
        );
        let reject = DecisionRequest {
            decision: "reject".into(),
            reason: None,
        };
        assert_eq!(
            api.decide_submission(&rev, &own.submission_id, &reject)
                .unwrap_err()
                .code(),
            "invalid_fields"
        );
        let approve = DecisionRequest {
            decision: "approve".into(),
            reason: None,
        };
        assert_eq!(
            api.decide_submission(&rev, &own.submission_id, &approve)
                .unwrap()
                .status,
            "approved"
        );
        assert_eq!(
            api.decide_submission(&rev, &own.submission_id, &approve)
                .unwrap_err()
                .code(),
            "illegal_transition"
        );
        let death = q.items.iter().find(|i| i.kind == "death").unwrap();
        assert!(api.death_record(&rev, &death.submission_id).is_ok());
        assert_eq!(
            api.review_queue(&rev, "submitted", 1).unwrap().total,
            4,
            "the approved one left the waiting queue"
        );
        assert_eq!(api.review_queue(&rev, "approved", 1).unwrap().total, 1);
    }

    #[test]
    fn writes_are_idempotent_and_conflicts_are_described() {
        let api = FakeAccounts::default();
        let (staff, _) = log_in(&api, "13700000001");
        let people = api.staff_people(&staff, &PeopleQuery::default()).unwrap();
        let pid = people.items[0].person_id.clone();
        let photo = api
            .staff_upload(
                &staff,
                &pid,
                StaffUploadKind::NewspaperPhoto,
                demo_image(1, true),
                "a.png",
            )
            .unwrap()
            .upload_id;
        let req = ConfirmationRequest {
            kind: "on_site".into(),
            method: "at_centre".into(),
            confirmed_at: now_rfc3339(),
            delegate_name: None,
            notes: None,
            photo_upload: Some(photo),
        };
        let a = api.staff_confirm(&staff, &pid, "op-1", &req).unwrap();
        let b = api.staff_confirm(&staff, &pid, "op-1", &req).unwrap();
        assert_eq!(a, b);
        assert_eq!(api.staff_writes_created(), 1);
        assert_eq!(api.staff_write_calls(), 2);
        // The same key for another person: refused.
        let other = people.items[1].person_id.clone();
        assert_eq!(
            api.staff_confirm(&staff, &other, "op-1", &req)
                .unwrap_err()
                .code(),
            "invalid_fields"
        );
        // A new operation for the now-submitted person: 409 with what happened.
        let mut req2 = req.clone();
        req2.photo_upload = None;
        let e = api.staff_confirm(&staff, &pid, "op-2", &req2).unwrap_err();
        assert_eq!(e.code(), "conflict");
        let c = e.problem().unwrap().conflict.clone().unwrap();
        assert_eq!(c.status, "submitted");
        assert!(c.detail.contains("提交"));
        // Submitted on their own phone.
        assert!(api.staff_mark_self_submitted(&other));
        assert_eq!(
            api.staff_confirm(&staff, &other, "op-3", &req2)
                .unwrap_err()
                .code(),
            "conflict"
        );
        assert_eq!(
            api.staff_upload(
                &staff,
                &pid,
                StaffUploadKind::IdFront,
                b"nope".to_vec(),
                "x.jpg"
            )
            .unwrap_err()
            .code(),
            "unsupported_media"
        );
    }

    /// Sends the evidence of `challenge` (shake head, then nod) with two staff liveness frames.
    fn staff_evidence(
        api: &FakeAccounts,
        staff: &Token,
        person: &str,
        challenge: &str,
    ) -> Result<crate::api::liveness::EvidenceResult, ApiError> {
        use crate::api::liveness::{ActionAt, EvidenceFrame, EvidenceRequest, LivenessApi};
        use shared::liveness::Action;
        let frames = (0..2u8)
            .map(|i| {
                let upload_id = api
                    .staff_upload(
                        staff,
                        person,
                        StaffUploadKind::LivenessFrame,
                        demo_image(i, false),
                        "f.jpg",
                    )
                    .unwrap()
                    .upload_id;
                EvidenceFrame {
                    upload_id,
                    t_ms: u64::from(i) * 1000,
                }
            })
            .collect();
        let claimed = vec![
            ActionAt::from((Action::ShakeHead, 200)),
            ActionAt::from((Action::Nod, 800)),
        ];
        api.send_evidence(staff, challenge, &EvidenceRequest { frames, claimed })
    }

    #[test]
    fn one_offline_switch_for_staff_and_reviewer_calls() {
        let api = FakeAccounts::default();
        let (staff, _) = log_in(&api, "13700000001");
        let (rev, _) = log_in(&api, "13700000002");
        api.set_offline(true);
        assert!(matches!(
            api.staff_people(&staff, &PeopleQuery::default()),
            Err(ApiError::Network)
        ));
        assert!(matches!(
            api.review_queue(&rev, "submitted", 1),
            Err(ApiError::Network)
        ));
        api.set_offline(false);
        assert!(api.staff_people(&staff, &PeopleQuery::default()).is_ok());
        assert!(api.review_queue(&rev, "submitted", 1).is_ok());
    }

    #[test]
    fn offline_challenges_live_72_hours_ordinary_ones_two_minutes() {
        use shared::liveness::Action;
        let api = FakeAccounts::default();
        api.set_liveness_actions(vec![Action::ShakeHead, Action::Nod]);
        let (staff, _) = log_in(&api, "13700000001");
        let people = api.staff_people(&staff, &PeopleQuery::default()).unwrap();
        let pid = people.items[0].person_id.clone();
        let offline = api.staff_offline_challenge(&staff, &pid).unwrap();
        let online = api.staff_challenge(&staff, &pid).unwrap();
        // Three hours go by: the ordinary challenge is gone, the offline one still works.
        api.lock().liveness.age(chrono::Duration::hours(3));
        assert_eq!(
            staff_evidence(&api, &staff, &pid, &online.challenge_id)
                .unwrap_err()
                .code(),
            "challenge_expired"
        );
        assert!(
            staff_evidence(&api, &staff, &pid, &offline.challenge_id)
                .unwrap()
                .passed
        );
        // Past 72 hours it expires too.
        let again = api.staff_offline_challenge(&staff, &pid).unwrap();
        api.lock()
            .liveness
            .age(chrono::Duration::hours(OFFLINE_CHALLENGE_TTL_HOURS + 1));
        assert_eq!(
            staff_evidence(&api, &staff, &pid, &again.challenge_id)
                .unwrap_err()
                .code(),
            "challenge_expired"
        );
    }
}

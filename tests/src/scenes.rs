//! Worlds the app's tests and its screenshot examples both need, built on the real server
//! through its API (the people's and the staff's own calls) — only the liveness verdicts come
//! from the store's functions, so that no face models need to run for a reviewer's screens.

use serde_json::{json, Value};
use shared::api::accounts::Role;
use shared::category::Category;

use crate::blocking::{Account, Server, Veteran};
use crate::{kit, Person, Reply};

/// A reviewer's district with one item of every kind waiting in the queue (本人提交 with three
/// fields changed since last year, key frames and a face-match score of 0.83; 工作人员代办 by
/// 林小红 as last year; 特殊人群核验 after four failed comparisons; 现场确认 at home with a
/// relative; 死亡核减 with its evidence).
pub struct ReviewerQueue {
    pub district: String,
    pub reviewer: Account,
    pub staff: Account,
    /// The person whose own submission changed phone, address and party dues.
    pub changed: Veteran,
}

/// The phone the changed submission gives (last year's was the person's own).
pub const CHANGED_PHONE: &str = "13811112222";

impl Server {
    fn json(&self, method: reqwest::Method, path: &str, body: &Value, token: &str) -> Reply {
        self.block_on(self.app().send_json(method, path, body, Some(token)))
    }

    /// POSTs `body` to `path` as `token` with `Idempotency-Key: key`; panics unless 201.
    fn write_once(&self, path: &str, token: &str, key: &str, body: &Value) -> Value {
        let r = self.block_on(self.app().post_once(path, token, key, body));
        assert_eq!(r.status, 201, "{path}: {}", r.text);
        r.json()
    }

    /// A photo staff took for `person_id` (`kind` as `StaffUploadKind` names it); its id.
    fn staff_upload(&self, token: &str, person_id: &str, kind: &str) -> String {
        let path = format!("/api/v1/staff/people/{person_id}/uploads");
        let r = self.block_on(kit::post_multipart(
            self.app(),
            &path,
            token,
            kit::BOUNDARY,
            kit::multipart(kind, &kit::jpeg()),
        ));
        assert_eq!(r.status, 201, "{}", r.text);
        r.json()["upload_id"].as_str().expect("id").to_owned()
    }

    /// A challenge of `token`'s veteran with `frames` key frames judged as the re-check would:
    /// `passed` (with `score`), or a failed face comparison.
    fn judged_challenge(&self, token: &str, frames: usize, score: f32, passed: bool) -> String {
        let id = self.block_on(kit::new_challenge(self.app(), token))["challenge_id"]
            .as_str()
            .expect("id")
            .to_owned();
        let uploads: Vec<String> = (0..frames)
            .map(|_| self.upload(token, "liveness_frame", &kit::jpeg()))
            .collect();
        let store = &self.app().store;
        let now = self.now();
        self.block_on(store.claim_evidence(&id, &uploads, now))
            .expect("claim");
        let (verdict, reason, at) = if passed {
            ("passed", None, Some(now))
        } else {
            ("failed", Some("face_mismatch"), None)
        };
        self.block_on(store.record_evidence_result(&id, verdict, reason, Some(score), at))
            .expect("verdict");
        id
    }

    /// The veteran's own submission of `form`.
    fn submit_own(&self, token: &str, form: Value, verification: Value) -> Value {
        let mut body = json!({
            "form": form,
            "id_front_upload": self.upload(token, "id_front", &kit::jpeg()),
            "id_back_upload": self.upload(token, "id_back", &kit::jpeg()),
            "liveness_challenge_id": "",
        });
        for (k, v) in verification.as_object().expect("object") {
            body[k] = v.clone();
        }
        self.write_once(
            "/api/v1/reviews/current/submissions",
            token,
            &format!("own-{}", server::tokens::new_id()),
            &body,
        )
    }

    /// Last year's form of a person enrolled by [`Server::enroll`], as JSON.
    fn last_year(p: &Person) -> Value {
        let mut form = server::demo::last_year_form(&p.name, &p.id_number, p.phone(), &p.district);
        form.basic.id_front_photo = None;
        form.basic.id_back_photo = None;
        serde_json::to_value(form).expect("form")
    }

    /// See [`ReviewerQueue`].
    pub fn reviewer_queue(&self) -> ReviewerQueue {
        let district = self.district();
        let reviewer = self.account(Role::Reviewer, "黄审核", &[&district]);
        let staff = self.account(Role::Staff, "林小红", &[&district]);
        let staff_token = self.login(&staff.phone);

        // 本人提交: phone, address and party dues changed since last year.
        let changed = self.veteran_in(&district, Category::SelfEmployedOfficer);
        let token = self.login(changed.phone());
        let mut form = Self::last_year(&changed.person);
        form["basic"]["phone"] = json!(CHANGED_PHONE);
        form["basic"]["residence_address"] = json!("幸福路9号院1号楼1单元101");
        form["party"]["dues_paid"] = json!("300");
        let challenge = self.judged_challenge(&token, 3, 0.83, true);
        self.submit_own(&token, form, json!({ "liveness_challenge_id": challenge }));

        // 工作人员代办: as last year, on the person's own face (a challenge for them, passed).
        let (_, assisted) = self.people_in(&district, 1).remove(0);
        let ch = self.json(
            reqwest::Method::POST,
            &format!("/api/v1/staff/people/{assisted}/liveness/challenges"),
            &json!({}),
            &staff_token,
        );
        assert_eq!(ch.status, 201, "{}", ch.text);
        let ch = ch.json()["challenge_id"].as_str().expect("id").to_owned();
        self.mark_passed(&ch);
        let detail = self.block_on(self.app().get(
            &format!("/api/v1/staff/people/{assisted}"),
            Some(&staff_token),
        ));
        assert_eq!(detail.status, 200, "{}", detail.text);
        self.write_once(
            &format!("/api/v1/staff/people/{assisted}/submissions"),
            &staff_token,
            "scene-assisted-1",
            &json!({
                "form": detail.json()["prefill"],
                "id_front_upload": self.staff_upload(&staff_token, &assisted, "id_front"),
                "id_back_upload": self.staff_upload(&staff_token, &assisted, "id_back"),
                "liveness_challenge_id": ch,
            }),
        );

        // 特殊人群核验: a 军休干部 after four failed comparisons, with today's newspaper.
        let special = self.veteran_in(&district, Category::MilitaryRetiree);
        let token = self.login(special.phone());
        let year = i64::from(chrono::Datelike::year(&self.today()));
        for _ in 0..4 {
            self.block_on(self.app().store.record_face_mismatch(
                &special.person_id,
                year,
                self.now(),
            ))
            .expect("mismatch");
        }
        self.judged_challenge(&token, 2, 0.31, false);
        let newspaper = self.upload(&token, "newspaper_photo", &kit::jpeg());
        self.submit_own(
            &token,
            Self::last_year(&special.person),
            json!({ "newspaper_photo_upload": newspaper }),
        );

        // 现场确认 at home, with the person's son.
        let (_, confirmed) = self.people_in(&district, 1).remove(0);
        let photo = self.staff_upload(&staff_token, &confirmed, "newspaper_photo");
        self.write_once(
            &format!("/api/v1/staff/people/{confirmed}/confirmations"),
            &staff_token,
            "scene-confirmation-1",
            &json!({
                "kind": "on_site", "method": "home_visit",
                "confirmed_at": server::clock::rfc3339(self.now() - 3600),
                "delegate_name": "马小军(儿子)", "notes": "本人卧床,由儿子陪同",
                "photo_upload": photo,
            }),
        );

        // 死亡核减 with its evidence.
        let (_, died) = self.people_in(&district, 1).remove(0);
        let evidence = self.staff_upload(&staff_token, &died, "death_evidence");
        let died_on = self.today() - chrono::Duration::days(10);
        self.write_once(
            &format!("/api/v1/staff/people/{died}/death"),
            &staff_token,
            "scene-death-1",
            &json!({
                "died_on": died_on.to_string(), "evidence_upload": evidence,
                "notes": "家属提供死亡证明",
            }),
        );

        ReviewerQueue {
            district,
            reviewer,
            staff,
            changed,
        }
    }
}

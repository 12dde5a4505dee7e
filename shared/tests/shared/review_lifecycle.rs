//! The review lifecycle: every status × every event, and random event sequences.

use chrono::NaiveDate;
use proptest::prelude::*;
use shared::category::Category;
use shared::lifecycle::{
    Actor, EventKind, Reason, ReviewEvent, ReviewStatus, StatusKind, TransitionError,
};
use shared::UserError;

fn reason(s: &str) -> Reason {
    Reason::parse(s).expect("test reason")
}

fn died_on() -> NaiveDate {
    NaiveDate::from_ymd_opt(2025, 2, 3).expect("date")
}

/// One status of each kind. Deceased remembers that the person had been approved.
fn sample_statuses() -> Vec<ReviewStatus> {
    vec![
        ReviewStatus::NotStarted,
        ReviewStatus::Draft,
        ReviewStatus::Submitted,
        ReviewStatus::Resubmitted,
        ReviewStatus::SpecialCheckPending,
        ReviewStatus::Approved,
        ReviewStatus::Rejected {
            reason: reason("身份证照片不清晰"),
        },
        ReviewStatus::Overdue,
        ReviewStatus::Suspended,
        ReviewStatus::Deceased {
            died_on: died_on(),
            previous: Box::new(ReviewStatus::Approved),
        },
    ]
}

/// One event of each kind, in the column order of [`TABLE`]; all carry acceptable data.
fn sample_events() -> Vec<ReviewEvent> {
    vec![
        ReviewEvent::SaveDraft,
        ReviewEvent::Submit,
        ReviewEvent::SubmitSpecialPopulation {
            category: Category::MilitaryRetiree,
            failed_comparisons: 4,
        },
        ReviewEvent::Approve,
        ReviewEvent::Reject {
            reason: reason("请补充上年度奖励单位"),
        },
        ReviewEvent::DeadlinePassed,
        ReviewEvent::PaymentSuspended,
        ReviewEvent::RecordDeath { died_on: died_on() },
        ReviewEvent::UndoDeath {
            by: Actor::Admin,
            reason: reason("误报死亡,经核实本人健在"),
        },
    ]
}

use StatusKind as K;
/// `None` = illegal transition.
type Row = [Option<StatusKind>; 9];
const X: Option<StatusKind> = None;
const fn to(k: StatusKind) -> Option<StatusKind> {
    Some(k)
}

/// Expected result of every (status, event) pair. Columns: SaveDraft, Submit,
/// SubmitSpecialPopulation, Approve, Reject, DeadlinePassed, PaymentSuspended, RecordDeath,
/// UndoDeath.
#[rustfmt::skip]
const TABLE: [(StatusKind, Row); 10] = [
    (K::NotStarted, [to(K::Draft), to(K::Submitted), to(K::SpecialCheckPending), X, X, to(K::Overdue), X, to(K::Deceased), X]),
    (K::Draft, [to(K::Draft), to(K::Submitted), to(K::SpecialCheckPending), X, X, to(K::Overdue), X, to(K::Deceased), X]),
    (K::Submitted, [X, X, X, to(K::Approved), to(K::Rejected), X, X, to(K::Deceased), X]),
    (K::Resubmitted, [X, X, X, to(K::Approved), to(K::Rejected), X, X, to(K::Deceased), X]),
    (K::SpecialCheckPending, [X, X, X, to(K::Approved), to(K::Rejected), X, X, to(K::Deceased), X]),
    (K::Approved, [X, X, X, X, X, X, X, to(K::Deceased), X]),
    (K::Rejected, [to(K::Rejected), to(K::Resubmitted), to(K::SpecialCheckPending), X, X, to(K::Overdue), X, to(K::Deceased), X]),
    (K::Overdue, [to(K::Overdue), to(K::Submitted), to(K::SpecialCheckPending), X, X, X, to(K::Suspended), to(K::Deceased), X]),
    (K::Suspended, [to(K::Suspended), to(K::Submitted), to(K::SpecialCheckPending), X, X, X, X, to(K::Deceased), X]),
    // UndoDeath restores the status before the death record (here: Approved).
    (K::Deceased, [X, X, X, X, X, X, X, X, to(K::Approved)]),
];

#[test]
fn every_status_times_every_event() {
    let statuses = sample_statuses();
    let events = sample_events();
    assert_eq!(
        statuses.len(),
        StatusKind::ALL.len(),
        "a sample for every status kind"
    );
    assert_eq!(
        events.len(),
        EventKind::ALL.len(),
        "a sample for every event kind"
    );
    for (status, (kind, row)) in statuses.iter().zip(TABLE) {
        assert_eq!(status.kind(), kind);
        for (event, expected) in events.iter().zip(row) {
            let got = status.apply(event.clone());
            match expected {
                Some(next) => {
                    let next_status = got.unwrap_or_else(|e| {
                        panic!("{kind} + {}: expected {next}, got {e}", event.kind())
                    });
                    assert_eq!(next_status.kind(), next, "{kind} + {}", event.kind());
                }
                None => {
                    let err = got.expect_err(&format!("{kind} + {} must be illegal", event.kind()));
                    assert_eq!(
                        err,
                        TransitionError::Illegal {
                            from: kind,
                            event: event.kind()
                        },
                        "{kind} + {}",
                        event.kind()
                    );
                    assert_eq!(err.code(), "illegal_transition");
                    assert!(err.message().contains(kind.label_zh()), "{}", err.message());
                }
            }
        }
    }
}

#[test]
fn transitions_keep_their_data() {
    let rejected = ReviewStatus::Submitted
        .apply(ReviewEvent::Reject {
            reason: reason("照片模糊"),
        })
        .unwrap();
    assert_eq!(
        rejected,
        ReviewStatus::Rejected {
            reason: reason("照片模糊")
        }
    );
    // Saving a draft while rejected keeps the reason on screen.
    assert_eq!(rejected.apply(ReviewEvent::SaveDraft).unwrap(), rejected);

    let dead = ReviewStatus::Overdue
        .apply(ReviewEvent::RecordDeath { died_on: died_on() })
        .unwrap();
    assert_eq!(
        dead,
        ReviewStatus::Deceased {
            died_on: died_on(),
            previous: Box::new(ReviewStatus::Overdue)
        }
    );
    let undone = dead
        .apply(ReviewEvent::UndoDeath {
            by: Actor::Admin,
            reason: reason("误报"),
        })
        .unwrap();
    assert_eq!(undone, ReviewStatus::Overdue);
}

#[test]
fn undo_death_only_by_an_administrator() {
    let dead = ReviewStatus::Deceased {
        died_on: died_on(),
        previous: Box::new(ReviewStatus::Draft),
    };
    for role in [Actor::Veteran, Actor::Staff, Actor::Reviewer, Actor::System] {
        let err = dead
            .apply(ReviewEvent::UndoDeath {
                by: role,
                reason: reason("误报"),
            })
            .unwrap_err();
        assert_eq!(
            err,
            TransitionError::NotPermitted {
                role,
                event: EventKind::UndoDeath
            }
        );
        assert_eq!(err.code(), "transition_not_permitted");
        assert!(err.message().contains("无权"));
    }
    // apply_as refuses an event that claims to be by someone else.
    let forged = ReviewEvent::UndoDeath {
        by: Actor::Admin,
        reason: reason("误报"),
    };
    assert!(matches!(
        dead.apply_as(Actor::Staff, forged.clone()),
        Err(TransitionError::NotPermitted {
            role: Actor::Staff,
            ..
        })
    ));
    assert_eq!(
        dead.apply_as(Actor::Admin, forged).unwrap(),
        ReviewStatus::Draft
    );
}

#[test]
fn special_population_check_rules() {
    for category in Category::ALL {
        let result = ReviewStatus::Draft.apply(ReviewEvent::SubmitSpecialPopulation {
            category,
            failed_comparisons: 4,
        });
        if category.special_population_check_allowed() {
            assert_eq!(result.unwrap(), ReviewStatus::SpecialCheckPending);
        } else {
            let err = result.unwrap_err();
            assert_eq!(
                err,
                TransitionError::SpecialPopulationNotAllowed { category }
            );
            assert_eq!(err.code(), "special_population_not_allowed");
        }
    }
    // "比对失败超3次": 3 failures are not enough, 4 are.
    for failed in 0..=3 {
        let err = ReviewStatus::NotStarted
            .apply(ReviewEvent::SubmitSpecialPopulation {
                category: Category::NonMilitaryRetiree,
                failed_comparisons: failed,
            })
            .unwrap_err();
        assert_eq!(err, TransitionError::NotEnoughFailedComparisons { failed });
        assert_eq!(err.code(), "special_population_too_few_failures");
    }
    // Already submitted: illegal, whatever the category.
    let err = ReviewStatus::Submitted
        .apply(ReviewEvent::SubmitSpecialPopulation {
            category: Category::EntitledGroup,
            failed_comparisons: 9,
        })
        .unwrap_err();
    assert_eq!(err.code(), "illegal_transition");
}

#[test]
fn roles_allowed_per_event() {
    let s = ReviewStatus::Submitted;
    assert!(s.apply_as(Actor::Reviewer, ReviewEvent::Approve).is_ok());
    for role in [Actor::Veteran, Actor::Staff, Actor::Admin, Actor::System] {
        assert_eq!(
            s.apply_as(role, ReviewEvent::Approve).unwrap_err(),
            TransitionError::NotPermitted {
                role,
                event: EventKind::Approve
            }
        );
    }
    assert!(ReviewStatus::Draft
        .apply_as(Actor::Veteran, ReviewEvent::Submit)
        .is_ok());
    assert!(ReviewStatus::Draft
        .apply_as(Actor::Staff, ReviewEvent::Submit)
        .is_ok());
    assert!(ReviewStatus::Draft
        .apply_as(Actor::Reviewer, ReviewEvent::Submit)
        .is_err());
    assert!(ReviewStatus::Draft
        .apply_as(Actor::System, ReviewEvent::DeadlinePassed)
        .is_ok());
    assert!(ReviewStatus::Draft
        .apply_as(Actor::Veteran, ReviewEvent::DeadlinePassed)
        .is_err());
    let death = ReviewEvent::RecordDeath { died_on: died_on() };
    assert!(ReviewStatus::Draft
        .apply_as(Actor::Staff, death.clone())
        .is_ok());
    assert!(ReviewStatus::Draft.apply_as(Actor::Veteran, death).is_err());
    // A permitted role still cannot make an illegal transition.
    assert_eq!(
        ReviewStatus::Approved
            .apply_as(Actor::Reviewer, ReviewEvent::Approve)
            .unwrap_err()
            .code(),
        "illegal_transition"
    );
}

#[test]
fn labels_are_chinese_and_distinct() {
    let labels: Vec<&str> = StatusKind::ALL.iter().map(|k| k.label_zh()).collect();
    assert_eq!(
        labels,
        [
            "未年审",
            "填报中",
            "已提交,待审核",
            "已重新提交,待审核",
            "特殊人群核验审核中",
            "审核通过",
            "审核未通过",
            "已逾期",
            "已暂停发放",
            "已核减(死亡)"
        ]
    );
    let mut unique = labels.clone();
    unique.sort_unstable();
    unique.dedup();
    assert_eq!(unique.len(), labels.len());
}

#[test]
fn serde_uses_snake_case_tags() {
    let rejected = ReviewStatus::Rejected {
        reason: reason("照片模糊"),
    };
    let json = serde_json::to_value(&rejected).unwrap();
    assert_eq!(
        json,
        serde_json::json!({"status": "rejected", "reason": "照片模糊"})
    );
    for status in sample_statuses() {
        let json = serde_json::to_value(&status).unwrap();
        assert_eq!(json["status"], status.kind().as_str());
        assert_eq!(
            serde_json::from_value::<ReviewStatus>(json).unwrap(),
            status
        );
    }
    for event in sample_events() {
        let json = serde_json::to_value(&event).unwrap();
        assert_eq!(json["event"], event.kind().as_str());
        assert_eq!(serde_json::from_value::<ReviewEvent>(json).unwrap(), event);
    }
    let json = serde_json::to_value(ReviewEvent::SubmitSpecialPopulation {
        category: Category::MilitaryRetiree,
        failed_comparisons: 4,
    })
    .unwrap();
    assert_eq!(
        json,
        serde_json::json!({"event": "submit_special_population", "category": "military_retiree", "failed_comparisons": 4})
    );
    // A blank reason cannot be smuggled in through JSON.
    assert!(serde_json::from_str::<ReviewEvent>(r#"{"event":"reject","reason":"   "}"#).is_err());
}

#[test]
fn reasons_parse() {
    assert_eq!(reason("  照片模糊 ").as_str(), "照片模糊");
    assert_eq!(Reason::parse("").unwrap_err().code(), "reason_required");
    assert_eq!(Reason::parse(" \n ").unwrap_err().code(), "reason_required");
    assert_eq!(
        Reason::parse(&"字".repeat(501)).unwrap_err().code(),
        "reason_too_long"
    );
    assert!(Reason::parse(&"字".repeat(500)).is_ok());
    assert_eq!(
        Reason::parse("a\u{0}b").unwrap_err().code(),
        "reason_invalid_chars"
    );
    assert!(Reason::parse("第一行\n第二行").is_ok());
}

fn arb_role() -> impl Strategy<Value = Actor> {
    prop_oneof![
        Just(Actor::Veteran),
        Just(Actor::Staff),
        Just(Actor::Reviewer),
        Just(Actor::Admin),
        Just(Actor::System)
    ]
}

fn arb_event() -> impl Strategy<Value = ReviewEvent> {
    let category = proptest::sample::select(Category::ALL.to_vec());
    prop_oneof![
        Just(ReviewEvent::SaveDraft),
        Just(ReviewEvent::Submit),
        (category, 0u32..8).prop_map(|(category, failed_comparisons)| {
            ReviewEvent::SubmitSpecialPopulation {
                category,
                failed_comparisons,
            }
        }),
        Just(ReviewEvent::Approve),
        Just(ReviewEvent::Reject {
            reason: reason("信息有误")
        }),
        Just(ReviewEvent::DeadlinePassed),
        Just(ReviewEvent::PaymentSuspended),
        (0i64..3650).prop_map(|days| ReviewEvent::RecordDeath {
            died_on: died_on() - chrono::Days::new(days as u64)
        }),
        arb_role().prop_map(|by| ReviewEvent::UndoDeath {
            by,
            reason: reason("误报")
        }),
    ]
}

proptest! {
    #[test]
    fn random_sequences_never_panic_and_death_is_sticky(
        events in proptest::collection::vec(arb_event(), 0..60),
        roles in proptest::collection::vec(arb_role(), 60),
    ) {
        let mut status = ReviewStatus::NotStarted;
        for (i, event) in events.into_iter().enumerate() {
            let role = roles.get(i).copied().unwrap_or(Actor::System);
            let before = status.clone();
            let is_undo = matches!(event, ReviewEvent::UndoDeath { .. });
            let result = if i % 2 == 0 { status.apply(event) } else { status.apply_as(role, event) };
            match result {
                Ok(next) => {
                    if let ReviewStatus::Deceased { previous, .. } = &before {
                        // Only an (administrator's) UndoDeath leaves Deceased, back to where it was.
                        prop_assert!(is_undo, "left Deceased without UndoDeath");
                        prop_assert_eq!(&next, previous.as_ref());
                    }
                    // A Deceased never nests inside another.
                    if let ReviewStatus::Deceased { previous, .. } = &next {
                        prop_assert!(previous.kind() != StatusKind::Deceased);
                    }
                    status = next;
                }
                Err(e) => {
                    prop_assert!(!e.code().is_empty());
                    prop_assert!(!e.message().is_empty());
                }
            }
        }
    }
}

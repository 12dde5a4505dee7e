//! Subject categories, review windows and the overdue consequences of seed 001.

use chrono::NaiveDate;
use shared::category::{
    Category, PaymentConsequence, PaymentStatus, ReviewKind, ReviewWindow, ANNOUNCEMENT_DAYS,
};
use shared::UserError;

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).expect("test date")
}

fn window_2025() -> ReviewWindow {
    ReviewWindow::new(d(2025, 1, 1), d(2025, 3, 31)).expect("valid window")
}

#[test]
fn labels_round_trip_and_serde_names_are_snake_case() {
    let expected = [
        (Category::MilitaryRetiree, "军休干部", "military_retiree"),
        (
            Category::SelfEmployedOfficer,
            "自主择业军转干部",
            "self_employed_officer",
        ),
        (
            Category::MonthlyPensionVeteran,
            "逐月领取退役金退役军人",
            "monthly_pension_veteran",
        ),
        (
            Category::NonMilitaryRetiree,
            "无军籍退休职工",
            "non_military_retiree",
        ),
        (Category::EntitledGroup, "优抚对象", "entitled_group"),
    ];
    for (category, zh, snake) in expected {
        assert_eq!(category.label_zh(), zh);
        assert_eq!(Category::from_label_zh(zh), Ok(category));
        assert_eq!(Category::from_label_zh(&format!(" {zh} ")), Ok(category));
        assert_eq!(Category::parse(snake), Ok(category));
        assert_eq!(category.as_str(), snake);
        assert_eq!(
            serde_json::to_string(&category).unwrap(),
            format!("\"{snake}\"")
        );
        let back: Category = serde_json::from_str(&format!("\"{snake}\"")).unwrap();
        assert_eq!(back, category);
    }
    assert_eq!(Category::ALL.len(), expected.len());
}

#[test]
fn unknown_category_is_an_error_with_code() {
    for bad in ["", "军人", "military", "军休干部 优抚对象"] {
        let err = Category::from_label_zh(bad).unwrap_err();
        assert_eq!(err.code(), "category_unknown");
        assert!(!err.message().is_empty());
    }
    assert!(serde_json::from_str::<Category>("\"veteran\"").is_err());
}

#[test]
fn review_kind_is_confirmation_only_for_entitled_group() {
    for c in Category::ALL {
        let expected = if c == Category::EntitledGroup {
            ReviewKind::AnnualConfirmation
        } else {
            ReviewKind::AnnualRegistration
        };
        assert_eq!(c.review_kind(), expected, "{c:?}");
    }
    assert_eq!(ReviewKind::AnnualRegistration.label_zh(), "年度登记审核");
    assert_eq!(ReviewKind::AnnualConfirmation.label_zh(), "年度确认");
}

#[test]
fn special_population_check_only_for_military_and_non_military_retirees() {
    let allowed: Vec<Category> = Category::ALL
        .into_iter()
        .filter(|c| c.special_population_check_allowed())
        .collect();
    assert_eq!(
        allowed,
        vec![Category::MilitaryRetiree, Category::NonMilitaryRetiree]
    );
}

#[test]
fn default_window_is_january_to_march() {
    for c in Category::ALL {
        let w = c.default_window(2025).expect("representable year");
        assert_eq!(w.opens(), d(2025, 1, 1));
        assert_eq!(w.deadline(), d(2025, 3, 31));
        assert!(w.contains(d(2025, 3, 31)));
        assert!(!w.contains(d(2025, 4, 1)));
        assert!(!w.contains(d(2024, 12, 31)));
        assert!(w.is_past(d(2025, 4, 1)));
        assert!(!w.is_past(d(2025, 3, 31)));
    }
}

#[test]
fn window_rejects_deadline_before_opening_also_when_deserialised() {
    let err = ReviewWindow::new(d(2025, 3, 1), d(2025, 2, 28)).unwrap_err();
    assert_eq!(err.code(), "window_deadline_before_opening");
    assert!(
        ReviewWindow::new(d(2025, 3, 1), d(2025, 3, 1)).is_ok(),
        "one-day window is fine"
    );

    let ok: ReviewWindow =
        serde_json::from_str(r#"{"opens":"2025-01-01","deadline":"2025-06-30"}"#).unwrap();
    assert_eq!(ok.deadline(), d(2025, 6, 30));
    assert!(serde_json::from_str::<ReviewWindow>(
        r#"{"opens":"2025-07-01","deadline":"2025-06-30"}"#
    )
    .is_err());
    let json = serde_json::to_string(&ok).unwrap();
    assert_eq!(serde_json::from_str::<ReviewWindow>(&json).unwrap(), ok);
}

#[test]
fn consequences_match_seed_001() {
    let entitled = Category::EntitledGroup.overdue_consequence();
    assert_eq!(
        entitled.payment,
        PaymentConsequence::SuspendAfterAnnouncement {
            announcement_days: 60,
            back_pay: false
        }
    );
    assert_eq!(ANNOUNCEMENT_DAYS, 60);

    let officer = Category::SelfEmployedOfficer.overdue_consequence();
    assert_eq!(
        officer.payment,
        PaymentConsequence::StopFromMonthAfterDeadline { back_pay: true }
    );
    assert!(officer.other_benefits_may_be_affected);

    let monthly = Category::MonthlyPensionVeteran.overdue_consequence();
    assert_eq!(monthly.payment, PaymentConsequence::NotifyToCorrect);
    assert!(monthly.other_benefits_may_be_affected);

    for c in [Category::MilitaryRetiree, Category::NonMilitaryRetiree] {
        let r = c.overdue_consequence();
        assert_eq!(r.payment, PaymentConsequence::None);
        assert!(r.other_benefits_may_be_affected);
    }
}

#[test]
fn consequence_texts_use_seed_wording() {
    let zh = Category::EntitledGroup.overdue_consequence_zh();
    assert!(zh.contains("经公告60日后仍未确认的,将暂停发放抚恤补助金"));
    assert!(zh.contains("自重新确认之日起恢复发放"));
    assert!(zh.contains("不予补发"));
    let zh = Category::SelfEmployedOfficer.overdue_consequence_zh();
    assert!(zh.contains("从规定时限的次月起停发退役金"));
    assert!(zh.contains("予以补发"));
    assert!(Category::MonthlyPensionVeteran
        .overdue_consequence_zh()
        .contains("补正有关信息"));
    for c in [Category::MilitaryRetiree, Category::NonMilitaryRetiree] {
        assert!(c
            .overdue_consequence_zh()
            .contains("住房补贴、取暖费、体检费、医疗等待遇"));
    }
}

#[test]
fn before_and_during_the_window() {
    let w = window_2025();
    for c in Category::ALL {
        assert_eq!(
            c.payment_status(&w, None, None, d(2024, 12, 31)),
            PaymentStatus::NotYetOpen {
                opens: d(2025, 1, 1)
            }
        );
        for today in [d(2025, 1, 1), d(2025, 2, 14), d(2025, 3, 31)] {
            assert_eq!(
                c.payment_status(&w, None, None, today),
                PaymentStatus::Due {
                    deadline: d(2025, 3, 31)
                }
            );
        }
        // Completed on the deadline day is on time, and stays on time afterwards.
        for today in [d(2025, 3, 31), d(2025, 9, 1)] {
            assert_eq!(
                c.payment_status(&w, Some(d(2025, 3, 31)), None, today),
                PaymentStatus::OnTime {
                    completed_on: d(2025, 3, 31)
                }
            );
        }
        // A completion date in the future (relative to `today`) does not count yet.
        assert_eq!(
            c.payment_status(&w, Some(d(2025, 3, 1)), None, d(2025, 2, 1)),
            PaymentStatus::Due {
                deadline: d(2025, 3, 31)
            }
        );
    }
}

#[test]
fn self_employed_officer_stopped_from_month_after_deadline_and_back_paid() {
    let c = Category::SelfEmployedOfficer;
    let w = window_2025();
    // Deadline 31 March: stopped from 1 April.
    assert_eq!(
        c.payment_status(&w, None, None, d(2025, 4, 1)),
        PaymentStatus::Suspended {
            since: d(2025, 4, 1),
            back_pay: true
        }
    );
    // Deadline mid-month: overdue until the first of the next month.
    let mid = ReviewWindow::new(d(2025, 1, 1), d(2025, 3, 15)).unwrap();
    assert_eq!(
        c.payment_status(&mid, None, None, d(2025, 3, 20)),
        PaymentStatus::Overdue {
            since: d(2025, 3, 16)
        }
    );
    assert_eq!(
        c.payment_status(&mid, None, None, d(2025, 4, 1)),
        PaymentStatus::Suspended {
            since: d(2025, 4, 1),
            back_pay: true
        }
    );
    // Registered late, before the stop: completed late, nothing stopped.
    assert_eq!(
        c.payment_status(&mid, Some(d(2025, 3, 25)), None, d(2025, 5, 1)),
        PaymentStatus::CompletedLate {
            completed_on: d(2025, 3, 25)
        }
    );
    // Registered after the stop: resumed with back pay.
    let resumed = c.payment_status(&w, Some(d(2025, 6, 10)), None, d(2025, 7, 1));
    assert_eq!(
        resumed,
        PaymentStatus::Resumed {
            suspended_since: d(2025, 4, 1),
            resumed_on: d(2025, 6, 10),
            back_pay: true
        }
    );
    assert!(resumed.message_zh(c).contains("予以补发"));
}

#[test]
fn entitled_group_announced_then_suspended_without_back_pay() {
    let c = Category::EntitledGroup;
    let w = window_2025();
    // Overdue but not yet announced.
    assert_eq!(
        c.payment_status(&w, None, None, d(2025, 4, 10)),
        PaymentStatus::Overdue {
            since: d(2025, 4, 1)
        }
    );
    let announced = d(2025, 4, 15);
    // During the 60 days.
    let status = c.payment_status(&w, None, Some(announced), d(2025, 6, 13));
    assert_eq!(
        status,
        PaymentStatus::Announced {
            since: announced,
            suspends_on: d(2025, 6, 14)
        }
    );
    assert!(!status.payment_stopped());
    assert!(status.message_zh(c).contains("2025年6月14日"));
    // Announcement in the future does not count yet.
    assert_eq!(
        c.payment_status(&w, None, Some(announced), d(2025, 4, 14)),
        PaymentStatus::Overdue {
            since: d(2025, 4, 1)
        }
    );
    // Day 60 after the announcement: suspended.
    let status = c.payment_status(&w, None, Some(announced), d(2025, 6, 14));
    assert_eq!(
        status,
        PaymentStatus::Suspended {
            since: d(2025, 6, 14),
            back_pay: false
        }
    );
    assert!(status.payment_stopped());
    assert!(status.message_zh(c).contains("不予补发"));
    // Confirmed during the announcement: late but never suspended.
    assert_eq!(
        c.payment_status(&w, Some(d(2025, 5, 1)), Some(announced), d(2025, 8, 1)),
        PaymentStatus::CompletedLate {
            completed_on: d(2025, 5, 1)
        }
    );
    // Re-confirmed after the suspension: resumed from that day, no back pay.
    assert_eq!(
        c.payment_status(&w, Some(d(2025, 9, 1)), Some(announced), d(2025, 9, 2)),
        PaymentStatus::Resumed {
            suspended_since: d(2025, 6, 14),
            resumed_on: d(2025, 9, 1),
            back_pay: false
        }
    );
}

#[test]
fn monthly_and_retirees_are_overdue_but_never_suspended() {
    let w = window_2025();
    for c in [
        Category::MonthlyPensionVeteran,
        Category::MilitaryRetiree,
        Category::NonMilitaryRetiree,
    ] {
        // An announcement date has no effect for these categories.
        for announced in [None, Some(d(2025, 4, 2))] {
            let status = c.payment_status(&w, None, announced, d(2026, 1, 1));
            assert_eq!(
                status,
                PaymentStatus::Overdue {
                    since: d(2025, 4, 1)
                },
                "{c:?}"
            );
            assert!(!status.payment_stopped());
        }
        assert_eq!(
            c.payment_status(&w, Some(d(2025, 5, 1)), None, d(2025, 6, 1)),
            PaymentStatus::CompletedLate {
                completed_on: d(2025, 5, 1)
            }
        );
    }
    let msg = PaymentStatus::Overdue {
        since: d(2025, 4, 1),
    }
    .message_zh(Category::MonthlyPensionVeteran);
    assert!(msg.contains("补正有关信息"), "{msg}");
    let msg = PaymentStatus::Overdue {
        since: d(2025, 4, 1),
    }
    .message_zh(Category::MilitaryRetiree);
    assert!(msg.contains("住房补贴"), "{msg}");
}

#[test]
fn messages_name_the_right_review_kind() {
    let due = PaymentStatus::Due {
        deadline: d(2025, 3, 31),
    };
    assert_eq!(
        due.message_zh(Category::EntitledGroup),
        "请于2025年3月31日前完成年度确认"
    );
    assert_eq!(
        due.message_zh(Category::SelfEmployedOfficer),
        "请于2025年3月31日前完成年度登记审核"
    );
}

#[test]
fn payment_status_serialises_with_a_tag() {
    let s = PaymentStatus::Suspended {
        since: d(2025, 4, 1),
        back_pay: true,
    };
    let json = serde_json::to_value(s).unwrap();
    assert_eq!(json["status"], "suspended");
    assert_eq!(json["since"], "2025-04-01");
    assert_eq!(serde_json::from_value::<PaymentStatus>(json).unwrap(), s);
}

//! Actions, allowed-action sets and challenges.

// Wrapped in a module so that `cargo test -p shared liveness` selects these tests.
mod liveness_challenge {
    use std::collections::HashMap;

    use chrono::{DateTime, Duration, Utc};
    use rand::rngs::StdRng;
    use rand::SeedableRng;
    use shared::error::UserError;
    use shared::liveness::{
        draw_actions, Action, ActionSet, ActionSetError, Challenge, ChallengeActions,
        ChallengeError, ChallengeId, Nonce,
    };

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn action_names_prompts_and_labels() {
        let expected = [
            (Action::Blink, "blink", "请眨眼", "眨眼"),
            (Action::OpenMouth, "open_mouth", "请张嘴", "张嘴"),
            (Action::ShakeHead, "shake_head", "请摇头", "摇头"),
            (Action::Nod, "nod", "请点头", "点头"),
        ];
        for (action, name, prompt, label) in expected {
            assert_eq!(action.as_str(), name);
            assert_eq!(action.to_string(), name);
            assert_eq!(action.prompt_zh(), prompt);
            assert_eq!(action.label_zh(), label);
            assert_eq!(Action::parse(name).unwrap(), action);
            assert_eq!(
                serde_json::to_value(action).unwrap(),
                serde_json::json!(name)
            );
            assert_eq!(
                serde_json::from_value::<Action>(serde_json::json!(name)).unwrap(),
                action
            );
        }
        assert!(serde_json::from_str::<Action>("\"Blink\"").is_err());
        assert!(serde_json::from_str::<Action>("\"wink\"").is_err());
    }

    #[test]
    fn action_set_parses_the_deployment_setting() {
        let set = ActionSet::parse_list("shake_head,nod").unwrap();
        assert_eq!(set.to_vec(), vec![Action::ShakeHead, Action::Nod]);
        assert_eq!(set.len(), 2);
        assert!(set.contains(Action::Nod) && !set.contains(Action::Blink));
        assert_eq!(set.to_string(), "shake_head,nod");

        // Whitespace is tolerated, order does not matter, display is canonical.
        let set = ActionSet::parse_list(" nod , blink ").unwrap();
        assert_eq!(set.to_string(), "blink,nod");
        assert_eq!(
            ActionSet::parse_list("blink,open_mouth,shake_head,nod").unwrap(),
            ActionSet::all()
        );
        assert_eq!(ActionSet::default(), ActionSet::all());
        assert_eq!(
            "open_mouth".parse::<ActionSet>().unwrap().to_vec(),
            vec![Action::OpenMouth]
        );
    }

    #[test]
    fn action_set_errors_are_specific() {
        let cases: [(&str, &str); 7] = [
            ("", "liveness_actions_empty"),
            ("   ", "liveness_actions_empty"),
            ("shake_head,wink", "liveness_action_unknown"),
            ("Nod", "liveness_action_unknown"),
            ("nod,,blink", "liveness_action_blank"),
            ("nod,", "liveness_action_blank"),
            ("nod,blink,nod", "liveness_action_duplicate"),
        ];
        for (input, code) in cases {
            let err = ActionSet::parse_list(input).unwrap_err();
            assert_eq!(err.code(), code, "input {input:?}");
            assert!(!err.message().is_empty());
        }
        let err = ActionSet::parse_list("shake_head,wink").unwrap_err();
        assert_eq!(
            err,
            ActionSetError::Unknown {
                name: "wink".into()
            }
        );
        assert!(
            err.to_string().contains("wink"),
            "operators see the typo: {err}"
        );
        assert!(
            err.message().contains("shake_head"),
            "the message lists the valid names"
        );
        assert_eq!(
            ActionSet::parse_list("nod,nod").unwrap_err(),
            ActionSetError::Duplicate(Action::Nod)
        );
        assert_eq!(ActionSet::new([]).unwrap_err(), ActionSetError::Empty);
        // Serde: a list of names, validated.
        let json = serde_json::to_string(&ActionSet::parse_list("nod,blink").unwrap()).unwrap();
        assert_eq!(json, r#"["blink","nod"]"#);
        assert!(serde_json::from_str::<ActionSet>("[]").is_err());
        assert!(serde_json::from_str::<ActionSet>(r#"["nod","nod"]"#).is_err());
    }

    fn assert_valid_draw(actions: &[Action], allowed: &ActionSet) {
        for (i, a) in actions.iter().enumerate() {
            assert!(allowed.contains(*a), "{a} not allowed");
            assert!(!actions[..i].contains(a), "repeated action in {actions:?}");
        }
    }

    #[test]
    fn draws_are_distinct_allowed_and_roughly_uniform() {
        let mut rng = StdRng::seed_from_u64(2024);
        let all = ActionSet::all();
        let n = 40_000;
        let mut by_len: HashMap<usize, usize> = HashMap::new();
        let mut first: HashMap<Action, usize> = HashMap::new();
        let mut second: HashMap<Action, usize> = HashMap::new();
        let mut ordered_pairs: HashMap<(Action, Action), usize> = HashMap::new();
        for _ in 0..n {
            let actions = draw_actions(&mut rng, &all);
            assert!((2..=3).contains(&actions.len()), "{actions:?}");
            assert_valid_draw(&actions, &all);
            *by_len.entry(actions.len()).or_default() += 1;
            *first.entry(actions[0]).or_default() += 1;
            *second.entry(actions[1]).or_default() += 1;
            *ordered_pairs.entry((actions[0], actions[1])).or_default() += 1;
        }
        let share = |count: usize| count as f64 / n as f64;
        // 2 or 3 actions, half each.
        assert!((share(by_len[&2]) - 0.5).abs() < 0.02, "{by_len:?}");
        // Each action first (and second) a quarter of the time.
        for a in Action::ALL {
            assert!((share(first[&a]) - 0.25).abs() < 0.02, "first {first:?}");
            assert!((share(second[&a]) - 0.25).abs() < 0.02, "second {second:?}");
        }
        // All 12 ordered pairs equally likely (1/12 ≈ 0.083).
        assert_eq!(ordered_pairs.len(), 12);
        for (pair, count) in &ordered_pairs {
            assert!(
                (share(*count) - 1.0 / 12.0).abs() < 0.015,
                "{pair:?}: {count}"
            );
        }
    }

    #[test]
    fn draws_respect_a_restricted_set() {
        let mut rng = StdRng::seed_from_u64(7);
        let allowed = ActionSet::parse_list("shake_head,nod").unwrap();
        let mut shake_first = 0;
        for _ in 0..4_000 {
            let actions = draw_actions(&mut rng, &allowed);
            assert_eq!(
                actions.len(),
                2,
                "as many as possible when only two are allowed"
            );
            assert_valid_draw(&actions, &allowed);
            if actions[0] == Action::ShakeHead {
                shake_first += 1;
            }
        }
        assert!(
            (1_800..=2_200).contains(&shake_first),
            "both orders equally likely: {shake_first}"
        );

        let three = ActionSet::parse_list("blink,open_mouth,nod").unwrap();
        for _ in 0..1_000 {
            let actions = draw_actions(&mut rng, &three);
            assert!((2..=3).contains(&actions.len()));
            assert_valid_draw(&actions, &three);
        }

        let one = ActionSet::parse_list("blink").unwrap();
        assert_eq!(draw_actions(&mut rng, &one), vec![Action::Blink]);
    }

    #[test]
    fn draws_are_reproducible_with_the_same_seed() {
        let a: Vec<_> = (0..50)
            .map(|_| ())
            .scan(StdRng::seed_from_u64(1), |r, _| {
                Some(draw_actions(r, &ActionSet::all()))
            })
            .collect();
        let b: Vec<_> = (0..50)
            .map(|_| ())
            .scan(StdRng::seed_from_u64(1), |r, _| {
                Some(draw_actions(r, &ActionSet::all()))
            })
            .collect();
        assert_eq!(a, b);
    }

    #[test]
    fn challenge_actions_parse() {
        assert!(ChallengeActions::new([Action::Nod, Action::Blink]).is_ok());
        assert_eq!(
            ChallengeActions::new([]).unwrap_err(),
            ChallengeError::NoActions
        );
        assert_eq!(
            ChallengeActions::new([Action::Nod, Action::Nod]).unwrap_err(),
            ChallengeError::DuplicateAction(Action::Nod)
        );
        assert_eq!(
            ChallengeActions::new(Action::ALL).unwrap_err(),
            ChallengeError::TooManyActions
        );
        let ca = ChallengeActions::new([Action::ShakeHead, Action::Nod]).unwrap();
        assert_eq!(ca.prompts_zh(), "请摇头,请点头");
        assert_eq!(ca.position(Action::Nod), Some(1));
        assert_eq!(ca.position(Action::Blink), None);
        assert_eq!(
            serde_json::to_string(&ca).unwrap(),
            r#"["shake_head","nod"]"#
        );
        assert!(serde_json::from_str::<ChallengeActions>(r#"["nod","nod"]"#).is_err());
        assert_eq!(
            ChallengeError::TooManyActions.code(),
            "challenge_actions_too_many"
        );
    }

    #[test]
    fn challenge_expires_after_at_most_two_minutes() {
        let mut rng = StdRng::seed_from_u64(99);
        let now = at("2025-01-15T08:00:00Z");
        let c = Challenge::issue(&mut rng, &ActionSet::all(), now);
        assert_eq!(c.issued_at(), now);
        assert_eq!(c.expires_at() - c.issued_at(), Duration::seconds(120));
        assert!(!c.is_expired(now));
        assert!(!c.is_expired(now + Duration::seconds(119)));
        assert!(c.is_expired(now + Duration::seconds(120)));
        assert!(c.is_expired(now + Duration::days(1)));
        assert!((2..=3).contains(&c.actions().len()));

        let short =
            Challenge::issue_with_ttl(&mut rng, &ActionSet::all(), now, Duration::seconds(30))
                .unwrap();
        assert!(short.is_expired(now + Duration::seconds(30)));
        assert!(!short.is_expired(now + Duration::seconds(29)));
        for bad in [
            Duration::seconds(121),
            Duration::zero(),
            Duration::seconds(-5),
        ] {
            let err = Challenge::issue_with_ttl(&mut rng, &ActionSet::all(), now, bad).unwrap_err();
            assert_eq!(err.code(), "challenge_ttl_invalid");
        }
    }

    #[test]
    fn challenge_ids_and_nonces_are_random_hex_and_parse() {
        let mut rng = StdRng::seed_from_u64(5);
        let now = at("2025-03-01T00:00:00Z");
        let a = Challenge::issue(&mut rng, &ActionSet::all(), now);
        let b = Challenge::issue(&mut rng, &ActionSet::all(), now);
        assert_ne!(a.id(), b.id());
        assert_ne!(a.nonce(), b.nonce());
        assert_eq!(a.id().as_str().len(), 32);
        assert_eq!(a.nonce().as_str().len(), 64);
        assert_eq!(ChallengeId::parse(a.id().as_str()).unwrap(), *a.id());
        assert_eq!(
            ChallengeId::parse(&a.id().as_str().to_uppercase()).unwrap(),
            *a.id()
        );
        assert_eq!(
            ChallengeId::parse("xyz").unwrap_err().code(),
            "challenge_id_invalid"
        );
        assert_eq!(
            ChallengeId::parse(&"g".repeat(32)).unwrap_err().code(),
            "challenge_id_invalid"
        );
        assert_eq!(
            Nonce::parse(a.id().as_str()).unwrap_err().code(),
            "challenge_nonce_invalid"
        );
        // The nonce is not printed by Debug.
        assert!(!format!("{a:?}").contains(a.nonce().as_str()));
    }

    #[test]
    fn challenge_round_trips_and_invalid_records_are_refused() {
        let mut rng = StdRng::seed_from_u64(11);
        let c = Challenge::issue(
            &mut rng,
            &ActionSet::parse_list("blink,nod").unwrap(),
            at("2025-02-01T10:00:00Z"),
        );
        let json = serde_json::to_value(&c).unwrap();
        assert_eq!(json["actions"].as_array().unwrap().len(), 2);
        let back: Challenge = serde_json::from_value(json.clone()).unwrap();
        assert_eq!(back, c);

        let mut too_long = json.clone();
        too_long["expires_at"] = serde_json::json!("2025-02-01T10:05:00Z");
        assert!(serde_json::from_value::<Challenge>(too_long).is_err());
        let mut dup = json.clone();
        dup["actions"] = serde_json::json!(["nod", "nod"]);
        assert!(serde_json::from_value::<Challenge>(dup).is_err());
        let mut bad_id = json;
        bad_id["id"] = serde_json::json!("../../etc/passwd");
        assert!(serde_json::from_value::<Challenge>(bad_id).is_err());
    }

    #[test]
    fn quality_issues_have_the_seed_guidance_and_a_priority() {
        use shared::liveness::{FrameSignals, QualityIssue};
        let expected = [
            (QualityIssue::NoFace, "no_face", "未检测到人脸"),
            (
                QualityIssue::MultipleFaces,
                "multiple_faces",
                "请保持单人入镜",
            ),
            (QualityIssue::TooDark, "too_dark", "光线过暗"),
            (QualityIssue::TooBright, "too_bright", "光线过亮"),
            (QualityIssue::Blurred, "blurred", "画面模糊,请保持稳定"),
            (QualityIssue::TooFar, "too_far", "离摄像头过远"),
            (QualityIssue::TooNear, "too_near", "离摄像头过近"),
            (
                QualityIssue::OutOfFrame,
                "out_of_frame",
                "请将面部完整置于取景框内",
            ),
        ];
        for (issue, code, text) in expected {
            assert_eq!(issue.guidance_zh(), text);
            assert_eq!(
                serde_json::to_value(issue).unwrap(),
                serde_json::json!(code)
            );
        }
        // Priorities are a strict order over all eight.
        let mut prios: Vec<u8> = QualityIssue::BY_PRIORITY
            .iter()
            .map(|i| i.priority())
            .collect();
        assert_eq!(prios, (0..8).collect::<Vec<u8>>());
        prios.dedup();
        assert_eq!(prios.len(), 8);
        use QualityIssue::*;
        assert_eq!(
            QualityIssue::most_important(&[Blurred, TooBright, TooNear]),
            Some(TooNear)
        );
        assert_eq!(
            QualityIssue::most_important(&[TooDark, OutOfFrame]),
            Some(OutOfFrame)
        );
        assert_eq!(QualityIssue::most_important(&[]), None);

        // The face count speaks first, even if `issues` forgot it.
        let face = shared::liveness::synth::neutral_face();
        let frame = |faces, face, issues| FrameSignals {
            t_ms: 0,
            faces,
            face,
            issues,
        };
        assert_eq!(frame(0, None, vec![TooDark]).primary_issue(), Some(NoFace));
        assert_eq!(
            frame(2, Some(face), vec![TooDark]).primary_issue(),
            Some(MultipleFaces)
        );
        assert_eq!(
            frame(1, Some(face), vec![TooDark, Blurred]).primary_issue(),
            Some(TooDark)
        );
        assert_eq!(frame(1, Some(face), vec![]).primary_issue(), None);

        // The wire format the models crate sends.
        let json = r#"{"t_ms": 40, "faces": 1, "issues": ["too_far"], "face": {
        "face_box": {"x": 0.4, "y": 0.3, "width": 0.1, "height": 0.12},
        "left_eye_openness": 0.31, "right_eye_openness": 0.29, "mouth_openness": 0.04,
        "yaw_deg": -3.5, "pitch_deg": 2.0}}"#;
        let f: FrameSignals = serde_json::from_str(json).unwrap();
        assert_eq!(f.issues, vec![TooFar]);
        assert_eq!(f.face.unwrap().yaw_deg, -3.5);
        assert!(serde_json::from_str::<FrameSignals>(
            r#"{"t_ms": 1, "faces": 0, "face": null, "issues": ["dark"]}"#
        )
        .is_err());
    }
}

//! Property tests: nothing in the liveness module panics on arbitrary input, and verdicts are
//! internally consistent.

// Wrapped in a module so that `cargo test -p shared liveness` selects these tests.
mod liveness_props {
    use proptest::prelude::*;
    use rand::rngs::StdRng;
    use rand::SeedableRng;
    use shared::liveness::synth::{Event, Script};
    use shared::liveness::{
        verify_claims, Action, ActionAt, ActionDetector, ActionSet, ChallengeActions, ChallengeId,
        DetectorConfig, FaceBox, FaceSignals, FrameSignals, LivenessSession, QualityIssue, Verdict,
    };

    fn any_f32() -> impl Strategy<Value = f32> {
        prop_oneof![
            4 => -1.0f32..1.0,
            2 => -120.0f32..120.0,
            1 => proptest::num::f32::ANY,
            1 => Just(f32::NAN),
            1 => Just(f32::INFINITY),
            1 => Just(f32::NEG_INFINITY),
            1 => Just(f32::MAX),
            1 => Just(-0.0f32),
        ]
    }

    fn any_face() -> impl Strategy<Value = FaceSignals> {
        (
            any_f32(),
            any_f32(),
            any_f32(),
            any_f32(),
            any_f32(),
            any_f32(),
            any_f32(),
            any_f32(),
            any_f32(),
        )
            .prop_map(|(x, y, w, h, l, r, m, yaw, pitch)| FaceSignals {
                face_box: FaceBox {
                    x,
                    y,
                    width: w,
                    height: h,
                },
                left_eye_openness: l,
                right_eye_openness: r,
                mouth_openness: m,
                yaw_deg: yaw,
                pitch_deg: pitch,
            })
    }

    fn any_issue() -> impl Strategy<Value = QualityIssue> {
        proptest::sample::select(QualityIssue::BY_PRIORITY.to_vec())
    }

    fn any_time() -> impl Strategy<Value = u64> {
        prop_oneof![4 => 0u64..20_000, 1 => any::<u64>(), 1 => Just(u64::MAX), 1 => Just(0u64)]
    }

    fn any_frame() -> impl Strategy<Value = FrameSignals> {
        (
            any_time(),
            0u32..4,
            proptest::option::of(any_face()),
            proptest::collection::vec(any_issue(), 0..3),
        )
            .prop_map(|(t_ms, faces, face, issues)| FrameSignals {
                t_ms,
                faces,
                face,
                issues,
            })
    }

    fn any_action() -> impl Strategy<Value = Action> {
        proptest::sample::select(Action::ALL.to_vec())
    }

    fn any_challenge() -> impl Strategy<Value = ChallengeActions> {
        proptest::sample::subsequence(Action::ALL.to_vec(), 1..=3)
            .prop_shuffle()
            .prop_map(|v| ChallengeActions::new(v).unwrap())
    }

    fn check_verdict(v: &Verdict, challenge: &ChallengeActions) {
        assert_eq!(v.passed, v.reason.is_none(), "{v:?}");
        assert!(v.done_at.len() <= challenge.len());
        // Whatever was done, was done in the challenge's order at increasing times.
        for (i, a) in v.done_at.iter().enumerate() {
            assert_eq!(Some(a.action), challenge.get(i));
        }
        assert!(v.done_at.windows(2).all(|w| w[0].t_ms < w[1].t_ms));
        if v.passed {
            assert_eq!(v.done_at.len(), challenge.len());
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        #[test]
        fn detector_and_session_never_panic(
            frames in proptest::collection::vec(any_frame(), 0..120),
            challenge in any_challenge(),
        ) {
            let report = ActionDetector::detect_all(DetectorConfig::default(), &frames);
            for d in &report.detections {
                prop_assert!(d.start_ms <= d.end_ms);
            }
            let mut session = LivenessSession::new(challenge.clone(), DetectorConfig::default());
            for f in &frames {
                let p = session.push(f);
                prop_assert!(p.index <= p.total);
            }
            let v = session.finish();
            check_verdict(&v, &challenge);
        }

        #[test]
        fn sorted_garbage_never_panics_either(
            mut frames in proptest::collection::vec(any_frame(), 0..200),
            challenge in any_challenge(),
            claims in proptest::collection::vec((any_action(), any_time()), 0..4),
        ) {
            frames.sort_by_key(|f| f.t_ms);
            let claims: Vec<ActionAt> = claims.into_iter().map(ActionAt::from).collect();
            let v = verify_claims(&challenge, &frames, &claims);
            check_verdict(&v, &challenge);
        }

        #[test]
        fn a_hostile_config_never_panics(
            ratio in any_f32(),
            deg in any_f32(),
            ms in any::<u64>(),
            min_samples in 0usize..10,
            seed in any::<u64>(),
        ) {
            let config = DetectorConfig {
                blink_close_ratio: ratio,
                eye_baseline_quantile: ratio,
                shake_side_deg: deg,
                pose_reference_max_deg: deg,
                nod_down_deg: deg,
                mouth_open_min: ratio,
                baseline_min_samples: min_samples,
                baseline_window_ms: ms,
                action_timeout_ms: ms,
                ..DetectorConfig::default()
            };
            let frames = Script::new(30.0, 3_000)
                .with(Event::Blink { at_ms: 1_000, closed_ms: 150, depth: 0.3 })
                .render(&mut StdRng::seed_from_u64(seed));
            let _ = ActionDetector::detect_all(config.clone(), &frames);
            let challenge = ChallengeActions::new([Action::Blink]).unwrap();
            let mut session = LivenessSession::new(challenge.clone(), config);
            for f in &frames {
                session.push(f);
            }
            check_verdict(&session.finish(), &challenge);
        }

        #[test]
        fn parsers_never_panic(s in ".{0,80}") {
            let _ = ActionSet::parse_list(&s);
            let _ = Action::parse(&s);
            let _ = ChallengeId::parse(&s);
            let _ = serde_json::from_str::<FrameSignals>(&s);
            let _ = serde_json::from_str::<ChallengeActions>(&s);
        }

        #[test]
        fn action_set_display_parses_back(subset in proptest::sample::subsequence(Action::ALL.to_vec(), 1..=4)) {
            let set = ActionSet::new(subset.clone()).unwrap();
            let back = ActionSet::parse_list(&set.to_string()).unwrap();
            prop_assert_eq!(back, set);
            prop_assert_eq!(back.to_vec(), subset);
        }

        #[test]
        fn frame_signals_round_trip_through_json(frame in any_frame()) {
            let finite = frame.face.is_none_or(|f| f.is_plausible());
            prop_assume!(finite);
            let json = serde_json::to_string(&frame).unwrap();
            let back: FrameSignals = serde_json::from_str(&json).unwrap();
            prop_assert_eq!(back, frame);
        }
    }
}

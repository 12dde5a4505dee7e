//! Liveness sessions and the server's re-check, on synthetic sequences.

// Wrapped in a module so that `cargo test -p shared liveness` selects these tests.
mod liveness_session {
    use rand::rngs::StdRng;
    use rand::seq::SliceRandom;
    use rand::SeedableRng;
    use shared::error::UserError;
    use shared::liveness::synth::{neutral_face, Event, Noise, Script};
    use shared::liveness::{
        verify_claims, Action, ActionAt, ChallengeActions, DetectorConfig, FailReason,
        FrameSignals, Hint, LivenessSession, Progress, QualityIssue, Verdict,
    };

    fn actions(list: &[Action]) -> ChallengeActions {
        ChallengeActions::new(list.iter().copied()).unwrap()
    }

    fn frames(script: &Script, seed: u64) -> Vec<FrameSignals> {
        script.render(&mut StdRng::seed_from_u64(seed))
    }

    /// Feeds every frame, then finishes; returns the verdict and the progress after each frame.
    fn run_session(list: &[Action], frames: &[FrameSignals]) -> (Verdict, Vec<Progress>) {
        let mut session = LivenessSession::new(actions(list), DetectorConfig::default());
        let progress: Vec<Progress> = frames.iter().map(|f| session.push(f)).collect();
        (session.finish(), progress)
    }

    const BLINK: Event = Event::Blink {
        at_ms: 0,
        closed_ms: 150,
        depth: 0.3,
    };

    fn blink_at(at_ms: u64) -> Event {
        match BLINK {
            Event::Blink {
                closed_ms, depth, ..
            } => Event::Blink {
                at_ms,
                closed_ms,
                depth,
            },
            _ => unreachable!(),
        }
    }
    fn nod_at(at_ms: u64) -> Event {
        Event::Nod {
            at_ms,
            duration_ms: 1_000,
            depth_deg: 16.0,
        }
    }
    fn shake_at(at_ms: u64) -> Event {
        Event::ShakeHead {
            at_ms,
            period_ms: 1_600,
            amplitude_deg: 30.0,
            positive_first: true,
        }
    }
    fn mouth_at(at_ms: u64) -> Event {
        Event::OpenMouth {
            at_ms,
            hold_ms: 600,
            mar: 0.65,
        }
    }

    #[test]
    fn actions_in_the_asked_order_pass() {
        for fps in [30.0, 15.0] {
            let script = Script::new(fps, 8_000)
                .with(shake_at(1_000))
                .with(nod_at(3_500))
                .with(mouth_at(5_500));
            let (verdict, progress) = run_session(
                &[Action::ShakeHead, Action::Nod, Action::OpenMouth],
                &frames(&script, 1),
            );
            assert!(verdict.passed, "{fps} fps: {verdict:?}");
            assert_eq!(verdict.reason, None);
            let done: Vec<Action> = verdict.done_at.iter().map(|a| a.action).collect();
            assert_eq!(
                done,
                vec![Action::ShakeHead, Action::Nod, Action::OpenMouth]
            );
            assert!(verdict.done_at.windows(2).all(|w| w[0].t_ms < w[1].t_ms));
            assert!(
                (1_700..=2_300).contains(&verdict.done_at[0].t_ms),
                "{verdict:?}"
            );
            assert!(
                (4_100..=4_700).contains(&verdict.done_at[1].t_ms),
                "{verdict:?}"
            );

            // Progress walks through the prompts.
            assert_eq!(progress[0].action, Some(Action::ShakeHead));
            assert_eq!(progress[0].index, 0);
            assert_eq!(progress[0].total, 3);
            assert_eq!(progress[0].prompt_zh(), "请摇头");
            assert!(progress
                .iter()
                .any(|p| p.action == Some(Action::Nod) && p.index == 1));
            let last = progress.last().unwrap();
            assert_eq!(last.index, 3);
            assert_eq!(last.action, None);
            assert_eq!(last.prompt_zh(), "核验成功");
            assert!(last.verdict.as_ref().is_some_and(|v| v.passed));
        }
    }

    #[test]
    fn a_still_photo_fails_with_no_motion() {
        for noise in [Noise::NONE, Noise::photo()] {
            for fps in [30.0, 15.0] {
                let script = Script::new(fps, 15_000).noise(noise);
                let (verdict, progress) =
                    run_session(&[Action::Blink, Action::Nod], &frames(&script, 2));
                assert!(!verdict.passed);
                assert_eq!(
                    verdict.reason,
                    Some(FailReason::NoMotion),
                    "{noise:?} {fps}"
                );
                assert_eq!(verdict.failed_action, Some(Action::Blink));
                assert!(verdict.done_at.is_empty());
                // It failed when the first action's time ran out, not at the end of the frames.
                let failed_at = progress.iter().position(|p| p.verdict.is_some()).unwrap();
                let t = (failed_at as f32 * 1000.0 / fps) as u64;
                assert!((10_000..=10_200).contains(&t), "failed at {t} ms");
            }
        }
    }

    #[test]
    fn a_live_face_that_does_something_else_times_out() {
        // Talking and looking around a little, but never nodding.
        let script = Script::new(30.0, 12_000)
            .with(Event::Talk {
                from_ms: 1_000,
                to_ms: 3_000,
                mar_peak: 0.3,
                pitch_deg: 2.0,
            })
            .with(Event::Turn {
                at_ms: 6_000,
                hold_ms: 500,
                yaw_deg: 8.0,
                ear_factor: 1.0,
            });
        let (verdict, progress) = run_session(&[Action::Nod, Action::Blink], &frames(&script, 3));
        assert_eq!(verdict.reason, Some(FailReason::ActionTimeout));
        assert_eq!(verdict.failed_action, Some(Action::Nod));
        assert_eq!(FailReason::ActionTimeout.message(), "动作未完成,请重新核验");
        // Time left counts down and the "follow the prompt" hint appears after 5 s.
        assert_eq!(progress[0].time_left_ms, 10_000);
        assert!(progress[150].time_left_ms <= 5_000 && progress[150].time_left_ms >= 4_900);
        assert_eq!(progress[30].hint, None);
        assert_eq!(progress[200].hint, Some(Hint::FollowPrompt));
        assert_eq!(progress[200].hint.unwrap().text_zh(), "请按提示做动作");
    }

    #[test]
    fn the_second_action_gets_its_own_time() {
        // Blink done at ~1.7 s; the nod must come by ~11.7 s. At 11 s it still counts.
        let ok = Script::new(30.0, 13_000)
            .with(blink_at(1_500))
            .with(nod_at(10_000));
        assert!(
            run_session(&[Action::Blink, Action::Nod], &frames(&ok, 4))
                .0
                .passed
        );
        // A nod completing after the deadline does not.
        let late = Script::new(30.0, 14_000)
            .with(blink_at(1_500))
            .with(nod_at(11_500));
        let (verdict, _) = run_session(&[Action::Blink, Action::Nod], &frames(&late, 4));
        assert_eq!(verdict.reason, Some(FailReason::ActionTimeout));
        assert_eq!(verdict.failed_action, Some(Action::Nod));
        assert_eq!(verdict.done_at.len(), 1);
    }

    #[test]
    fn only_one_action_done_is_not_enough() {
        let script = Script::new(30.0, 6_000).with(blink_at(1_000));
        let (verdict, _) = run_session(&[Action::Blink, Action::OpenMouth], &frames(&script, 5));
        assert!(!verdict.passed);
        assert_eq!(
            verdict.reason,
            Some(FailReason::ActionTimeout),
            "frames ended before the action"
        );
        assert_eq!(verdict.failed_action, Some(Action::OpenMouth));
        assert_eq!(
            verdict.done_at.iter().map(|a| a.action).collect::<Vec<_>>(),
            vec![Action::Blink]
        );
    }

    #[test]
    fn the_wrong_order_fails() {
        // Asked: shake, then nod. Done: nod, then shake, then nothing.
        let script = Script::new(30.0, 16_000)
            .with(nod_at(1_000))
            .with(shake_at(3_000));
        let (verdict, progress) =
            run_session(&[Action::ShakeHead, Action::Nod], &frames(&script, 6));
        assert!(!verdict.passed);
        assert_eq!(verdict.reason, Some(FailReason::WrongOrder), "{verdict:?}");
        assert_eq!(verdict.failed_action, Some(Action::Nod));
        // Right after the early nod, the screen said to follow the prompt.
        let nod_done = progress
            .iter()
            .position(|p| p.hint == Some(Hint::FollowPrompt))
            .unwrap();
        assert!((55..=70).contains(&nod_done), "hint at frame {nod_done}");
    }

    #[test]
    fn doing_it_again_in_the_right_order_passes() {
        let script = Script::new(30.0, 9_000)
            .with(nod_at(1_000))
            .with(shake_at(3_000))
            .with(nod_at(6_000));
        let (verdict, _) = run_session(&[Action::ShakeHead, Action::Nod], &frames(&script, 6));
        assert!(verdict.passed, "{verdict:?}");
        assert!(verdict.done_at[1].t_ms > 6_000);
    }

    #[test]
    fn unrequested_actions_are_ignored() {
        // Natural blinks and a mouth opening while a nod is asked for.
        let script = Script::new(30.0, 8_000)
            .with(blink_at(700))
            .with(mouth_at(1_500))
            .with(blink_at(2_600))
            .with(nod_at(4_000));
        let (verdict, _) = run_session(&[Action::Nod, Action::ShakeHead], &frames(&script, 7));
        assert_eq!(
            verdict.reason,
            Some(FailReason::ActionTimeout),
            "nod done, shake missing: {verdict:?}"
        );
        assert_eq!(verdict.done_at.len(), 1);
    }

    #[test]
    fn no_face_for_too_long_fails() {
        let script = Script::new(15.0, 12_000).with(Event::NoFace {
            from_ms: 0,
            to_ms: 12_000,
        });
        let (verdict, progress) = run_session(&[Action::Blink, Action::Nod], &frames(&script, 8));
        assert_eq!(verdict.reason, Some(FailReason::NoFace));
        assert_eq!(progress[0].hint, Some(Hint::Quality(QualityIssue::NoFace)));
        assert_eq!(progress[0].hint.unwrap().text_zh(), "未检测到人脸");
        let failed_at = progress.iter().position(|p| p.verdict.is_some()).unwrap();
        assert_eq!(failed_at, 75, "after 5 s at 15 fps");

        // A face that comes and goes, gone most of the time, also fails as NoFace.
        let flaky = Script::new(30.0, 14_000)
            .with(Event::NoFace {
                from_ms: 500,
                to_ms: 4_500,
            })
            .with(Event::NoFace {
                from_ms: 5_000,
                to_ms: 9_500,
            });
        assert_eq!(
            run_session(&[Action::Blink, Action::Nod], &frames(&flaky, 8))
                .0
                .reason,
            Some(FailReason::NoFace)
        );
    }

    #[test]
    fn a_second_face_fails_only_when_it_stays() {
        let passer_by = Script::new(30.0, 6_000)
            .with(Event::MultipleFaces {
                from_ms: 500,
                to_ms: 1_500,
            })
            .with(blink_at(2_000))
            .with(nod_at(3_500));
        let (verdict, progress) =
            run_session(&[Action::Blink, Action::Nod], &frames(&passer_by, 9));
        assert!(verdict.passed, "{verdict:?}");
        assert_eq!(
            progress[30].hint,
            Some(Hint::Quality(QualityIssue::MultipleFaces))
        );
        assert_eq!(progress[30].hint.unwrap().text_zh(), "请保持单人入镜");

        let crowd = Script::new(30.0, 8_000).with(Event::MultipleFaces {
            from_ms: 500,
            to_ms: 8_000,
        });
        let (verdict, _) = run_session(&[Action::Blink, Action::Nod], &frames(&crowd, 9));
        assert_eq!(verdict.reason, Some(FailReason::MultipleFaces));
    }

    #[test]
    fn the_most_useful_quality_hint_is_shown() {
        let mut session = LivenessSession::new(
            actions(&[Action::Blink, Action::Nod]),
            DetectorConfig::default(),
        );
        let frame = FrameSignals {
            t_ms: 0,
            faces: 1,
            face: Some(neutral_face()),
            issues: vec![
                QualityIssue::Blurred,
                QualityIssue::TooDark,
                QualityIssue::TooFar,
            ],
        };
        let p = session.push(&frame);
        assert_eq!(p.hint, Some(Hint::Quality(QualityIssue::TooFar)));
        assert_eq!(p.hint.unwrap().text_zh(), "离摄像头过远");
        let frame = FrameSignals {
            t_ms: 33,
            issues: vec![QualityIssue::Blurred, QualityIssue::TooDark],
            ..frame
        };
        assert_eq!(session.push(&frame).hint.unwrap().text_zh(), "光线过暗");
        let frame = FrameSignals {
            t_ms: 66,
            issues: vec![],
            ..frame
        };
        assert_eq!(session.push(&frame).hint, None);
    }

    #[test]
    fn identity_change_reported_by_the_caller_fails_even_after_a_pass() {
        let script = Script::new(30.0, 6_000)
            .with(blink_at(1_000))
            .with(nod_at(2_500));
        let mut session = LivenessSession::new(
            actions(&[Action::Blink, Action::Nod]),
            DetectorConfig::default(),
        );
        for f in frames(&script, 10) {
            session.push(&f);
        }
        assert!(session.verdict().unwrap().passed);
        let v = session.fail(FailReason::DifferentPerson);
        assert!(!v.passed);
        assert_eq!(v.reason, Some(FailReason::DifferentPerson));
        assert_eq!(v.done_at.len(), 2, "the actions stay on record");
        // An earlier failure keeps its reason.
        let v = session.fail(FailReason::ChallengeExpired);
        assert_eq!(v.reason, Some(FailReason::DifferentPerson));
        assert_eq!(session.finish().reason, Some(FailReason::DifferentPerson));
    }

    #[test]
    fn frames_after_the_end_change_nothing() {
        let script = Script::new(30.0, 6_000)
            .with(blink_at(1_000))
            .with(nod_at(2_500))
            .with(Event::NoFace {
                from_ms: 4_000,
                to_ms: 6_000,
            });
        let (verdict, _) = run_session(&[Action::Blink, Action::Nod], &frames(&script, 11));
        assert!(verdict.passed);
    }

    #[test]
    fn fail_reasons_have_codes_and_chinese_messages() {
        let all = [
            (FailReason::ActionTimeout, "action_timeout"),
            (FailReason::NoMotion, "no_motion"),
            (FailReason::WrongOrder, "wrong_order"),
            (FailReason::NoFace, "no_face"),
            (FailReason::MultipleFaces, "multiple_faces"),
            (FailReason::DifferentPerson, "different_person"),
            (FailReason::ClaimMismatch, "claim_mismatch"),
            (FailReason::NoEvidence, "no_evidence"),
            (FailReason::ChallengeExpired, "challenge_expired"),
            (FailReason::NoReferencePhoto, "no_reference_photo"),
        ];
        for (reason, code) in all {
            assert_eq!(reason.code(), code);
            assert_eq!(
                serde_json::to_value(reason).unwrap(),
                serde_json::json!(code)
            );
            assert_eq!(
                serde_json::from_value::<FailReason>(serde_json::json!(code)).unwrap(),
                reason
            );
            assert!(
                reason
                    .message()
                    .chars()
                    .any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)),
                "{code}"
            );
        }
        assert_eq!(FailReason::NoFace.message(), "未检测到人脸,请重新核验");
        assert!(FailReason::MultipleFaces
            .message()
            .contains("请保持单人入镜"));
        assert!(FailReason::NoMotion.message().contains("请按提示做动作"));
        assert!(FailReason::NoReferencePhoto
            .message()
            .contains("人脸比对无基准照片"));
    }

    #[test]
    fn verdict_json_shape() {
        let script = Script::new(30.0, 5_000)
            .with(blink_at(1_000))
            .with(nod_at(2_500));
        let (verdict, _) = run_session(&[Action::Blink, Action::Nod], &frames(&script, 12));
        let json = serde_json::to_value(&verdict).unwrap();
        assert_eq!(json["passed"], true);
        assert!(json["reason"].is_null());
        assert_eq!(json["done_at"][0]["action"], "blink");
        assert!(json["done_at"][1]["t_ms"].as_u64().unwrap() > 2_500);
        assert_eq!(serde_json::from_value::<Verdict>(json).unwrap(), verdict);
    }

    // ---- the server's re-check ----

    fn good_evidence() -> (ChallengeActions, Vec<FrameSignals>, Vec<ActionAt>) {
        let list = [Action::OpenMouth, Action::ShakeHead];
        let script = Script::new(15.0, 7_000)
            .with(mouth_at(1_000))
            .with(shake_at(3_000));
        let frames = frames(&script, 13);
        let mut client = LivenessSession::new(actions(&list), DetectorConfig::default());
        for f in &frames {
            client.push(f);
        }
        let claimed = client.finish().done_at;
        assert_eq!(claimed.len(), 2);
        (actions(&list), frames, claimed)
    }

    #[test]
    fn verify_claims_accepts_honest_evidence_in_any_upload_order() {
        let (challenge, mut frames, claimed) = good_evidence();
        let verdict = verify_claims(&challenge, &frames, &claimed);
        assert!(verdict.passed, "{verdict:?}");
        assert_eq!(verdict.done_at, claimed);

        frames.shuffle(&mut StdRng::seed_from_u64(1));
        assert!(
            verify_claims(&challenge, &frames, &claimed).passed,
            "uploads arrive in any order"
        );

        // Claims a few hundred ms off (the client saw other frames) are tolerated.
        let shifted: Vec<ActionAt> = claimed
            .iter()
            .map(|c| ActionAt {
                t_ms: c.t_ms + 300,
                ..*c
            })
            .collect();
        assert!(verify_claims(&challenge, &frames, &shifted).passed);
    }

    #[test]
    fn verify_claims_refuses_claims_that_disagree_with_the_frames() {
        let (challenge, frames, claimed) = good_evidence();
        let mismatch = |claims: &[ActionAt]| {
            let v = verify_claims(&challenge, &frames, claims);
            assert!(!v.passed, "{claims:?}");
            assert_eq!(v.reason, Some(FailReason::ClaimMismatch), "{claims:?}");
        };
        // Times far from what the frames show.
        mismatch(
            &claimed
                .iter()
                .map(|c| ActionAt {
                    t_ms: c.t_ms + 2_500,
                    ..*c
                })
                .collect::<Vec<_>>(),
        );
        // The claimed order differs from the challenge's.
        mismatch(&[claimed[1], claimed[0]]);
        // Same actions, swapped times.
        mismatch(&[
            ActionAt {
                action: claimed[0].action,
                t_ms: claimed[1].t_ms,
            },
            ActionAt {
                action: claimed[1].action,
                t_ms: claimed[0].t_ms,
            },
        ]);
        // A missing or an extra claim.
        mismatch(&claimed[..1]);
        mismatch(&[
            claimed[0],
            claimed[1],
            ActionAt {
                action: Action::Blink,
                t_ms: claimed[1].t_ms + 100,
            },
        ]);
        mismatch(&[]);
    }

    #[test]
    fn verify_claims_recomputes_failures_from_the_frames() {
        let list = actions(&[Action::ShakeHead, Action::Nod]);
        // The frames show nod then shake: a wrong order, whatever the client claims.
        let wrong = frames(
            &Script::new(30.0, 16_000)
                .with(nod_at(1_000))
                .with(shake_at(3_000)),
            14,
        );
        let claims = [
            ActionAt {
                action: Action::ShakeHead,
                t_ms: 3_800,
            },
            ActionAt {
                action: Action::Nod,
                t_ms: 4_500,
            },
        ];
        assert_eq!(
            verify_claims(&list, &wrong, &claims).reason,
            Some(FailReason::WrongOrder)
        );
        // Frames cut short before the nod: not done.
        let short = frames(
            &Script::new(30.0, 4_500)
                .with(nod_at(1_000))
                .with(shake_at(3_000)),
            14,
        );
        assert_eq!(
            verify_claims(&list, &short, &claims).reason,
            Some(FailReason::WrongOrder)
        );
        let photo = frames(&Script::new(15.0, 12_000).noise(Noise::NONE), 14);
        assert_eq!(
            verify_claims(&list, &photo, &claims).reason,
            Some(FailReason::NoMotion)
        );
        assert_eq!(
            verify_claims(&list, &[], &claims).reason,
            Some(FailReason::NoEvidence)
        );
    }
}

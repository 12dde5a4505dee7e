//! The action detector on synthetic signal sequences (30 and 15 fps, seeded noise).

// Wrapped in a module so that `cargo test -p shared liveness` selects these tests.
mod liveness_detector {
    use rand::rngs::StdRng;
    use rand::SeedableRng;
    use shared::liveness::synth::{neutral_face, Event, Noise, Script};
    use shared::liveness::{
        Action, ActionDetector, DetectionReport, DetectorConfig, FaceSignals, FrameError,
        FrameSignals,
    };

    const RATES: [f32; 2] = [30.0, 15.0];
    const SEEDS: [u64; 5] = [1, 2, 3, 4, 5];

    fn run(script: &Script, seed: u64) -> DetectionReport {
        let frames = script.render(&mut StdRng::seed_from_u64(seed));
        ActionDetector::detect_all(DetectorConfig::default(), &frames)
    }

    /// Asserts exactly one detection, of `action`, and returns its (start, end).
    fn only(report: &DetectionReport, action: Action, what: &str) -> (u64, u64) {
        assert_eq!(report.actions(), vec![action], "{what}: {report:?}");
        let d = report.detections[0];
        assert!(d.start_ms <= d.end_ms);
        (d.start_ms, d.end_ms)
    }

    fn assert_nothing(report: &DetectionReport, what: &str) {
        assert!(
            report.detections.is_empty(),
            "{what}: expected no action, got {report:?}"
        );
    }

    #[test]
    fn clean_blink_is_detected_at_the_right_time() {
        for fps in RATES {
            for seed in SEEDS {
                // Closes from 1500 ms, closed until ~1700, open again by ~1770.
                let script = Script::new(fps, 4_000).with(Event::Blink {
                    at_ms: 1_500,
                    closed_ms: 150,
                    depth: 0.35,
                });
                let (start, end) = only(
                    &run(&script, seed),
                    Action::Blink,
                    &format!("{fps} fps seed {seed}"),
                );
                assert!(
                    (1_500..=1_620).contains(&start),
                    "start {start} at {fps} fps"
                );
                assert!((1_700..=1_840).contains(&end), "end {end} at {fps} fps");
            }
        }
    }

    #[test]
    fn a_deliberate_shallow_blink_like_the_real_clip_is_detected() {
        // p01's closures reach only ~0.5× the open level.
        for fps in RATES {
            for seed in SEEDS {
                let script = Script::new(fps, 4_000).with(Event::Blink {
                    at_ms: 2_000,
                    closed_ms: 250,
                    depth: 0.5,
                });
                only(
                    &run(&script, seed),
                    Action::Blink,
                    &format!("{fps} fps seed {seed}"),
                );
            }
        }
    }

    #[test]
    fn two_blinks_are_two_detections() {
        let script = Script::new(30.0, 5_000)
            .with(Event::Blink {
                at_ms: 1_000,
                closed_ms: 120,
                depth: 0.3,
            })
            .with(Event::Blink {
                at_ms: 3_000,
                closed_ms: 120,
                depth: 0.3,
            });
        let report = run(&script, 9);
        assert_eq!(report.actions(), vec![Action::Blink, Action::Blink]);
        assert!(report.detections[0].end_ms < 1_400 && report.detections[1].start_ms >= 3_000);
    }

    #[test]
    fn clean_mouth_opening_is_detected_once() {
        for fps in RATES {
            for seed in SEEDS {
                let script = Script::new(fps, 4_000).with(Event::OpenMouth {
                    at_ms: 1_500,
                    hold_ms: 700,
                    mar: 0.65,
                });
                let (start, end) = only(
                    &run(&script, seed),
                    Action::OpenMouth,
                    &format!("{fps} fps seed {seed}"),
                );
                assert!((1_500..=1_700).contains(&start), "start {start}");
                assert!(
                    end >= start + 150 && end <= start + 300,
                    "end {end} start {start}"
                );
            }
        }
    }

    #[test]
    fn clean_head_shake_is_detected_once() {
        for fps in RATES {
            for seed in SEEDS {
                for positive_first in [true, false] {
                    let script = Script::new(fps, 5_000).with(Event::ShakeHead {
                        at_ms: 1_500,
                        period_ms: 1_600,
                        amplitude_deg: 35.0,
                        positive_first,
                    });
                    let what = format!("{fps} fps seed {seed} positive_first {positive_first}");
                    let (start, end) = only(&run(&script, seed), Action::ShakeHead, &what);
                    // First side crosses 15° at ~1.6 s, the second at ~2.4 s (+ hold).
                    assert!((1_550..=1_750).contains(&start), "{what}: start {start}");
                    assert!((2_350..=2_600).contains(&end), "{what}: end {end}");
                }
            }
        }
    }

    #[test]
    fn clean_nod_is_detected_once() {
        for fps in RATES {
            for seed in SEEDS {
                let script = Script::new(fps, 5_000).with(Event::Nod {
                    at_ms: 1_500,
                    duration_ms: 1_200,
                    depth_deg: 18.0,
                });
                let (start, end) = only(
                    &run(&script, seed),
                    Action::Nod,
                    &format!("{fps} fps seed {seed}"),
                );
                // Pitch passes 10° at ~1.7 s and falls back below 5° at ~2.6 s.
                assert!((1_600..=1_850).contains(&start), "start {start}");
                assert!((2_450..=2_750).contains(&end), "end {end}");
            }
        }
    }

    #[test]
    fn a_modest_nod_like_the_real_clip_is_detected() {
        // p07 nods about ±12°.
        for fps in RATES {
            for seed in SEEDS {
                let script = Script::new(fps, 4_000).with(Event::Nod {
                    at_ms: 1_000,
                    duration_ms: 900,
                    depth_deg: 13.0,
                });
                only(
                    &run(&script, seed),
                    Action::Nod,
                    &format!("{fps} fps seed {seed}"),
                );
            }
        }
    }

    #[test]
    fn neutral_face_with_noise_gives_nothing() {
        for fps in RATES {
            for seed in 0..20 {
                assert_nothing(
                    &run(&Script::new(fps, 8_000), seed),
                    &format!("{fps} fps seed {seed}"),
                );
            }
        }
    }

    #[test]
    fn a_smile_is_not_a_blink() {
        for fps in RATES {
            for seed in SEEDS {
                let script = Script::new(fps, 6_000).with(Event::Smile {
                    from_ms: 1_000,
                    to_ms: 4_000,
                    ear_factor: 0.8,
                });
                assert_nothing(&run(&script, seed), &format!("smile {fps} fps seed {seed}"));
            }
        }
    }

    #[test]
    fn a_quick_smile_is_not_a_blink() {
        // Short enough to look like a (slow) blink in duration: only the depth tells them apart.
        for fps in RATES {
            for seed in 0..10 {
                let script = Script::new(fps, 4_000).with(Event::Smile {
                    from_ms: 1_500,
                    to_ms: 2_100,
                    ear_factor: 0.8,
                });
                assert_nothing(
                    &run(&script, seed),
                    &format!("quick smile {fps} fps seed {seed}"),
                );
            }
        }
    }

    #[test]
    fn a_neutral_eyelid_dip_is_not_a_blink() {
        // p07_neutral: a shallow −17 % EAR dip.
        let script = Script::new(30.0, 4_000).with(Event::Blink {
            at_ms: 1_900,
            closed_ms: 100,
            depth: 0.83,
        });
        for seed in SEEDS {
            assert_nothing(&run(&script, seed), "eyelid dip");
        }
    }

    #[test]
    fn a_head_turn_with_eye_openness_drop_is_neither_blink_nor_shake() {
        for fps in RATES {
            for seed in SEEDS {
                for yaw in [35.0, -40.0] {
                    let script = Script::new(fps, 5_000).with(Event::Turn {
                        at_ms: 1_500,
                        hold_ms: 800,
                        yaw_deg: yaw,
                        ear_factor: 0.5,
                    });
                    assert_nothing(
                        &run(&script, seed),
                        &format!("turn {yaw} {fps} fps seed {seed}"),
                    );
                }
            }
        }
    }

    #[test]
    fn talking_is_not_a_nod_nor_an_open_mouth() {
        for fps in RATES {
            for seed in SEEDS {
                let script = Script::new(fps, 6_000).with(Event::Talk {
                    from_ms: 1_000,
                    to_ms: 5_000,
                    mar_peak: 0.5,
                    pitch_deg: 3.0,
                });
                assert_nothing(&run(&script, seed), &format!("talk {fps} fps seed {seed}"));
            }
        }
    }

    #[test]
    fn a_wink_is_not_a_blink() {
        let script = Script::new(30.0, 4_000).with(Event::Wink {
            at_ms: 1_500,
            closed_ms: 200,
            depth: 0.2,
        });
        for seed in SEEDS {
            assert_nothing(&run(&script, seed), "wink");
        }
    }

    #[test]
    fn eyes_closed_for_long_is_not_a_blink() {
        let script = Script::new(30.0, 5_000).with(Event::Blink {
            at_ms: 1_500,
            closed_ms: 1_500,
            depth: 0.2,
        });
        assert_nothing(&run(&script, 3), "eyes closed 1.5 s");
    }

    #[test]
    fn looking_down_for_long_is_not_a_nod() {
        let script = Script::new(30.0, 7_000).with(Event::Nod {
            at_ms: 1_000,
            duration_ms: 4_500,
            depth_deg: 20.0,
        });
        assert_nothing(&run(&script, 3), "slow look down");
    }

    #[test]
    fn chin_up_only_is_not_a_nod() {
        let script = Script::new(30.0, 4_000).with(Event::Nod {
            at_ms: 1_000,
            duration_ms: 900,
            depth_deg: -18.0,
        });
        assert_nothing(&run(&script, 4), "chin up");
    }

    #[test]
    fn small_head_sway_is_not_a_shake() {
        // ±10° is below the 15° needed on each side.
        let script = Script::new(30.0, 5_000).with(Event::ShakeHead {
            at_ms: 1_000,
            period_ms: 1_500,
            amplitude_deg: 10.0,
            positive_first: true,
        });
        assert_nothing(&run(&script, 5), "sway");
    }

    #[test]
    fn shake_is_relative_to_a_turned_resting_pose() {
        // p11 rests at −24° (nose to image-right): still nothing; a shake around that pose counts.
        let turned = FaceSignals {
            yaw_deg: -24.0,
            ..neutral_face()
        };
        for fps in RATES {
            assert_nothing(
                &run(&Script::new(fps, 5_000).neutral(turned), 1),
                "resting turned",
            );
            let script = Script::new(fps, 5_000)
                .neutral(turned)
                .with(Event::ShakeHead {
                    at_ms: 1_000,
                    period_ms: 1_600,
                    amplitude_deg: 25.0,
                    positive_first: false,
                });
            only(&run(&script, 1), Action::ShakeHead, "shake around −24°");
        }
    }

    #[test]
    fn a_clip_that_starts_mid_turn_still_shows_the_shake() {
        // p09: starts at +60°, swings to about −40°, 12 fps.
        let start_turned = FaceSignals {
            yaw_deg: 60.0,
            ..neutral_face()
        };
        let script = Script::new(12.0, 1_900)
            .neutral(start_turned)
            .with(Event::Turn {
                at_ms: 600,
                hold_ms: 600,
                yaw_deg: -100.0,
                ear_factor: 1.0,
            });
        only(&run(&script, 2), Action::ShakeHead, "p09-like");
    }

    #[test]
    fn shake_survives_a_short_face_loss_between_the_sides() {
        // p10: the face is lost for ~130 ms near profile.
        let script = Script::new(15.0, 5_000)
            .with(Event::ShakeHead {
                at_ms: 1_000,
                period_ms: 2_000,
                amplitude_deg: 40.0,
                positive_first: true,
            })
            .with(Event::NoFace {
                from_ms: 1_900,
                to_ms: 2_050,
            });
        only(&run(&script, 6), Action::ShakeHead, "shake with face loss");
    }

    #[test]
    fn a_blink_interrupted_by_a_lost_face_does_not_count() {
        let script = Script::new(30.0, 4_000)
            .with(Event::Blink {
                at_ms: 1_500,
                closed_ms: 300,
                depth: 0.3,
            })
            .with(Event::NoFace {
                from_ms: 1_600,
                to_ms: 1_700,
            });
        assert_nothing(&run(&script, 1), "blink with face loss");
    }

    #[test]
    fn each_action_at_fifteen_fps_with_quick_movements() {
        let quick = [
            (
                Event::Blink {
                    at_ms: 1_200,
                    closed_ms: 100,
                    depth: 0.3,
                },
                Action::Blink,
            ),
            (
                Event::OpenMouth {
                    at_ms: 1_200,
                    hold_ms: 250,
                    mar: 0.6,
                },
                Action::OpenMouth,
            ),
            (
                Event::ShakeHead {
                    at_ms: 1_200,
                    period_ms: 1_000,
                    amplitude_deg: 30.0,
                    positive_first: true,
                },
                Action::ShakeHead,
            ),
            (
                Event::Nod {
                    at_ms: 1_200,
                    duration_ms: 600,
                    depth_deg: 16.0,
                },
                Action::Nod,
            ),
        ];
        for (event, action) in quick {
            for seed in SEEDS {
                let script = Script::new(15.0, 3_500).with(event);
                only(
                    &run(&script, seed),
                    action,
                    &format!("{action} seed {seed}"),
                );
            }
        }
    }

    #[test]
    fn different_actions_in_one_sequence_come_out_in_order() {
        let script = Script::new(30.0, 9_000)
            .with(Event::ShakeHead {
                at_ms: 1_000,
                period_ms: 1_500,
                amplitude_deg: 30.0,
                positive_first: true,
            })
            .with(Event::Blink {
                at_ms: 3_500,
                closed_ms: 150,
                depth: 0.3,
            })
            .with(Event::OpenMouth {
                at_ms: 5_000,
                hold_ms: 600,
                mar: 0.7,
            })
            .with(Event::Nod {
                at_ms: 7_000,
                duration_ms: 1_000,
                depth_deg: 15.0,
            });
        let report = run(&script, 12);
        assert_eq!(
            report.actions(),
            vec![
                Action::ShakeHead,
                Action::Blink,
                Action::OpenMouth,
                Action::Nod
            ]
        );
    }

    #[test]
    fn out_of_order_frames_are_refused_without_changing_state() {
        let frames = Script::new(30.0, 3_000)
            .with(Event::Blink {
                at_ms: 1_500,
                closed_ms: 150,
                depth: 0.3,
            })
            .render(&mut StdRng::seed_from_u64(1));
        let mut detector = ActionDetector::new(DetectorConfig::default());
        let mut found = Vec::new();
        for (i, frame) in frames.iter().enumerate() {
            found.extend(detector.push(frame).unwrap());
            if i > 0 && i % 5 == 0 {
                // Replay an old frame (eyes open) in the middle of everything, and a duplicate.
                assert_eq!(
                    detector.push(&frames[i - 3]),
                    Err(FrameError::TimeNotIncreasing)
                );
                assert_eq!(detector.push(frame), Err(FrameError::TimeNotIncreasing));
            }
        }
        assert_eq!(
            found.iter().map(|d| d.action).collect::<Vec<_>>(),
            vec![Action::Blink]
        );
    }

    #[test]
    fn impossible_values_are_refused_as_no_face() {
        let mut detector = ActionDetector::new(DetectorConfig::default());
        let good = |t| FrameSignals {
            t_ms: t,
            faces: 1,
            face: Some(neutral_face()),
            issues: vec![],
        };
        assert!(detector.push(&good(0)).unwrap().is_empty());
        for (t, face) in [
            (
                33,
                FaceSignals {
                    yaw_deg: f32::NAN,
                    ..neutral_face()
                },
            ),
            (
                66,
                FaceSignals {
                    left_eye_openness: -0.2,
                    ..neutral_face()
                },
            ),
            (
                99,
                FaceSignals {
                    mouth_openness: f32::INFINITY,
                    ..neutral_face()
                },
            ),
            (
                132,
                FaceSignals {
                    pitch_deg: 1e9,
                    ..neutral_face()
                },
            ),
        ] {
            let frame = FrameSignals {
                t_ms: t,
                faces: 1,
                face: Some(face),
                issues: vec![],
            };
            assert_eq!(detector.push(&frame), Err(FrameError::InvalidSignals));
        }
        assert_eq!(
            detector.last_t_ms(),
            Some(132),
            "invalid frames still advance time"
        );
        assert!(detector.push(&good(165)).unwrap().is_empty());
    }

    #[test]
    fn the_config_serialises_with_defaults_for_missing_fields() {
        let json = r#"{"blink_close_ratio": 0.65, "shake_side_deg": 18.0}"#;
        let config: DetectorConfig = serde_json::from_str(json).unwrap();
        assert_eq!(config.blink_close_ratio, 0.65);
        assert_eq!(config.shake_side_deg, 18.0);
        assert_eq!(config.nod_down_deg, DetectorConfig::default().nod_down_deg);
        let back: DetectorConfig =
            serde_json::from_value(serde_json::to_value(&config).unwrap()).unwrap();
        assert_eq!(back, config);
    }

    #[test]
    fn a_stricter_config_changes_the_outcome() {
        // The thresholds are really used: a 13° nod passes the default 10° but not a 15° setting.
        let script = Script::new(30.0, 4_000).with(Event::Nod {
            at_ms: 1_000,
            duration_ms: 900,
            depth_deg: 13.0,
        });
        let frames = script.render(&mut StdRng::seed_from_u64(1));
        assert!(
            ActionDetector::detect_all(DetectorConfig::default(), &frames).contains(Action::Nod)
        );
        let strict = DetectorConfig {
            nod_down_deg: 15.0,
            ..DetectorConfig::default()
        };
        assert!(!ActionDetector::detect_all(strict, &frames).contains(Action::Nod));
    }

    #[test]
    fn photo_noise_is_not_an_action() {
        for seed in SEEDS {
            assert_nothing(
                &run(&Script::new(30.0, 8_000).noise(Noise::photo()), seed),
                "photo",
            );
        }
    }
}

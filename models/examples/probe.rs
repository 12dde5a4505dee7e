//! Debugging aid: prints every frame's measurements of one `*_frames/` folder or image as CSV.
//!
//! `cargo run -p models --example probe -- PATH [FPS] [--mirror] [--tracked] [--still]`
//! (`--tracked`: the face followed from frame to frame, as `LivenessRunner` runs)

#[path = "../tests/common/mod.rs"]
mod common;

use std::path::PathBuf;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let path = PathBuf::from(args.first().ok_or("usage: probe PATH [FPS] [--mirror]")?);
    let fps: f32 = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(15.0);
    let mirror = args.iter().any(|a| a == "--mirror");
    let mut models = models::FaceModels::load_bundled()?;
    let frames = if path.is_dir() {
        common::clip_frames(&path, fps)
    } else {
        vec![(0, path.clone())]
    };
    println!("t_ms,faces,score,box_x,box_y,box_w,box_h,ear_l,ear_r,mar,yaw,pitch,face_luma,lap_var,frame_luma,kp_a_x,kp_b_x,issues");
    let draw = args
        .iter()
        .position(|a| a == "--draw")
        .and_then(|i| args.get(i + 1))
        .map(PathBuf::from);
    let tracked = args.iter().any(|a| a == "--tracked");
    let mut tracker = models::FaceTracker::new(models::TrackConfig::default());
    for (t, p) in frames {
        let img = common::load_rgb(&p);
        let frame = img.frame().mirrored(mirror);
        let a = if args.iter().any(|a| a == "--still") {
            models.analyze_still(&frame)?
        } else if tracked {
            models.analyze_tracked(&frame, t, &mut tracker)?
        } else {
            models.analyze(&frame, t)?
        };
        if args.iter().any(|a| a == "--still") {
            for f in &a.faces {
                eprintln!(
                    "face score {:.2} box {:.0},{:.0} {:.0}x{:.0}",
                    f.score,
                    f.xmin,
                    f.ymin,
                    f.width(),
                    f.height()
                );
            }
        }
        if let (Some(out), Some(mesh)) = (&draw, &a.mesh) {
            let mut canvas = image::open(&p)?.to_rgb8();
            for (i, pt) in mesh.points.iter().enumerate() {
                let (x, y) = (pt[0] as i64, pt[1] as i64);
                let eye = [33, 160, 158, 133, 153, 144, 263, 387, 385, 362, 380, 373].contains(&i);
                let color = if eye {
                    image::Rgb([255, 0, 0])
                } else {
                    image::Rgb([0, 255, 0])
                };
                for (dx, dy) in [(0, 0), (1, 0), (0, 1), (1, 1)] {
                    if x + dx >= 0
                        && y + dy >= 0
                        && ((x + dx) as u32) < canvas.width()
                        && ((y + dy) as u32) < canvas.height()
                    {
                        canvas.put_pixel((x + dx) as u32, (y + dy) as u32, color);
                    }
                }
            }
            canvas.save(out)?;
        }
        let f = a.signals.face;
        let d = a.face();
        let stats = a.mesh.as_ref().map(|m| m.crop_stats);
        println!(
            "{t},{},{:.2},{},{},{},{},{},{},{},{},{},{},{},{:.1},{},{},{:?}",
            a.signals.faces,
            d.map_or(0.0, |d| d.score),
            f.map_or("".into(), |f| format!("{:.3}", f.face_box.x)),
            f.map_or("".into(), |f| format!("{:.3}", f.face_box.y)),
            f.map_or("".into(), |f| format!("{:.3}", f.face_box.width)),
            f.map_or("".into(), |f| format!("{:.3}", f.face_box.height)),
            f.map_or("".into(), |f| format!("{:.3}", f.left_eye_openness)),
            f.map_or("".into(), |f| format!("{:.3}", f.right_eye_openness)),
            f.map_or("".into(), |f| format!("{:.3}", f.mouth_openness)),
            f.map_or("".into(), |f| format!("{:.1}", f.yaw_deg)),
            f.map_or("".into(), |f| format!("{:.1}", f.pitch_deg)),
            stats.map_or("".into(), |s| format!("{:.1}", s.mean_luma)),
            stats.map_or("".into(), |s| format!("{:.1}", s.laplacian_var)),
            a.frame_luma,
            d.map_or("".into(), |d| format!("{:.0}", d.keypoints[0][0])),
            d.map_or("".into(), |d| format!("{:.0}", d.keypoints[1][0])),
            a.signals.issues,
        );
    }
    Ok(())
}

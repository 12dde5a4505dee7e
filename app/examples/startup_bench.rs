//! Cold start to the login screen and the release binary's size, printed (not a test).
//!
//!     cargo build --release -p app && DISPLAY=:99 cargo run --release -p app --example startup_bench
//!
//! Runs the release `app` binary 5 times per mode with `ZHANYOU_STARTUP_TIMING=1` (it prints
//! `startup_ms N` when its event loop first runs, the login window created and shown) and a new
//! data directory each time: `--server URL` (the app alone, against the real server the bench
//! starts in-process on port 0 first) and the default (the embedded demo server started and
//! seeded first — its SQLite database created from nothing). Needs a display (Xvfb).

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/var/tmp/zhanyou-target"));
    let bin = std::env::args()
        .nth(1)
        .map(PathBuf::from)
        .unwrap_or_else(|| target.join("release/app"));
    let size = std::fs::metadata(&bin)?.len();
    println!(
        "binary {}: {:.1} MB ({size} bytes)",
        bin.display(),
        size as f64 / 1e6
    );
    let server = tests::blocking::Server::shared();
    for (mode, args) in [
        (
            "a running server (the app only)",
            vec!["--server", server.url()],
        ),
        ("embedded demo server", vec![]),
    ] {
        let mut times = Vec::new();
        for _ in 0..5 {
            let data = std::env::temp_dir().join(format!(
                "zhanyou-startup-{}-{}",
                std::process::id(),
                times.len()
            ));
            let t0 = Instant::now();
            let mut child = Command::new(&bin)
                .args(&args)
                .arg("--data-dir")
                .arg(&data)
                .env("ZHANYOU_STARTUP_TIMING", "1")
                .stdout(Stdio::piped())
                .stderr(Stdio::null())
                .spawn()?;
            let stdout = child.stdout.take().ok_or("no stdout")?;
            let mut reported = None;
            for line in BufReader::new(stdout).lines() {
                let line = line?;
                if let Some(ms) = line.strip_prefix("startup_ms ") {
                    reported = ms.trim().parse::<u64>().ok();
                    break;
                }
                if t0.elapsed() > Duration::from_secs(60) {
                    break;
                }
            }
            let wall = t0.elapsed();
            let _ = child.kill();
            let _ = child.wait();
            let _ = std::fs::remove_dir_all(&data);
            match reported {
                Some(ms) => times.push((ms, wall.as_millis() as u64)),
                None => eprintln!("{mode}: no startup_ms line (is DISPLAY set?)"),
            }
        }
        if times.is_empty() {
            continue;
        }
        let mut inside: Vec<u64> = times.iter().map(|t| t.0).collect();
        let mut wall: Vec<u64> = times.iter().map(|t| t.1).collect();
        inside.sort_unstable();
        wall.sort_unstable();
        println!(
            "cold start to the login screen, {mode}: p50 {} ms, max {} ms (in-process, from main); wall p50 {} ms (from exec) over {} runs",
            inside[inside.len() / 2],
            inside[inside.len() - 1],
            wall[wall.len() / 2],
            inside.len()
        );
    }
    Ok(())
}

//! Times the same networks from two or more directories, interleaved round by round, so a graph
//! rewrite is judged on the same machine state as the graph it replaces (on a shared machine the
//! load changes minute to minute; interleaving spreads it over every candidate alike).
//!
//! `cargo run -p models --release --example ab -- DIR_A DIR_B [DIR_C…]`
//! Prints, per network, each directory's median and best per-round time (single thread), and
//! the largest |Δ| of each directory's outputs against the first one's on the same input.

use std::time::Instant;

use tract_onnx::prelude::*;

const NETWORKS: [(&str, usize); 3] = [
    ("face_detection_short_range", 128),
    ("face_landmark", 192),
    ("mobilefacenet", 112),
];

fn main() -> TractResult<()> {
    let dirs: Vec<String> = std::env::args().skip(1).collect();
    if dirs.len() < 2 {
        eprintln!("usage: ab DIR_A DIR_B [DIR_C…]");
        std::process::exit(2);
    }
    let rounds: usize = std::env::var("AB_ROUNDS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(15);
    println!(
        "depthwise kernel: {}",
        models::kernels::depthwise_kernel_in_use().unwrap_or("none (scalar)")
    );
    for (file, side) in NETWORKS {
        let shape = [1, 3, side, side];
        let len: usize = shape.iter().product();
        let input: Vec<f32> = (0..len)
            .map(|i| ((i * 7919 % 1000) as f32 / 500.0) - 1.0)
            .collect();
        let tensor = Tensor::from_shape(&shape, &input)?;
        let mut plans = Vec::new();
        for dir in &dirs {
            let plan = tract_onnx::onnx()
                .model_for_path(std::path::Path::new(dir).join(format!("{file}.onnx")))?
                .with_input_fact(0, f32::fact(shape).into())?
                .into_optimized()?
                .into_runnable()?;
            plans.push(plan);
        }
        let reference = plans[0].run(tvec!(tensor.clone().into()))?;
        let mut times = vec![Vec::new(); plans.len()];
        for _ in 0..rounds {
            for (plan, times) in plans.iter().zip(times.iter_mut()) {
                let mut state = TypedSimpleState::new(plan)?;
                state.run(tvec!(tensor.clone().into()))?;
                let t = Instant::now();
                for _ in 0..10 {
                    state.run(tvec!(tensor.clone().into()))?;
                }
                times.push(t.elapsed().as_secs_f64() * 1e3 / 10.0);
            }
        }
        println!("== {file}");
        for ((dir, plan), times) in dirs.iter().zip(&plans).zip(times.iter_mut()) {
            times.sort_by(f64::total_cmp);
            let out = plan.run(tvec!(tensor.clone().into()))?;
            let mut delta = 0f32;
            for (a, b) in out.iter().zip(reference.iter()) {
                let (a, b) = (
                    a.to_plain_array_view::<f32>()?,
                    b.to_plain_array_view::<f32>()?,
                );
                for (x, y) in a.iter().zip(b.iter()) {
                    delta = delta.max((x - y).abs());
                }
            }
            println!(
                "   {dir:<40} median {:>6.3} ms  best {:>6.3} ms  max |Δ| {delta:e}",
                times[times.len() / 2],
                times[0]
            );
        }
    }
    Ok(())
}

//! Where tract spends its time in each network: total median per run and the time per op type
//! (summed over nodes), single thread.
//!
//! `cargo run -p models --release --example profile [-- NAME [BATCH]]`
//! Set `PROFILE_NHWC=1` to apply tract's `conv_nhwc` transform before optimising.

use std::collections::HashMap;
use std::time::Instant;

use tract_onnx::prelude::*;
use tract_onnx::tract_core;

fn main() -> TractResult<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    println!(
        "depthwise kernel: {}",
        models::kernels::depthwise_kernel_in_use().unwrap_or("none (scalar)")
    );
    let only = args.first().cloned();
    let batch: usize = args.get(1).and_then(|b| b.parse().ok()).unwrap_or(1);
    let dir = std::env::var("PROFILE_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|_| models::assets::bundled_dir());
    for (file, side) in [
        ("face_detection_short_range", 128),
        ("face_landmark", 192),
        ("mobilefacenet", 112),
    ] {
        if only.as_deref().is_some_and(|o| o != file) {
            continue;
        }
        let shape = [batch, 3, side, side];
        let mut model = tract_onnx::onnx()
            .model_for_path(dir.join(format!("{file}.onnx")))?
            .with_input_fact(0, f32::fact(shape).into())?
            .into_typed()?
            .into_decluttered()?;
        if std::env::var("PROFILE_NHWC").is_ok_and(|v| v == "1") {
            if let Some(t) = tract_core::transform::get_transform("conv_nhwc")? {
                model.transform(&*t)?;
            }
        }
        let plan = model.into_optimized()?.into_runnable()?;
        let mut state = TypedSimpleState::new(&plan)?;
        let len: usize = shape.iter().product();
        let input: Vec<f32> = (0..len)
            .map(|i| ((i * 7919 % 1000) as f32 / 500.0) - 1.0)
            .collect();
        let tensor = Tensor::from_shape(&shape, &input)?;
        if let Ok(other) = std::env::var("PROFILE_COMPARE") {
            // Max |Δ| between this file and the same network from another directory.
            let other = tract_onnx::onnx()
                .model_for_path(std::path::Path::new(&other).join(format!("{file}.onnx")))?
                .with_input_fact(0, f32::fact(shape).into())?
                .into_optimized()?
                .into_runnable()?;
            let a = plan.run(tvec!(tensor.clone().into()))?;
            let b = other.run(tvec!(tensor.clone().into()))?;
            for (x, y) in a.iter().zip(b.iter()) {
                let (x, y) = (
                    x.to_plain_array_view::<f32>()?,
                    y.to_plain_array_view::<f32>()?,
                );
                let d = x
                    .iter()
                    .zip(y.iter())
                    .map(|(p, q)| (p - q).abs())
                    .fold(0f32, f32::max);
                println!("{file}: {} values, max |Δ| {d:e}", x.len());
            }
        }
        for _ in 0..5 {
            state.run(tvec!(tensor.clone().into()))?;
        }
        let mut totals = Vec::new();
        for _ in 0..50 {
            let t = Instant::now();
            state.run(tvec!(tensor.clone().into()))?;
            totals.push(t.elapsed().as_secs_f64() * 1e3);
        }
        totals.sort_by(f64::total_cmp);
        let mut per_op: HashMap<String, (f64, usize)> = HashMap::new();
        let mut per_node: HashMap<usize, (String, f64)> = HashMap::new();
        let runs = 50;
        for _ in 0..runs {
            state.run_plan_with_eval(
                tvec!(tensor.clone().into()),
                |ctx, st, node, inputs| -> TractResult<TVec<TValue>> {
                    let t = Instant::now();
                    let out = tract_core::plan::eval(ctx, st, node, inputs);
                    let name = node.op().name().to_string();
                    let n = per_node
                        .entry(node.id)
                        .or_insert_with(|| (format!("{} {}", node.name, node.op().name()), 0.0));
                    n.1 += t.elapsed().as_secs_f64() * 1e3;
                    let e = per_op.entry(name).or_default();
                    e.0 += t.elapsed().as_secs_f64() * 1e3;
                    e.1 += 1;
                    out
                },
            )?;
        }
        let mut rows: Vec<_> = per_op.into_iter().collect();
        rows.sort_by(|a, b| b.1 .0.total_cmp(&a.1 .0));
        println!(
            "== {file} batch {batch}: median {:.2} ms, min {:.2} ms, {} nodes",
            totals[totals.len() / 2],
            totals[0],
            plan.model().nodes().len()
        );
        if std::env::var("PROFILE_NODES").is_ok() {
            let mut nodes: Vec<_> = per_node.into_values().collect();
            nodes.sort_by(|a, b| b.1.total_cmp(&a.1));
            for (name, ms) in nodes.iter().take(15) {
                println!("   node {:<60} {:>7.3} ms/run", name, ms / runs as f64);
            }
        }
        for (name, (ms, n)) in rows.iter().take(12) {
            println!(
                "   {:<40} {:>7.3} ms/run  ({} nodes)",
                name,
                ms / runs as f64,
                n / runs
            );
        }
    }
    Ok(())
}

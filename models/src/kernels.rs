//! A depthwise-convolution kernel for the rows tract leaves scalar, registered into tract-linalg's
//! routine table (the table is an `inventory` collection: any crate linked into the program may
//! add a routine, and tract picks the best one the CPU can run).
//!
//! tract runs every depthwise convolution row by row through
//! `tract_linalg::routines::depthwise_w_f32()`. tract-linalg 0.23.9's kernels vectorise only
//! rows whose input is contiguous (stride 1) — on arm64 also strided rows of at most four taps —
//! so a 3×3 stride-2 layer (every downsampling block of BlazeFace, the face mesh and
//! MobileFaceNet) runs a scalar loop: on x86-64 it cost 3–4× a stride-1 layer four times its
//! size (`--example profile`, `PROFILE_NODES=1`). These kernels read a stride-2 row as
//! de-interleaved vectors (AVX2: two loads and a shuffle; NEON: `vld2q`).
//!
//! Same contract as tract's kernels, and the arithmetic of tract's scalar walk: each output is
//! the bias, then one multiply and one add per tap, in tap order, never a fused multiply-add. So
//! every output is bit-identical to the scalar path (tested below), the x86-64 server and an
//! arm64 phone compute the same depthwise values, and registering the kernel changes times, not
//! results. (tract's own arm64 kernel uses fused multiply-adds; on phones this one replaces it.)

#[cfg(any(target_arch = "x86_64", target_arch = "aarch64"))]
use tract_onnx::tract_core::internal::inventory;
#[cfg(any(target_arch = "x86_64", target_arch = "aarch64"))]
use tract_onnx::tract_core::internal::tract_linalg::{
    isa::{Arch, IsaReq},
    routines::{Func, Routine, RoutineFactory},
};

#[cfg(target_arch = "x86_64")]
use tract_onnx::tract_core::internal::tract_linalg::isa::Isa;

/// The name tract reports for the kernel on this architecture.
#[cfg(target_arch = "x86_64")]
pub const DEPTHWISE_KERNEL: &str = "zhanyou_x86_64_avx2_depthwise_w_f32";
/// The name tract reports for the kernel on this architecture.
#[cfg(target_arch = "aarch64")]
pub const DEPTHWISE_KERNEL: &str = "zhanyou_arm64_neon_depthwise_w_f32";
/// No kernel of ours on other architectures: tract's own runs.
#[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64")))]
pub const DEPTHWISE_KERNEL: &str = "";

// AVX2 ranks above tract's AVX kernel, so a CPU with AVX2 runs this one.
#[cfg(target_arch = "x86_64")]
inventory::submit! {
    Routine {
        func: Func::DepthwiseW,
        arch: Some(Arch::X86_64),
        isa: IsaReq::ANY.needing(&[Isa::X86_64Avx2]),
        boost: 0,
        round_trip: false,
        factory: RoutineFactory::DepthwiseWF32 { name: DEPTHWISE_KERNEL, run: depthwise_w_f32 },
    }
}

// NEON is baseline on arm64: the boost ranks this above tract's kernel (same requirement).
#[cfg(target_arch = "aarch64")]
inventory::submit! {
    Routine {
        func: Func::DepthwiseW,
        arch: Some(Arch::Aarch64),
        isa: IsaReq::ANY,
        boost: 1,
        round_trip: false,
        factory: RoutineFactory::DepthwiseWF32 { name: DEPTHWISE_KERNEL, run: arm64::depthwise_w_f32 },
    }
}

/// The depthwise kernel tract runs on this CPU, by name (`None` when tract has none), so a
/// benchmark or a log can say which one ran. Calling it also keeps this module — and with it the
/// registration above — in every program that loads a network.
pub fn depthwise_kernel_in_use() -> Option<&'static str> {
    #[cfg(target_arch = "x86_64")]
    std::hint::black_box(depthwise_w_f32 as *const () as usize);
    #[cfg(target_arch = "aarch64")]
    std::hint::black_box(arm64::depthwise_w_f32 as *const () as usize);
    use tract_onnx::prelude::DatumType;
    use tract_onnx::tract_core::internal::tract_linalg::{isa, routines};
    routines::best_for(routines::Func::DepthwiseW, DatumType::F32, &isa::native()).map(|r| r.name())
}

/// `len` output points, point `i` = `bias` + Σₜ `taps[t] · input[offsets[t] + i·in_stride]`.
///
/// # Safety
/// `input.offset(offsets[t] + i * in_stride)` must be readable for every tap and every `i` below
/// `len`, `len` points writable from `output`, `taps` and `offsets` of one length, and the CPU
/// must have AVX2 (the routine table only offers it to such CPUs). No vector load reads past the
/// last point's input, so a row ending on a tensor's last element is safe.
#[cfg(target_arch = "x86_64")]
pub unsafe fn depthwise_w_f32(
    input: *const f32,
    output: *mut f32,
    taps: &[f32],
    offsets: &[isize],
    bias: f32,
    len: usize,
    in_stride: isize,
) {
    // SAFETY: forwarded from the caller's contract.
    unsafe {
        match in_stride {
            1 => stride_1(input, output, taps, offsets, bias, len),
            2 => stride_2(input, output, taps, offsets, bias, len),
            _ => scalar(input, output, taps, offsets, bias, 0, len, in_stride),
        }
    }
}

/// Contiguous rows: 32 points per step in four accumulators, then 8, then the scalar tail.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn stride_1(
    input: *const f32,
    output: *mut f32,
    taps: &[f32],
    offsets: &[isize],
    bias: f32,
    len: usize,
) {
    use std::arch::x86_64::*;
    // SAFETY: every load is below `offsets[t] + len` (the loops stop at `len`).
    unsafe {
        let biasv = _mm256_set1_ps(bias);
        let mut i = 0usize;
        while i + 32 <= len {
            let (mut a0, mut a1, mut a2, mut a3) = (biasv, biasv, biasv, biasv);
            for (tap, offset) in taps.iter().zip(offsets) {
                let k = _mm256_set1_ps(*tap);
                let p = input.offset(*offset).add(i);
                a0 = _mm256_add_ps(a0, _mm256_mul_ps(_mm256_loadu_ps(p), k));
                a1 = _mm256_add_ps(a1, _mm256_mul_ps(_mm256_loadu_ps(p.add(8)), k));
                a2 = _mm256_add_ps(a2, _mm256_mul_ps(_mm256_loadu_ps(p.add(16)), k));
                a3 = _mm256_add_ps(a3, _mm256_mul_ps(_mm256_loadu_ps(p.add(24)), k));
            }
            _mm256_storeu_ps(output.add(i), a0);
            _mm256_storeu_ps(output.add(i + 8), a1);
            _mm256_storeu_ps(output.add(i + 16), a2);
            _mm256_storeu_ps(output.add(i + 24), a3);
            i += 32;
        }
        while i + 8 <= len {
            let mut acc = biasv;
            for (tap, offset) in taps.iter().zip(offsets) {
                let x = _mm256_loadu_ps(input.offset(*offset).add(i));
                acc = _mm256_add_ps(acc, _mm256_mul_ps(x, _mm256_set1_ps(*tap)));
            }
            _mm256_storeu_ps(output.add(i), acc);
            i += 8;
        }
        scalar(input, output, taps, offsets, bias, i, len, 1);
    }
}

/// Stride-2 rows: two 8-lane loads give 16 inputs, `shuffle_ps` keeps the even ones — in the
/// lane order [0 1 4 5 | 2 3 6 7] of the 8 points. Every tap uses that same order, so the
/// accumulator is put back in point order once, before the store, not once per tap.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn stride_2(
    input: *const f32,
    output: *mut f32,
    taps: &[f32],
    offsets: &[isize],
    bias: f32,
    len: usize,
) {
    use std::arch::x86_64::*;
    // Even lanes of 16 consecutive floats at `p` (points i..i+8 of a stride-2 row), in the
    // accumulator's lane order.
    #[inline(always)]
    unsafe fn evens(p: *const f32) -> __m256 {
        // SAFETY: the caller keeps `p + 15` readable.
        unsafe { _mm256_shuffle_ps::<0b10_00_10_00>(_mm256_loadu_ps(p), _mm256_loadu_ps(p.add(8))) }
    }
    // Lane order [0 1 4 5 | 2 3 6 7] → [0 1 2 3 | 4 5 6 7]: 64-bit blocks 0 2 1 3.
    #[inline(always)]
    fn in_order(v: __m256) -> __m256 {
        // SAFETY: AVX2 is enabled on every function that calls this.
        unsafe { _mm256_castpd_ps(_mm256_permute4x64_pd::<0b11_01_10_00>(_mm256_castps_pd(v))) }
    }
    // SAFETY: 8 points read floats 2i .. 2i+15 past each tap's offset; the last point's input is
    // at 2(len−1), so a step of 8 points needs i + 9 <= len (16 points: i + 17 <= len).
    unsafe {
        let biasv = _mm256_set1_ps(bias);
        let mut i = 0usize;
        while i + 17 <= len {
            let (mut a0, mut a1) = (biasv, biasv);
            for (tap, offset) in taps.iter().zip(offsets) {
                let k = _mm256_set1_ps(*tap);
                let p = input.offset(*offset).add(2 * i);
                a0 = _mm256_add_ps(a0, _mm256_mul_ps(evens(p), k));
                a1 = _mm256_add_ps(a1, _mm256_mul_ps(evens(p.add(16)), k));
            }
            _mm256_storeu_ps(output.add(i), in_order(a0));
            _mm256_storeu_ps(output.add(i + 8), in_order(a1));
            i += 16;
        }
        while i + 9 <= len {
            let mut acc = biasv;
            for (tap, offset) in taps.iter().zip(offsets) {
                let x = evens(input.offset(*offset).add(2 * i));
                acc = _mm256_add_ps(acc, _mm256_mul_ps(x, _mm256_set1_ps(*tap)));
            }
            _mm256_storeu_ps(output.add(i), in_order(acc));
            i += 8;
        }
        scalar(input, output, taps, offsets, bias, i, len, 2);
    }
}

/// Points `from..len`, one at a time: tract's scalar walk.
#[allow(clippy::too_many_arguments, dead_code)]
unsafe fn scalar(
    input: *const f32,
    output: *mut f32,
    taps: &[f32],
    offsets: &[isize],
    bias: f32,
    from: usize,
    len: usize,
    in_stride: isize,
) {
    // SAFETY: forwarded from the caller's contract.
    unsafe {
        for i in from..len {
            let mut sum = bias;
            for (tap, offset) in taps.iter().zip(offsets) {
                sum += tap * *input.offset(*offset + i as isize * in_stride);
            }
            *output.add(i) = sum;
        }
    }
}

/// The arm64 kernel: NEON is baseline there, so no feature check.
#[cfg(target_arch = "aarch64")]
pub mod arm64 {
    use super::scalar;

    /// Same contract as the x86-64 [`depthwise_w_f32`](super::depthwise_w_f32), on NEON.
    ///
    /// # Safety
    /// As the x86-64 kernel's, without the CPU requirement.
    pub unsafe fn depthwise_w_f32(
        input: *const f32,
        output: *mut f32,
        taps: &[f32],
        offsets: &[isize],
        bias: f32,
        len: usize,
        in_stride: isize,
    ) {
        use std::arch::aarch64::*;
        // SAFETY: each vector step stays below the last point's input: stride 1 reads
        // i .. i+7 (i + 8 <= len); stride 2 reads 2i .. 2i+15 for 8 points (i + 9 <= len) and
        // 2i .. 2i+7 for 4 (i + 5 <= len).
        unsafe {
            let biasv = vdupq_n_f32(bias);
            let mut i = 0usize;
            if in_stride == 1 {
                while i + 8 <= len {
                    let (mut a0, mut a1) = (biasv, biasv);
                    for (tap, offset) in taps.iter().zip(offsets) {
                        let k = vdupq_n_f32(*tap);
                        let p = input.offset(*offset).add(i);
                        a0 = vaddq_f32(a0, vmulq_f32(vld1q_f32(p), k));
                        a1 = vaddq_f32(a1, vmulq_f32(vld1q_f32(p.add(4)), k));
                    }
                    vst1q_f32(output.add(i), a0);
                    vst1q_f32(output.add(i + 4), a1);
                    i += 8;
                }
            } else if in_stride == 2 {
                while i + 9 <= len {
                    let (mut a0, mut a1) = (biasv, biasv);
                    for (tap, offset) in taps.iter().zip(offsets) {
                        let k = vdupq_n_f32(*tap);
                        let p = input.offset(*offset).add(2 * i);
                        a0 = vaddq_f32(a0, vmulq_f32(vld2q_f32(p).0, k));
                        a1 = vaddq_f32(a1, vmulq_f32(vld2q_f32(p.add(8)).0, k));
                    }
                    vst1q_f32(output.add(i), a0);
                    vst1q_f32(output.add(i + 4), a1);
                    i += 8;
                }
                while i + 5 <= len {
                    let mut acc = biasv;
                    for (tap, offset) in taps.iter().zip(offsets) {
                        let x = vld2q_f32(input.offset(*offset).add(2 * i)).0;
                        acc = vaddq_f32(acc, vmulq_f32(x, vdupq_n_f32(*tap)));
                    }
                    vst1q_f32(output.add(i), acc);
                    i += 4;
                }
            }
            scalar(input, output, taps, offsets, bias, i, len, in_stride);
        }
    }
}

#[cfg(all(test, any(target_arch = "x86_64", target_arch = "aarch64")))]
mod tests {
    use super::*;

    /// Whether the CPU can run our kernel (tract would not offer it otherwise).
    #[cfg(target_arch = "x86_64")]
    fn kernel_runs_here() -> bool {
        std::arch::is_x86_feature_detected!("avx2")
    }
    #[cfg(target_arch = "aarch64")]
    fn kernel_runs_here() -> bool {
        true
    }
    #[cfg(target_arch = "aarch64")]
    use arm64::depthwise_w_f32;

    #[test]
    fn tract_runs_this_kernel_for_depthwise_rows() {
        if !kernel_runs_here() {
            return;
        }
        assert_eq!(depthwise_kernel_in_use(), Some(DEPTHWISE_KERNEL));
    }

    #[test]
    fn every_stride_length_and_offset_gives_the_scalar_walks_bits() {
        if !kernel_runs_here() {
            return;
        }
        // Deterministic values with varied magnitudes and signs.
        let mut seed = 0x2545_f491_u32;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 17;
            seed ^= seed << 5;
            (seed as f32 / u32::MAX as f32 - 0.5) * 8.0
        };
        for stride in 1..=3isize {
            for len in [0usize, 1, 7, 8, 9, 15, 16, 17, 31, 32, 33, 48, 95, 96] {
                for taps_n in [1usize, 3, 4, 9, 25] {
                    // Offsets as a 3x3 (or n-tap) window around the centre of a 2-D plane.
                    let width = len as isize * stride + 8;
                    let offsets: Vec<isize> = (0..taps_n as isize)
                        .map(|t| (t / 3 - 1) * width + (t % 3 - 1))
                        .collect();
                    let lo = offsets.iter().copied().min().unwrap_or(0);
                    let hi = offsets.iter().copied().max().unwrap_or(0);
                    let span = (hi - lo) as usize + len.saturating_sub(1) * stride as usize + 1;
                    // The buffer ends exactly at the last point's last input: an over-read
                    // would be caught by Miri or, at a page end, fault.
                    let data: Vec<f32> = (0..span).map(|_| next()).collect();
                    let taps: Vec<f32> = (0..taps_n).map(|_| next()).collect();
                    let bias = next();
                    let base = unsafe { data.as_ptr().offset(-lo) };
                    let mut fast = vec![f32::NAN; len];
                    let mut slow = vec![f32::NAN; len];
                    unsafe {
                        depthwise_w_f32(
                            base,
                            fast.as_mut_ptr(),
                            &taps,
                            &offsets,
                            bias,
                            len,
                            stride,
                        );
                        scalar(
                            base,
                            slow.as_mut_ptr(),
                            &taps,
                            &offsets,
                            bias,
                            0,
                            len,
                            stride,
                        );
                    }
                    let same = fast
                        .iter()
                        .zip(&slow)
                        .all(|(a, b)| a.to_bits() == b.to_bits());
                    assert!(
                        same,
                        "stride {stride}, len {len}, {taps_n} taps:\n{fast:?}\n{slow:?}"
                    );
                    // And the scalar walk is the definition.
                    for (i, v) in slow.iter().enumerate() {
                        let mut sum = bias;
                        for (t, o) in taps.iter().zip(&offsets) {
                            sum += t * data[(o - lo + i as isize * stride) as usize];
                        }
                        assert_eq!(v.to_bits(), sum.to_bits());
                    }
                }
            }
        }
    }
}

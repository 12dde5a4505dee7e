//! A program that uses `models` the way the app and the server do — load the networks, run one —
//! must run our depthwise kernel: the routine table is filled by statics that a linker may drop
//! from a library nothing references, so this checks it from outside the crate, in its own binary.

use tract_onnx::prelude::DatumType;
use tract_onnx::tract_core::internal::tract_linalg::{isa, routines};

#[test]
fn loading_the_models_brings_our_depthwise_kernel_into_tracts_table() {
    let mut models = models::FaceModels::load_bundled().expect("bundled models load");
    // One real run through the depthwise layers (an all-grey frame: no face is fine).
    let rgb = vec![128u8; 64 * 48 * 3];
    let frame = models::Frame::new(&rgb, 64, 48).expect("a valid frame");
    models.analyze(&frame, 0).expect("analysis runs");
    let chosen = routines::best_for(routines::Func::DepthwiseW, DatumType::F32, &isa::native())
        .map(|r| r.name());
    #[cfg(target_arch = "x86_64")]
    let ours = std::arch::is_x86_feature_detected!("avx2");
    #[cfg(target_arch = "aarch64")]
    let ours = true;
    #[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64")))]
    let ours = false;
    if ours {
        assert_eq!(chosen, Some(models::kernels::DEPTHWISE_KERNEL));
    } else {
        assert_ne!(chosen, Some(models::kernels::DEPTHWISE_KERNEL));
    }
}

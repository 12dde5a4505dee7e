//! One ONNX network loaded into tract: optimised and made runnable once, with a reusable state
//! so running it allocates little per frame.

use tract_onnx::prelude::*;

use crate::error::ModelError;

pub(crate) struct Net {
    name: &'static str,
    state: TypedSimpleState,
    shape: [usize; 4],
}

impl std::fmt::Debug for Net {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Net")
            .field("name", &self.name)
            .field("shape", &self.shape)
            .finish()
    }
}

impl Net {
    /// Loads an ONNX model with a fixed NCHW f32 input shape.
    pub fn load(name: &'static str, bytes: &[u8], shape: [usize; 4]) -> Result<Net, ModelError> {
        // Keeps `kernels` — and its registration in tract's routine table — in every program
        // that loads a network (tests/kernel_linked.rs checks it from outside the crate).
        crate::kernels::depthwise_kernel_in_use();
        let invalid = |e: TractError| ModelError::Invalid {
            name,
            detail: format!("{e:#}"),
        };
        let model = tract_onnx::onnx()
            .model_for_read(&mut &bytes[..])
            .map_err(invalid)?
            .with_input_fact(0, f32::fact(shape).into())
            .map_err(invalid)?;
        let model = model
            .into_optimized()
            .map_err(invalid)?
            .into_runnable()
            .map_err(invalid)?;
        let state = TypedSimpleState::new(&model).map_err(invalid)?;
        Ok(Net { name, state, shape })
    }

    pub fn input_len(&self) -> usize {
        self.shape.iter().product()
    }

    /// Runs the network on `input` (NCHW, `input_len()` values) and returns every output
    /// flattened.
    pub fn run(&mut self, input: &[f32]) -> Result<Vec<Vec<f32>>, ModelError> {
        let name = self.name;
        let fail = |e: TractError| ModelError::Inference {
            name,
            detail: format!("{e:#}"),
        };
        let tensor = Tensor::from_shape(&self.shape, input).map_err(fail)?;
        let outputs = self.state.run(tvec!(tensor.into())).map_err(fail)?;
        outputs
            .iter()
            .map(|o| {
                o.to_plain_array_view::<f32>()
                    .map(|a| a.iter().copied().collect())
                    .map_err(fail)
            })
            .collect()
    }
}

//! The MLP engine (issue 3): dense layers, activations, losses, optimizers,
//! the training loop, metrics, ensembles and the versioned model format.
//!
//! Everything is plain Rust on ndarray with explicit forward and backward
//! passes; the hot matrix products run on register-blocked kernels
//! ([`kernels`]) that vectorise to simd128 in the browser. The same seed gives
//! the same weights and the same training result natively and in wasm32.
//!
//! ```
//! use localrec::nn::{Activation, Control, Dataset, Loss, MlpParams, Optimizer, TrainConfig};
//! use ndarray::Array2;
//! let x = Array2::from_shape_fn((200, 3), |(i, j)| ((i * 7 + j * 3) % 11) as f32 / 11.0);
//! let y = Array2::from_shape_fn((200, 1), |(i, _)| f32::from(x[[i, 0]] > x[[i, 1]]));
//! let data = Dataset::new(x.clone(), y).unwrap();
//! let mut mlp = MlpParams::new(3)
//!     .layer(16, Activation::Relu)
//!     .layer(1, Activation::Sigmoid)
//!     .seed(42)
//!     .init()
//!     .unwrap();
//! let cfg = TrainConfig { optimizer: Optimizer::adam(1e-2), epochs: 30, seed: Some(1), ..TrainConfig::default() };
//! let history = mlp.fit(&data, &cfg, &mut |_| Control::Continue).unwrap();
//! assert_eq!(history.epochs.len(), 30);
//! let bytes = mlp.to_bytes();
//! let back = localrec::nn::Mlp::from_bytes(&bytes).unwrap();
//! assert_eq!(back.predict(x.view()).unwrap(), mlp.predict(x.view()).unwrap());
//! ```

pub mod activation;
pub mod bench;
pub mod clock;
pub mod data;
pub mod dense;
pub mod ensemble;
pub mod format;
pub mod kernels;
pub mod loss;
pub mod metrics;
pub mod mlp;
pub mod optim;
pub mod sampled;
pub mod sampling;
pub mod schedule;
pub mod selftest;
pub mod train;

pub use activation::Activation;
pub use data::Dataset;
pub use dense::Dense;
pub use ensemble::Ensemble;
pub use loss::Loss;
pub use metrics::Metric;
pub use mlp::{Mlp, MlpParams, OutputBuffer, Workspace};
pub use optim::{Optimizer, OptimizerState};
pub use sampled::Sampler;
pub use schedule::{ReduceOnPlateau, Schedule};
pub use train::{
    Control, EarlyStopping, EpochLog, History, Monitor, Progress, TrainConfig, Validation,
};

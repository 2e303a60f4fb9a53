//! Property tests of the MLP model format (`Mlp::to_bytes` / `Mlp::from_bytes`):
//! random architectures round-trip bit for bit; truncated, bit-flipped, re-sealed
//! (checksum-valid but corrupt) and hostile blobs are rejected without a panic and
//! without allocating more than the blob could plausibly hold; whatever does decode
//! predicts finite numbers or fails with an error, and resumes training without NaN.
#![cfg(not(target_arch = "wasm32"))]

mod fuzz_support;

use fuzz_support::{measure, mutate, CountingAlloc};
use localrec::codec::{open, seal, Writer};
use localrec::nn::{
    Activation, Control, Dataset, Mlp, MlpParams, Optimizer, TrainConfig, Validation,
};
use localrec::rng::Rng;
use ndarray::Array2;
use proptest::prelude::*;

#[global_allocator]
static ALLOC: CountingAlloc = CountingAlloc;

const KIND: [u8; 4] = *b"MLP1";

fn activation() -> impl Strategy<Value = Activation> {
    prop_oneof![
        Just(Activation::Identity),
        Just(Activation::Relu),
        Just(Activation::Sigmoid),
        Just(Activation::Tanh),
    ]
}

/// A small random network, optionally trained for one epoch so it carries optimizer state.
#[derive(Debug, Clone)]
struct Arch {
    inputs: usize,
    hidden: Vec<(usize, Activation)>,
    output: (usize, Activation),
    seed: u64,
    optimizer: u8,
}

fn arch() -> impl Strategy<Value = Arch> {
    (
        1usize..7,
        proptest::collection::vec((1usize..7, activation()), 0..3),
        (1usize..3, activation()),
        any::<u64>(),
        0u8..3,
    )
        .prop_map(|(inputs, hidden, output, seed, optimizer)| Arch {
            inputs,
            hidden,
            output,
            seed,
            optimizer,
        })
}

fn build(a: &Arch) -> Mlp {
    let mut p = MlpParams::new(a.inputs);
    for &(w, act) in &a.hidden {
        p = p.layer(w, act);
    }
    let mut mlp = p
        .layer(a.output.0, a.output.1)
        .seed(a.seed)
        .init()
        .expect("valid architecture");
    if a.optimizer > 0 {
        let mut rng = Rng::new(a.seed);
        let x = Array2::from_shape_simple_fn((12, a.inputs), || rng.normal());
        let y = Array2::from_shape_simple_fn((12, a.output.0), || rng.next_f32());
        let data = Dataset::new(x, y).expect("dataset");
        let cfg = TrainConfig {
            loss: localrec::nn::Loss::MeanSquaredError,
            optimizer: if a.optimizer == 1 {
                Optimizer::sgd_momentum(1e-2, 0.9)
            } else {
                Optimizer::adam(1e-2)
            },
            epochs: 1,
            batch_size: 4,
            seed: Some(a.seed),
            validation: Validation::None,
            ..TrainConfig::default()
        };
        mlp.fit(&data, &cfg, &mut |_| Control::Continue)
            .expect("fit");
    }
    mlp
}

/// What a decoded model must satisfy: finite predictions or a named error, and a
/// re-serialisation that decodes to the same model.
fn exercise(mlp: &Mlp, rng: &mut Rng) -> Result<(), TestCaseError> {
    let x = Array2::from_shape_simple_fn((3, mlp.input_dim()), || rng.normal() * 3.0);
    match mlp.predict(x.view()) {
        Ok(y) => {
            prop_assert_eq!(y.dim(), (3, mlp.output_dim()));
            prop_assert!(y.iter().all(|v| v.is_finite()), "non-finite prediction");
        }
        Err(e) => prop_assert!(!e.to_string().is_empty()),
    }
    let bytes = mlp.to_bytes();
    let again = Mlp::from_bytes(&bytes).map_err(|e| TestCaseError::fail(e.to_string()))?;
    prop_assert_eq!(again.to_bytes(), bytes);
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1024, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn random_models_round_trip_bit_exactly(a in arch(), seed in any::<u64>()) {
        let mlp = build(&a);
        let bytes = mlp.to_bytes();
        let (back, stats) = measure(|| Mlp::from_bytes(&bytes));
        let back = back.map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(&back, &mlp);
        prop_assert_eq!(back.to_bytes(), bytes.clone());
        // Decoding holds the weights once or twice (Vec then ndarray), plus small bookkeeping.
        prop_assert!(stats.largest <= bytes.len() + 1024, "largest {} for {} bytes", stats.largest, bytes.len());
        prop_assert!(stats.total <= 8 * bytes.len() + 16 * 1024, "total {} for {} bytes", stats.total, bytes.len());
        exercise(&back, &mut Rng::new(seed))?;
    }

    #[test]
    fn truncations_and_bit_flips_are_rejected(a in arch(), cut in any::<usize>(), bit in any::<usize>()) {
        let bytes = build(&a).to_bytes();
        prop_assert!(Mlp::from_bytes(&bytes[..cut % bytes.len()]).is_err());
        let mut flipped = bytes.clone();
        let bit = bit % (bytes.len() * 8);
        flipped[bit / 8] ^= 1 << (bit % 8);
        prop_assert!(Mlp::from_bytes(&flipped).is_err(), "bit {} flipped", bit);
    }

    /// The checksum is recomputed after mutating the payload, so the decoder itself
    /// (not the CRC) must catch every inconsistency.
    #[test]
    fn resealed_corrupt_payloads_never_panic_and_stay_bounded(
        a in arch(),
        seed in any::<u64>(),
        rounds in 1usize..6,
    ) {
        let mlp = build(&a);
        let bytes = mlp.to_bytes();
        let (_, payload) = open(&bytes, KIND, 1).expect("valid");
        let mut payload = payload.to_vec();
        let mut rng = Rng::new(seed);
        for _ in 0..rounds {
            mutate(&mut payload, &mut rng, &bytes);
        }
        let blob = seal(KIND, 1, &payload);
        let (res, stats) = measure(|| Mlp::from_bytes(&blob));
        // Plausible size: what the blob holds, plus per-layer bookkeeping.
        prop_assert!(stats.largest <= blob.len() + 64 * 1024, "largest {} for {} bytes", stats.largest, blob.len());
        if let Ok(decoded) = res {
            exercise(&decoded, &mut rng)?;
            // Resuming training from a decoded optimizer state never yields NaN weights silently.
            let x = Array2::from_shape_simple_fn((8, decoded.input_dim()), || rng.normal());
            let y = Array2::from_shape_simple_fn((8, decoded.output_dim()), || rng.next_f32());
            let data = Dataset::new(x, y).expect("dataset");
            let cfg = TrainConfig {
                loss: localrec::nn::Loss::MeanSquaredError,
                optimizer: Optimizer::adam(1e-2),
                epochs: 1,
                batch_size: 4,
                seed: Some(seed),
                validation: Validation::None,
                ..TrainConfig::default()
            };
            let mut trained = decoded.clone();
            if trained.fit(&data, &cfg, &mut |_| Control::Continue).is_ok() {
                let finite = trained.layers().iter().all(|l| l.weights().iter().chain(l.bias().iter()).all(|v| v.is_finite()));
                prop_assert!(finite, "training a decoded model produced non-finite weights without an error");
            }
        }
    }

    /// "A 100-byte file claiming a billion weights" and friends: fail fast, allocate nothing big.
    #[test]
    fn absurd_claimed_sizes_fail_before_allocating(
        layers in prop_oneof![Just(1u64), Just(2), Just(1024), Just(1_000_000_000), Just(u64::MAX)],
        inputs in prop_oneof![Just(1u64), Just(1000), Just(1 << 20), Just(1 << 32), Just(u64::MAX)],
        outputs in prop_oneof![Just(1u64), Just(1000), Just(1 << 20), Just(1 << 32), Just(u64::MAX)],
        weights in prop_oneof![Just(1u64), Just(1_000_000_000), Just(u64::MAX / 4), Just(u64::MAX)],
        filler in 0usize..48,
    ) {
        let mut w = Writer::new();
        w.put_u64(layers);
        w.put_u64(inputs);
        w.put_u64(outputs);
        w.put_u8(0);
        w.put_u64(weights);
        w.put_f32s(&vec![0.5; filler]);
        let blob = seal(KIND, 1, &w.into_bytes());
        prop_assert!(blob.len() <= 300);
        let honest = layers == 1 && weights == 1 && inputs == 1 && outputs == 1;
        prop_assume!(!honest);
        let (res, stats) = measure(|| Mlp::from_bytes(&blob));
        prop_assert!(res.is_err());
        prop_assert!(stats.largest < 4096, "a {}-byte blob made a {}-byte allocation", blob.len(), stats.largest);
    }
}

#[test]
fn a_hundred_byte_blob_claiming_a_billion_weights_fails_fast() {
    let mut w = Writer::new();
    w.put_u64(1);
    w.put_u64(1000);
    w.put_u64(1_000_000);
    w.put_u8(1);
    w.put_u64(1_000_000_000);
    while w.clone().into_bytes().len() < 78 {
        w.put_u8(0);
    }
    let blob = seal(KIND, 1, &w.into_bytes());
    assert_eq!(blob.len(), 100);
    let (res, stats) = measure(|| Mlp::from_bytes(&blob));
    let e = res.unwrap_err().to_string();
    assert!(e.contains("layers[0]"), "{e}");
    assert!(stats.largest < 1024, "allocated {} bytes", stats.largest);
    assert!(stats.total < 4096, "allocated {} bytes in all", stats.total);
}

//! `Mlp::fit_bce` (the training loop the browser's fine-tuning calls) takes
//! the same steps to bit-identical weights as `Mlp::fit_plain` in wasm32 too,
//! checked in headless Firefox (`make test-browser`).
#![cfg(target_arch = "wasm32")]

use localrec::nn::{
    Activation, Control, Dataset, Mlp, MlpParams, Optimizer, TrainConfig, Validation,
};
use localrec::rng::Rng;
use ndarray::{Array1, Array2};
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

fn ranker(seed: u64) -> Mlp {
    MlpParams::new(6)
        .layer(10, Activation::Relu)
        .layer(5, Activation::Relu)
        .layer(1, Activation::Sigmoid)
        .seed(seed)
        .init()
        .unwrap()
}

#[wasm_bindgen_test]
fn fit_bce_takes_the_steps_of_fit_plain_in_wasm() {
    let mut rng = Rng::new(3);
    let x = Array2::from_shape_simple_fn((80, 6), || rng.normal());
    let y = Array2::from_shape_simple_fn((80, 1), || f32::from(rng.next_f32() < 0.3));
    let offsets = Array1::from_shape_simple_fn(80, || rng.normal());
    let data = Dataset::new(x, y).unwrap().with_offsets(offsets).unwrap();
    let head = TrainConfig {
        optimizer: Optimizer::sgd_momentum(0.05, 0.9),
        batch_size: 16,
        epochs: 2,
        shuffle: false,
        seed: Some(5),
        validation: Validation::None,
        pull_to_start: 0.01,
        pull_anchor: Some(ranker(2)),
        ..TrainConfig::default()
    };
    let base = TrainConfig {
        optimizer: Optimizer::adam(1e-2),
        batch_size: 8,
        epochs: 3,
        seed: Some(6),
        validation: Validation::None,
        pull_to_start: 0.05,
        ..TrainConfig::default()
    };
    for cfg in [head, base] {
        let (mut plain, mut bce) = (ranker(1), ranker(1));
        let hp = plain
            .fit_plain(&data, &cfg, &mut |_| Control::Continue)
            .unwrap();
        let hb = bce
            .fit_bce(&data, &cfg, &mut |_| Control::Continue)
            .unwrap();
        assert_eq!(hp, hb);
        assert!(hb.steps > 0);
        assert_eq!(plain.to_bytes(), bce.to_bytes(), "bit-identical weights");
        assert_ne!(
            ranker(1).to_bytes(),
            bce.to_bytes(),
            "training moved the weights"
        );
    }
}

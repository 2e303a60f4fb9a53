#![cfg(not(target_arch = "wasm32"))]
//! `Mlp::fit_bce` (the training loop compiled for binary cross-entropy on ReLU
//! hidden layers, which the browser's fine-tuning calls) against
//! `Mlp::fit_plain` (every configuration read at run time): the same steps,
//! losses and bit-identical weights, and a named error for every feature it
//! leaves out.

use localrec::nn::{
    Activation, Control, Dataset, Loss, Mlp, MlpParams, Optimizer, Schedule, TrainConfig,
    Validation,
};
use localrec::rng::Rng;
use ndarray::{Array1, Array2};

fn data(seed: u64, n: usize, d: usize, weights: bool, offsets: bool) -> Dataset {
    let mut rng = Rng::new(seed);
    let x = Array2::from_shape_simple_fn((n, d), || rng.normal());
    let y = Array2::from_shape_simple_fn((n, 1), || f32::from(rng.next_f32() < 0.3));
    let mut data = Dataset::new(x, y).unwrap();
    if weights {
        let w = Array1::from_shape_simple_fn(n, || 0.5 + rng.next_f32());
        data = data.with_weights(w).unwrap();
    }
    if offsets {
        let o = Array1::from_shape_simple_fn(n, || rng.normal());
        data = data.with_offsets(o).unwrap();
    }
    data
}

fn ranker(d: usize, hidden: &[usize], seed: u64) -> Mlp {
    let mut p = MlpParams::new(d);
    for &h in hidden {
        p = p.layer(h, Activation::Relu);
    }
    p.layer(1, Activation::Sigmoid).seed(seed).init().unwrap()
}

/// Trains copies of `start` with both loops (stopping after `stop_after`
/// observer calls) and requires the same result, bit for bit.
fn same_run(start: &Mlp, data: &Dataset, cfg: &TrainConfig, stop_after: usize) -> Mlp {
    let (mut plain, mut bce) = (start.clone(), start.clone());
    let mut calls = [0usize; 2];
    let mut observer = |i: usize| {
        calls[i] += 1;
        if calls[i] >= stop_after {
            Control::Stop
        } else {
            Control::Continue
        }
    };
    let hp = plain.fit_plain(data, cfg, &mut |_| observer(0));
    let hb = bce.fit_bce(data, cfg, &mut |_| observer(1));
    match (hp, hb) {
        (Ok(hp), Ok(hb)) => {
            assert_eq!(hp, hb, "same history (steps, losses, flags)");
            assert!(hb.steps > 0);
            assert!(hb.cancelled || hb.last_loss().is_some_and(f32::is_finite));
            assert_ne!(
                start.to_bytes(),
                bce.to_bytes(),
                "training moved the weights"
            );
        }
        (Err(ep), Err(eb)) => {
            assert_eq!(ep, eb);
            assert_eq!(start.to_bytes(), bce.to_bytes(), "rolled back");
        }
        (hp, hb) => panic!("fit_plain {hp:?} but fit_bce {hb:?}"),
    }
    assert_eq!(calls[0], calls[1], "same observer calls");
    assert_eq!(
        plain.to_bytes(),
        bce.to_bytes(),
        "bit-identical weights and state"
    );
    bce
}

#[test]
fn fit_bce_takes_the_steps_of_fit_plain() {
    // The recommender's head: SGD with momentum, logit offsets, the pull
    // toward an anchor that is not the starting point, one epoch per call.
    let start = ranker(7, &[12, 6], 3);
    let anchor = ranker(7, &[12, 6], 4);
    let head = TrainConfig {
        loss: Loss::BinaryCrossEntropy,
        optimizer: Optimizer::sgd_momentum(0.05, 0.9),
        batch_size: 16,
        epochs: 1,
        shuffle: false,
        seed: Some(5),
        validation: Validation::None,
        pull_to_start: 0.01,
        pull_anchor: Some(anchor),
        ..TrainConfig::default()
    };
    let offsets = data(1, 90, 7, false, true);
    let once = same_run(&start, &offsets, &head, usize::MAX);
    // A second call continues from the first's weights and momentum.
    same_run(&once, &offsets, &head, usize::MAX);

    // The base model's re-ranker: Adam, shuffled, several epochs, the pull
    // toward the weights the call starts from; example weights as well.
    let base = TrainConfig {
        optimizer: Optimizer::adam(1e-2),
        batch_size: 8,
        epochs: 3,
        seed: Some(6),
        validation: Validation::None,
        pull_to_start: 0.05,
        ..TrainConfig::default()
    };
    same_run(&start, &data(2, 70, 7, true, false), &base, usize::MAX);
    // Stopped by the observer after 5 batches, a frozen first layer, plain
    // SGD and Nesterov momentum, a network without hidden layers.
    same_run(&start, &data(3, 70, 7, false, false), &base, 5);
    let frozen = TrainConfig {
        frozen_layers: vec![0],
        ..base.clone()
    };
    same_run(&start, &data(4, 70, 7, true, true), &frozen, usize::MAX);
    for optimizer in [
        Optimizer::sgd(0.1),
        Optimizer::Sgd {
            lr: 0.05,
            momentum: 0.8,
            nesterov: true,
        },
    ] {
        let cfg = TrainConfig {
            optimizer,
            ..base.clone()
        };
        same_run(&start, &data(5, 50, 7, false, true), &cfg, usize::MAX);
    }
    same_run(
        &ranker(7, &[], 8),
        &data(6, 50, 7, true, false),
        &base,
        usize::MAX,
    );
}

#[test]
fn fit_bce_fails_and_rolls_back_as_fit_plain_does() {
    // Inputs that blow the loss up: both loops give the same error and leave
    // the model as it was.
    let start = ranker(4, &[5], 2);
    let mut d = data(7, 40, 4, false, false);
    let x = d.x().mapv(|v| v * 1e30);
    d = Dataset::new(x, d.y().to_owned()).unwrap();
    let cfg = TrainConfig {
        optimizer: Optimizer::sgd_momentum(10.0, 0.9),
        validation: Validation::None,
        seed: Some(1),
        ..TrainConfig::default()
    };
    same_run(&start, &d, &cfg, usize::MAX);
    let mut bce = start.clone();
    assert!(bce.fit_bce(&d, &cfg, &mut |_| Control::Continue).is_err());
}

#[test]
fn fit_bce_names_each_feature_it_leaves_out() {
    let d = data(8, 30, 3, false, false);
    let plain = TrainConfig {
        validation: Validation::None,
        epochs: 1,
        ..TrainConfig::default()
    };
    let mut mlp = ranker(3, &[4], 1);
    let before = mlp.to_bytes();
    let cases: Vec<(&str, TrainConfig)> = vec![
        ("validation", TrainConfig::default()),
        (
            "dropout",
            TrainConfig {
                dropout: 0.1,
                ..plain.clone()
            },
        ),
        (
            "clip_norm",
            TrainConfig {
                clip_norm: Some(1.0),
                ..plain.clone()
            },
        ),
        (
            "class_weights",
            TrainConfig {
                class_weights: Some(vec![1.0, 2.0]),
                ..plain.clone()
            },
        ),
        (
            "l1",
            TrainConfig {
                l1: 1e-3,
                ..plain.clone()
            },
        ),
        (
            "l2",
            TrainConfig {
                l2: 1e-3,
                ..plain.clone()
            },
        ),
        (
            "schedule",
            TrainConfig {
                schedule: Schedule::Exponential { factor: 0.9 },
                ..plain.clone()
            },
        ),
        (
            "warmup_steps",
            TrainConfig {
                warmup_steps: 3,
                ..plain.clone()
            },
        ),
        (
            "MeanSquaredError",
            TrainConfig {
                loss: Loss::MeanSquaredError,
                ..plain.clone()
            },
        ),
    ];
    for (field, cfg) in cases {
        let err = mlp
            .fit_bce(&d, &cfg, &mut |_| Control::Continue)
            .unwrap_err()
            .to_string();
        assert!(err.contains(field), "{field}: {err}");
        assert!(
            err.contains("fit_bce") || err.contains("fit_plain"),
            "{err}"
        );
        // fit_plain trains every one of these except the validation split.
        if field != "validation" {
            let mut other = mlp.clone();
            assert!(
                other
                    .fit_plain(&d, &cfg, &mut |_| Control::Continue)
                    .is_ok(),
                "{field}"
            );
        }
    }
    let mut tanh = MlpParams::new(3)
        .layer(4, Activation::Relu)
        .layer(4, Activation::Tanh)
        .layer(1, Activation::Sigmoid)
        .seed(1)
        .init()
        .unwrap();
    let err = tanh
        .fit_bce(&d, &plain, &mut |_| Control::Continue)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("layer 1 activation") && err.contains("tanh"),
        "{err}"
    );
    // What fit_plain checks is checked the same way (here: the output layer).
    let mut linear = MlpParams::new(3)
        .layer(1, Activation::Identity)
        .init()
        .unwrap();
    let e_bce = linear.fit_bce(&d, &plain, &mut |_| Control::Continue);
    let e_plain = linear.fit_plain(&d, &plain, &mut |_| Control::Continue);
    assert_eq!(e_bce.unwrap_err(), e_plain.unwrap_err());
    assert_eq!(before, mlp.to_bytes(), "a rejected call changes nothing");
}

//! Behaviour of the MLP engine's training loop (issue 3): it learns, it stops,
//! it fine-tunes, it fails loudly.
#![cfg(not(target_arch = "wasm32"))] // native test: files, serde_json, threads

use localrec::nn::bench::{planted_signal, reference_params};
use localrec::nn::sampling::random_oversample;
use localrec::nn::train::objective_and_gradient;
use localrec::nn::*;
use localrec::rng::Rng;
use localrec::Error;
use ndarray::{array, Array1, Array2};
use std::sync::atomic::{AtomicU64, Ordering};

fn go(_: &Progress<'_>) -> Control {
    Control::Continue
}

fn planted(rows: usize, seed: u64) -> Dataset {
    let (x, y) = planted_signal(rows, 64, seed).unwrap();
    Dataset::new(x, y).unwrap()
}

fn full_loss(mlp: &Mlp, data: &Dataset, loss: Loss) -> f64 {
    let cfg = TrainConfig {
        loss,
        validation: Validation::None,
        ..TrainConfig::default()
    };
    objective_and_gradient(mlp, data, &cfg, None).unwrap().0
}

fn distance(a: &Mlp, b: &Mlp) -> f32 {
    a.layers()
        .iter()
        .zip(b.layers())
        .map(|(la, lb)| {
            let dw: f32 = (la.weights() - lb.weights()).iter().map(|v| v * v).sum();
            let db: f32 = (la.bias() - lb.bias()).iter().map(|v| v * v).sum();
            dw + db
        })
        .sum::<f32>()
        .sqrt()
}

#[test]
fn learns_xor() {
    let x = array![[0.0f32, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]];
    let y = array![[0.0f32], [1.0], [1.0], [0.0]];
    let data = Dataset::new(x.clone(), y.clone()).unwrap();
    let mut mlp = MlpParams::new(2)
        .layer(8, Activation::Tanh)
        .layer(1, Activation::Sigmoid)
        .seed(3)
        .init()
        .unwrap();
    let cfg = TrainConfig {
        optimizer: Optimizer::adam(0.05),
        batch_size: 4,
        epochs: 400,
        validation: Validation::None,
        seed: Some(1),
        ..TrainConfig::default()
    };
    mlp.fit(&data, &cfg, &mut go).unwrap();
    let p = mlp.predict(x.view()).unwrap();
    for (pi, yi) in p.iter().zip(y.iter()) {
        assert!((pi - yi).abs() < 0.2, "{p:?}");
    }
}

#[test]
fn learns_a_planted_signal_to_high_accuracy() {
    let train = planted(3000, 1);
    let test = planted(1000, 2);
    let mut mlp = reference_params(5).init().unwrap();
    let cfg = TrainConfig {
        optimizer: Optimizer::adam(3e-3),
        batch_size: 64,
        epochs: 8,
        seed: Some(2),
        metrics: vec![Metric::Accuracy, Metric::RocAuc],
        ..TrainConfig::default()
    };
    let history = mlp.fit(&train, &cfg, &mut go).unwrap();
    assert_eq!(history.train_rows + history.val_rows, 3000);
    assert_eq!(history.val_rows, 600, "default 20 % validation split");
    let last = history.epochs.last().unwrap();
    assert!(last.val_loss.is_some());
    assert_eq!(
        last.metrics.iter().map(|(m, _)| *m).collect::<Vec<_>>(),
        vec![Metric::Accuracy, Metric::RocAuc]
    );
    let p = mlp.predict(test.x().view()).unwrap();
    let acc = metrics::accuracy(p.as_slice().unwrap(), test.y().as_slice().unwrap(), 0.5).unwrap();
    assert!(acc > 0.9, "held-out accuracy {acc}");
}

#[test]
fn adam_and_sgd_both_reduce_the_loss() {
    let data = planted(1000, 3);
    for optimizer in [
        Optimizer::adam(1e-3),
        Optimizer::sgd(0.05),
        Optimizer::sgd_momentum(0.01, 0.9),
    ] {
        let mut mlp = reference_params(1).init().unwrap();
        let before = full_loss(&mlp, &data, Loss::BinaryCrossEntropy);
        let cfg = TrainConfig {
            optimizer,
            epochs: 3,
            seed: Some(4),
            validation: Validation::None,
            ..TrainConfig::default()
        };
        let history = mlp.fit(&data, &cfg, &mut go).unwrap();
        let after = full_loss(&mlp, &data, Loss::BinaryCrossEntropy);
        assert!(after < 0.8 * before, "{optimizer:?}: {before} -> {after}");
        assert!(
            history.epochs[2].loss < history.epochs[0].loss,
            "{optimizer:?}"
        );
        assert_eq!(history.steps, 3 * 1000u64.div_ceil(32));
    }
}

#[test]
fn early_stopping_restores_the_best_epochs_weights() {
    // Noise labels: a wide network memorises the training rows and the
    // validation loss climbs after the first epochs.
    let mut rng = Rng::new(8);
    let noise = |rng: &mut Rng, n: usize| {
        let x = Array2::from_shape_simple_fn((n, 8), || rng.normal());
        let y = Array2::from_shape_simple_fn((n, 1), || f32::from(rng.next_f32() < 0.5));
        Dataset::new(x, y).unwrap()
    };
    let train = noise(&mut rng, 64);
    let val = noise(&mut rng, 200);
    let mut mlp = MlpParams::new(8)
        .layer(128, Activation::Relu)
        .layer(1, Activation::Sigmoid)
        .seed(2)
        .init()
        .unwrap();
    let cfg = TrainConfig {
        optimizer: Optimizer::adam(0.02),
        batch_size: 8,
        epochs: 60,
        seed: Some(5),
        validation: Validation::Data(val.clone()),
        early_stopping: Some(EarlyStopping {
            patience: 3,
            ..EarlyStopping::default()
        }),
        ..TrainConfig::default()
    };
    let history = mlp.fit(&train, &cfg, &mut go).unwrap();
    assert!(
        history.stopped_early && history.restored_best,
        "{history:?}"
    );
    let best = history.best_epoch.unwrap();
    assert_eq!(
        history.epochs.len(),
        best + 4,
        "patience 3 after the best epoch"
    );
    let val_losses: Vec<f32> = history.epochs.iter().map(|e| e.val_loss.unwrap()).collect();
    let min = val_losses.iter().copied().fold(f32::INFINITY, f32::min);
    assert_eq!(val_losses[best], min);
    // The model now scores the validation set exactly as at the best epoch.
    let now = full_loss(&mlp, &val, Loss::BinaryCrossEntropy) as f32;
    assert!((now - min).abs() < 1e-5, "{now} vs best {min}");
    assert!(now < *val_losses.last().unwrap());
}

#[test]
fn cancellation_stops_between_batches_and_keeps_the_partial_history() {
    let data = planted(640, 6);
    let mut mlp = reference_params(1).init().unwrap();
    let start = mlp.clone();
    let mut batches = 0;
    let mut observer = |p: &Progress<'_>| {
        if p.epoch_log.is_none() {
            batches += 1;
        }
        if batches == 3 {
            Control::Stop
        } else {
            Control::Continue
        }
    };
    let cfg = TrainConfig {
        epochs: 5,
        seed: Some(1),
        validation: Validation::None,
        ..TrainConfig::default()
    };
    let history = mlp.fit(&data, &cfg, &mut observer).unwrap();
    assert!(history.cancelled);
    assert_eq!(history.steps, 3);
    assert_eq!(history.samples, 96);
    assert!(history.epochs.is_empty());
    assert!(distance(&mlp, &start) > 0.0, "the three updates were kept");
}

#[test]
fn fine_tuning_with_a_strong_pull_stays_close_to_the_base() {
    let base_data = planted(800, 7);
    let mut base = reference_params(2).init().unwrap();
    let cfg = TrainConfig {
        epochs: 3,
        seed: Some(1),
        validation: Validation::None,
        ..TrainConfig::default()
    };
    base.fit(&base_data, &cfg, &mut go).unwrap();
    // A few local examples that contradict the base model.
    let local = base_data.select(&(0..20).collect::<Vec<_>>()).unwrap();
    let flipped = Dataset::new(local.x().clone(), local.y().mapv(|v| 1.0 - v)).unwrap();
    let tune = |pull: f32, frozen: Vec<usize>| {
        let mut m = base.clone();
        let cfg = TrainConfig {
            optimizer: Optimizer::adam(1e-2),
            batch_size: 8,
            epochs: 20,
            seed: Some(3),
            validation: Validation::None,
            pull_to_start: pull,
            frozen_layers: frozen,
            ..TrainConfig::default()
        };
        m.fit(&flipped, &cfg, &mut go).unwrap();
        m
    };
    let free = tune(0.0, vec![]);
    let pulled = tune(100.0, vec![]);
    let (d_free, d_pulled) = (distance(&free, &base), distance(&pulled, &base));
    assert!(d_pulled < 0.2 * d_free, "pull {d_pulled} vs free {d_free}");
    // Frozen layers do not move at all; the others do.
    let frozen = tune(0.0, vec![0, 1]);
    assert_eq!(frozen.layers()[0], base.layers()[0]);
    assert_eq!(frozen.layers()[1], base.layers()[1]);
    assert_ne!(frozen.layers()[2], base.layers()[2]);
}

#[test]
fn a_diverging_loss_is_an_error_and_leaves_the_model_untouched() {
    let x = Array2::from_elem((16, 2), 1e30f32);
    let y = Array2::from_elem((16, 1), 1.0f32);
    let data = Dataset::new(x, y).unwrap();
    let mut mlp = MlpParams::new(2)
        .layer(4, Activation::Relu)
        .layer(1, Activation::Identity)
        .seed(1)
        .init()
        .unwrap();
    let before = mlp.to_bytes();
    let cfg = TrainConfig {
        loss: Loss::MeanSquaredError,
        optimizer: Optimizer::sgd(1.0),
        validation: Validation::None,
        seed: Some(1),
        ..TrainConfig::default()
    };
    match mlp.fit(&data, &cfg, &mut go) {
        Err(Error::Training(msg)) => assert!(msg.contains("loss became"), "{msg}"),
        other => panic!("expected a training error, got {other:?}"),
    }
    assert_eq!(mlp.to_bytes(), before);
}

#[test]
fn bad_hyper_parameters_and_shapes_are_named() {
    let data = planted(50, 1);
    let mut mlp = reference_params(1).init().unwrap();
    let cases: Vec<(TrainConfig, &str)> = vec![
        (
            TrainConfig {
                optimizer: Optimizer::adam(-1.0),
                ..TrainConfig::default()
            },
            "lr",
        ),
        (
            TrainConfig {
                batch_size: 0,
                ..TrainConfig::default()
            },
            "batch_size",
        ),
        (
            TrainConfig {
                dropout: 1.0,
                ..TrainConfig::default()
            },
            "dropout",
        ),
        (
            TrainConfig {
                l2: -0.1,
                ..TrainConfig::default()
            },
            "l2",
        ),
        (
            TrainConfig {
                frozen_layers: vec![7],
                ..TrainConfig::default()
            },
            "frozen_layers",
        ),
        (
            TrainConfig {
                class_weights: Some(vec![1.0]),
                ..TrainConfig::default()
            },
            "class_weights",
        ),
        (
            TrainConfig {
                loss: Loss::SoftmaxCrossEntropy,
                ..TrainConfig::default()
            },
            "softmax",
        ),
        (
            TrainConfig {
                validation: Validation::Split(1.5),
                ..TrainConfig::default()
            },
            "validation",
        ),
        (
            TrainConfig {
                clip_norm: Some(0.0),
                ..TrainConfig::default()
            },
            "clip_norm",
        ),
        (
            TrainConfig {
                schedule: Schedule::Step {
                    every: 0,
                    factor: 0.5,
                },
                ..TrainConfig::default()
            },
            "every",
        ),
    ];
    for (cfg, needle) in cases {
        let e = mlp.fit(&data, &cfg, &mut go).unwrap_err().to_string();
        assert!(e.contains(needle), "{needle}: {e}");
    }
    let out_of_range =
        Dataset::new(Array2::zeros((4, 64)), Array2::from_elem((4, 1), 2.0)).unwrap();
    let e = mlp
        .fit(&out_of_range, &TrainConfig::default(), &mut go)
        .unwrap_err()
        .to_string();
    assert!(e.contains("y[0][0]") && e.contains("[0, 1]"), "{e}");
    let narrow = Dataset::new(Array2::zeros((4, 3)), Array2::zeros((4, 1))).unwrap();
    let e = mlp
        .fit(&narrow, &TrainConfig::default(), &mut go)
        .unwrap_err()
        .to_string();
    assert!(e.contains("x columns"), "{e}");
}

#[test]
fn same_seed_same_training_and_dropout_is_seeded() {
    let data = planted(500, 9);
    let cfg = TrainConfig {
        epochs: 2,
        dropout: 0.3,
        seed: Some(12),
        ..TrainConfig::default()
    };
    let run = || {
        let mut m = reference_params(4).init().unwrap();
        let h = m.fit(&data, &cfg, &mut go).unwrap();
        (m, h)
    };
    let (a, ha) = run();
    let (b, hb) = run();
    assert_eq!(a.to_bytes(), b.to_bytes());
    assert_eq!(ha, hb);
    assert!(ha.epochs[1].loss < ha.epochs[0].loss);
    let other = TrainConfig {
        seed: Some(13),
        ..cfg.clone()
    };
    let mut c = reference_params(4).init().unwrap();
    c.fit(&data, &other, &mut go).unwrap();
    assert_ne!(a.to_bytes(), c.to_bytes());
}

#[test]
fn schedules_warmup_and_plateau_set_the_logged_rate() {
    let data = planted(256, 10);
    let mut mlp = reference_params(1).init().unwrap();
    let cfg = TrainConfig {
        optimizer: Optimizer::adam(0.01),
        epochs: 4,
        seed: Some(1),
        validation: Validation::None,
        schedule: Schedule::Step {
            every: 1,
            factor: 0.5,
        },
        ..TrainConfig::default()
    };
    let h = mlp.fit(&data, &cfg, &mut go).unwrap();
    let lrs: Vec<f32> = h.epochs.iter().map(|e| e.lr).collect();
    assert_eq!(lrs, vec![0.01, 0.005, 0.0025, 0.00125]);

    let cfg = TrainConfig {
        warmup_steps: 16,
        epochs: 1,
        schedule: Schedule::Constant,
        ..cfg
    };
    let h = mlp.fit(&data, &cfg, &mut go).unwrap();
    assert!(
        (h.epochs[0].lr - 0.01 * 8.0 / 16.0).abs() < 1e-7,
        "8 updates into a 16-update warm-up"
    );

    // A rate so small nothing improves: the plateau rule halves it after `patience` epochs.
    let cfg = TrainConfig {
        optimizer: Optimizer::sgd(1e-9),
        epochs: 6,
        warmup_steps: 0,
        reduce_on_plateau: Some(ReduceOnPlateau {
            factor: 0.5,
            patience: 1,
            min_delta: 1e-3,
            min_lr: 0.0,
        }),
        ..cfg
    };
    let h = mlp.fit(&data, &cfg, &mut go).unwrap();
    let lrs: Vec<f32> = h.epochs.iter().map(|e| e.lr / 1e-9).collect();
    assert!(lrs.last().unwrap() < &0.3, "{lrs:?}");
}

#[test]
fn gradient_clipping_bounds_every_step() {
    let data = planted(64, 11);
    let mut mlp = reference_params(1).init().unwrap();
    let start = mlp.clone();
    let cfg = TrainConfig {
        optimizer: Optimizer::sgd(1.0),
        clip_norm: Some(1e-3),
        epochs: 1,
        batch_size: 16,
        seed: Some(1),
        validation: Validation::None,
        ..TrainConfig::default()
    };
    let h = mlp.fit(&data, &cfg, &mut go).unwrap();
    assert_eq!(h.steps, 4);
    let moved = distance(&mlp, &start);
    assert!(moved > 0.0 && moved <= 4.0 * 1e-3 * 1.0001, "{moved}");
}

static FAKE_MS: AtomicU64 = AtomicU64::new(0);
fn fake_clock() -> f64 {
    FAKE_MS.fetch_add(10, Ordering::SeqCst) as f64
}

#[test]
fn the_time_budget_stops_training_without_an_error() {
    let data = planted(640, 12);
    let mut mlp = reference_params(1).init().unwrap();
    let cfg = TrainConfig {
        epochs: 100,
        seed: Some(1),
        validation: Validation::None,
        max_ms: Some(50.0),
        clock: Some(fake_clock),
        ..TrainConfig::default()
    };
    let h = mlp.fit(&data, &cfg, &mut go).unwrap();
    assert!(h.out_of_time && !h.cancelled);
    assert_eq!(
        h.steps, 5,
        "each batch reads the fake clock once, 10 ms apart"
    );
}

#[test]
fn class_weights_and_oversampling_shift_predictions_toward_the_rare_class() {
    let mut rng = Rng::new(13);
    let x = Array2::from_shape_simple_fn((400, 4), || rng.normal());
    // 10 % positives, barely predictable.
    let y = Array2::from_shape_fn((400, 1), |(i, _)| f32::from(i % 10 == 0));
    let data = Dataset::new(x.clone(), y).unwrap();
    let mean_prediction = |d: &Dataset, class_weights: Option<Vec<f32>>| {
        let mut m = MlpParams::new(4)
            .layer(8, Activation::Relu)
            .layer(1, Activation::Sigmoid)
            .seed(1)
            .init()
            .unwrap();
        let cfg = TrainConfig {
            optimizer: Optimizer::adam(1e-2),
            epochs: 15,
            seed: Some(2),
            validation: Validation::None,
            class_weights,
            ..TrainConfig::default()
        };
        m.fit(d, &cfg, &mut go).unwrap();
        m.predict(x.view()).unwrap().mean().unwrap()
    };
    let plain = mean_prediction(&data, None);
    let weighted = mean_prediction(&data, Some(vec![1.0, 9.0]));
    let oversampled = mean_prediction(&random_oversample(&data, 1).unwrap(), None);
    assert!(plain < 0.2, "{plain}");
    assert!(
        weighted > 0.35 && oversampled > 0.35,
        "{weighted} {oversampled}"
    );
    // Per-example weights act like class weights.
    let w = Array1::from_iter(
        data.class_labels()
            .iter()
            .map(|&c| if c == 1 { 9.0f32 } else { 1.0 }),
    );
    let by_example = mean_prediction(&data.clone().with_weights(w).unwrap(), None);
    assert!(
        (by_example - weighted).abs() < 1e-6,
        "{by_example} vs {weighted}"
    );
}

#[test]
fn softmax_classification_learns_three_blobs() {
    let mut rng = Rng::new(14);
    let centers = [[2.0f32, 0.0], [-2.0, 0.0], [0.0, 2.5]];
    let n = 300;
    let mut x = Array2::zeros((n, 2));
    let mut y = Array2::zeros((n, 3));
    for i in 0..n {
        let c = i % 3;
        x[[i, 0]] = centers[c][0] + 0.5 * rng.normal();
        x[[i, 1]] = centers[c][1] + 0.5 * rng.normal();
        y[[i, c]] = 1.0;
    }
    let data = Dataset::new(x, y).unwrap();
    let mut mlp = MlpParams::new(2)
        .layer(16, Activation::Relu)
        .layer(3, Activation::Softmax)
        .seed(1)
        .init()
        .unwrap();
    let cfg = TrainConfig {
        loss: Loss::SoftmaxCrossEntropy,
        optimizer: Optimizer::adam(1e-2),
        epochs: 20,
        seed: Some(3),
        metrics: vec![Metric::Accuracy, Metric::LogLoss],
        ..TrainConfig::default()
    };
    let h = mlp.fit(&data, &cfg, &mut go).unwrap();
    let last = h.epochs.last().unwrap();
    assert!(last.metrics[0].1 > 0.95, "{last:?}");
    assert!(last.metrics[1].1 < 0.3, "{last:?}");
    let p = mlp.predict(data.x().view()).unwrap();
    for row in p.rows() {
        assert!((row.sum() - 1.0).abs() < 1e-5);
    }
}

#[test]
fn early_stopping_on_a_metric_and_metrics_without_validation() {
    let data = planted(500, 15);
    let mut mlp = reference_params(1).init().unwrap();
    let cfg = TrainConfig {
        epochs: 3,
        seed: Some(1),
        validation: Validation::None,
        metrics: vec![Metric::F1],
        early_stopping: Some(EarlyStopping {
            monitor: Monitor::Metric(Metric::RocAuc),
            patience: 5,
            ..EarlyStopping::default()
        }),
        ..TrainConfig::default()
    };
    let h = mlp.fit(&data, &cfg, &mut go).unwrap();
    for e in &h.epochs {
        assert!(e.val_loss.is_none());
        assert_eq!(
            e.metrics.iter().map(|(m, _)| *m).collect::<Vec<_>>(),
            vec![Metric::F1, Metric::RocAuc]
        );
    }
    let best = h.best_epoch.unwrap();
    let aucs: Vec<f32> = h.epochs.iter().map(|e| e.metrics[1].1).collect();
    assert_eq!(aucs[best], aucs.iter().copied().fold(f32::MIN, f32::max));
}

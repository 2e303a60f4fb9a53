#![cfg(not(target_arch = "wasm32"))]
//! Sampled softmax cross-entropy (issue 3): gradients, configuration errors,
//! and training a 2,000-class task against full softmax.

use localrec::nn::train::{objective_and_gradient, sampled_objective_and_gradient};
use localrec::nn::{
    Activation, Control, Dataset, EarlyStopping, Loss, Metric, Mlp, MlpParams, Monitor, Optimizer,
    Sampler, TrainConfig, Validation,
};
use localrec::rng::Rng;
use ndarray::{Array1, Array2};

fn sampled(negatives: usize, sampler: Sampler) -> Loss {
    Loss::SampledSoftmax { negatives, sampler }
}

/// Perturbs one parameter (`tensor` 0 = weights, 1 = bias) of layer `l`.
fn perturbed(mlp: &Mlp, l: usize, tensor: usize, i: usize, delta: f32) -> Mlp {
    let mut m = mlp.clone();
    let layer = &mlp.layers()[l];
    let (mut w, mut b) = (layer.weights().clone(), layer.bias().clone());
    if tensor == 0 {
        w.as_slice_mut().unwrap()[i] += delta;
    } else {
        b[i] += delta;
    }
    m.set_layer_params(l, w, b).unwrap();
    m
}

/// Central differences of `objective` on every parameter against `grads`.
fn check_gradients(mlp: &Mlp, grads: &[Vec<f32>], objective: &dyn Fn(&Mlp) -> f64) {
    let eps = 1e-2f32;
    for l in 0..mlp.layers().len() {
        for tensor in 0..2 {
            for (i, &analytic) in grads[2 * l + tensor].iter().enumerate() {
                // A ReLU kink can fall inside ±eps for one example; a smaller step avoids it.
                let err = [eps, eps / 4.0]
                    .iter()
                    .map(|&e| {
                        let numeric = (objective(&perturbed(mlp, l, tensor, i, e))
                            - objective(&perturbed(mlp, l, tensor, i, -e)))
                            / (2.0 * e as f64);
                        (numeric - analytic as f64).abs()
                            / (1e-2 + numeric.abs().max(analytic.abs() as f64))
                    })
                    .fold(f64::INFINITY, f64::min);
                assert!(
                    err < 2e-2,
                    "layer {l} tensor {tensor} [{i}]: analytic {analytic}, relative error {err}"
                );
            }
        }
    }
}

fn class_data(rng: &mut Rng, n: usize, d: usize, classes: usize) -> Dataset {
    let x = Array2::from_shape_simple_fn((n, d), || rng.normal());
    let y = Array2::from_shape_simple_fn((n, 1), || rng.below(classes) as f32);
    let w = Array1::from_shape_simple_fn(n, || 0.5 + rng.next_f32());
    Dataset::new(x, y).unwrap().with_weights(w).unwrap()
}

#[test]
fn sampled_gradient_matches_finite_differences_with_a_fixed_sample() {
    let mut rng = Rng::new(21);
    let classes = 12;
    let data = class_data(&mut rng, 5, 3, classes);
    let labels: Vec<usize> = data.y().iter().map(|&v| v as usize).collect();
    // Duplicated draws (3 twice) and an accidental hit (a row's own class).
    let negatives = [3usize, 7, 3, 10, labels[0], 0];
    for (hidden, sampler) in [
        (Activation::Tanh, Sampler::Uniform),
        (Activation::Relu, Sampler::Frequency),
        (Activation::Sigmoid, Sampler::Uniform),
    ] {
        let mlp = MlpParams::new(3)
            .layer(5, hidden)
            .layer(4, Activation::Tanh)
            .layer(classes, Activation::Softmax)
            .seed(3)
            .init()
            .unwrap();
        let start = MlpParams::new(3)
            .layer(5, hidden)
            .layer(4, Activation::Tanh)
            .layer(classes, Activation::Softmax)
            .seed(4)
            .init()
            .unwrap();
        let cfg = TrainConfig {
            loss: sampled(negatives.len(), sampler),
            l2: 0.1,
            pull_to_start: 0.3,
            validation: Validation::None,
            ..TrainConfig::default()
        };
        let objective =
            |m: &Mlp| sampled_objective_and_gradient(m, &data, &cfg, &negatives, Some(&start));
        let (value, grads) = objective(&mlp).unwrap();
        assert!(value.is_finite() && value > 0.0);
        // Columns that are no candidate get no gradient.
        let out = &grads[4];
        let candidates: Vec<usize> = labels.iter().chain(&negatives).copied().collect();
        for c in (0..classes).filter(|c| !candidates.contains(c)) {
            assert!((0..4).all(|p| out[p * classes + c] == 0.0), "column {c}");
        }
        check_gradients(&mlp, &grads, &|m| objective(m).unwrap().0);
    }
}

#[test]
fn exact_loss_with_class_indices_matches_one_hot_softmax_and_its_gradient_checks() {
    let mut rng = Rng::new(5);
    let classes = 6;
    let data = class_data(&mut rng, 7, 4, classes);
    let one_hot = Array2::from_shape_fn((7, classes), |(i, c)| {
        f32::from(data.y()[[i, 0]] as usize == c)
    });
    let dense = Dataset::new(data.x().clone(), one_hot)
        .unwrap()
        .with_weights(data.weights().unwrap().clone())
        .unwrap();
    let mlp = MlpParams::new(4)
        .layer(5, Activation::Relu)
        .layer(classes, Activation::Softmax)
        .seed(8)
        .init()
        .unwrap();
    let cfg = |loss| TrainConfig {
        loss,
        validation: Validation::None,
        ..TrainConfig::default()
    };
    let sampled_cfg = cfg(sampled(3, Sampler::Uniform));
    let (a, ga) = objective_and_gradient(&mlp, &data, &sampled_cfg, None).unwrap();
    let (b, gb) =
        objective_and_gradient(&mlp, &dense, &cfg(Loss::SoftmaxCrossEntropy), None).unwrap();
    assert!((a - b).abs() < 1e-6, "{a} vs {b}");
    for (x, y) in ga.iter().flatten().zip(gb.iter().flatten()) {
        assert!((x - y).abs() < 1e-6, "{x} vs {y}");
    }
    check_gradients(&mlp, &ga, &|m| {
        objective_and_gradient(m, &data, &sampled_cfg, None)
            .unwrap()
            .0
    });
}

#[test]
fn bad_sampled_configurations_are_named() {
    let mut rng = Rng::new(1);
    let data = class_data(&mut rng, 20, 3, 10);
    let mlp = MlpParams::new(3)
        .layer(10, Activation::Softmax)
        .seed(1)
        .init()
        .unwrap();
    let base = TrainConfig {
        loss: sampled(4, Sampler::Frequency),
        epochs: 1,
        seed: Some(1),
        ..TrainConfig::default()
    };
    let err = |cfg: TrainConfig, data: &Dataset| {
        mlp.clone()
            .fit(data, &cfg, &mut |_| Control::Continue)
            .unwrap_err()
            .to_string()
    };
    let cases: Vec<(TrainConfig, &str)> = vec![
        (
            TrainConfig {
                loss: sampled(0, Sampler::Uniform),
                ..base.clone()
            },
            "negatives",
        ),
        (
            TrainConfig {
                class_frequencies: Some(vec![1.0; 9]),
                ..base.clone()
            },
            "class_frequencies",
        ),
        (
            TrainConfig {
                class_frequencies: Some([vec![1.0; 9], vec![0.0]].concat()),
                ..base.clone()
            },
            "class_frequencies[9]",
        ),
        (
            TrainConfig {
                loss: sampled(4, Sampler::Uniform),
                class_frequencies: Some(vec![1.0; 10]),
                ..base.clone()
            },
            "class_frequencies",
        ),
        (
            TrainConfig {
                class_weights: Some(vec![1.0; 10]),
                ..base.clone()
            },
            "class_weights",
        ),
        (
            TrainConfig {
                metrics: vec![Metric::RocAuc],
                ..base.clone()
            },
            "metrics",
        ),
        (
            TrainConfig {
                early_stopping: Some(EarlyStopping {
                    monitor: Monitor::Metric(Metric::F1),
                    ..EarlyStopping::default()
                }),
                ..base.clone()
            },
            "metrics",
        ),
    ];
    for (cfg, field) in cases {
        let e = err(cfg, &data);
        assert!(e.contains(field), "{field}: {e}");
    }
    let bad_label = Dataset::new(data.x().clone(), data.y().mapv(|v| v + 0.5)).unwrap();
    assert!(err(base.clone(), &bad_label).contains("y[0][0]"));
    let out_of_range = Dataset::new(data.x().clone(), data.y().mapv(|v| v + 10.0)).unwrap();
    assert!(err(base.clone(), &out_of_range).contains("[0, 10)"));
    let one_hot = Dataset::new(data.x().clone(), Array2::zeros((20, 10))).unwrap();
    assert!(err(base.clone(), &one_hot).contains("y columns"));
    let sigmoid = MlpParams::new(3)
        .layer(10, Activation::Sigmoid)
        .seed(1)
        .init()
        .unwrap();
    let e = sigmoid
        .clone()
        .fit(&data, &base, &mut |_| Control::Continue)
        .unwrap_err()
        .to_string();
    assert!(e.contains("softmax"), "{e}");
    let e = TrainConfig {
        class_frequencies: Some(vec![1.0]),
        ..TrainConfig::default()
    }
    .validate(
        &sigmoid,
        &Dataset::new(Array2::zeros((2, 3)), Array2::zeros((2, 10))).unwrap(),
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("class_frequencies"), "{e}");
}

/// `classes` prototypes in `dim` dimensions; each example is its class's
/// prototype plus noise. Returns (train, test) as class-index datasets.
fn prototype_task(classes: usize, dim: usize, per_class: usize, seed: u64) -> (Dataset, Dataset) {
    let mut rng = Rng::new(seed);
    let protos = Array2::from_shape_simple_fn((classes, dim), || rng.normal());
    let mut make = |n_per: usize| {
        let n = classes * n_per;
        let mut order: Vec<usize> = (0..n).map(|i| i % classes).collect();
        rng.shuffle(&mut order);
        let x = Array2::from_shape_fn((n, dim), |(i, j)| {
            protos[[order[i], j]] + 0.35 * rng.normal()
        });
        let y = Array2::from_shape_fn((n, 1), |(i, _)| order[i] as f32);
        Dataset::new(x, y).unwrap()
    };
    let train = make(per_class);
    let test = make(1);
    (train, test)
}

fn accuracy(mlp: &Mlp, test: &Dataset) -> f32 {
    let p = mlp.predict(test.x().view()).unwrap();
    let hits = p
        .rows()
        .into_iter()
        .zip(test.y().column(0))
        .filter(|(row, &y)| {
            let best = row
                .iter()
                .enumerate()
                .fold((0, f32::MIN), |b, (i, &v)| if v > b.1 { (i, v) } else { b });
            best.0 == y as usize
        })
        .count();
    hits as f32 / test.len() as f32
}

#[test]
fn sampled_training_on_2000_classes_nears_full_softmax_with_far_fewer_columns() {
    let classes = 2000;
    let (train, test) = prototype_task(classes, 16, 4, 77);
    let one_hot = Array2::from_shape_fn((train.len(), classes), |(i, c)| {
        f32::from(train.y()[[i, 0]] as usize == c)
    });
    let train_full = Dataset::new(train.x().clone(), one_hot).unwrap();
    let net = || {
        MlpParams::new(16)
            .layer(32, Activation::Relu)
            .layer(classes, Activation::Softmax)
            .seed(9)
            .init()
            .unwrap()
    };
    let cfg = |loss| TrainConfig {
        loss,
        optimizer: Optimizer::adam(3e-3),
        batch_size: 64,
        epochs: 5,
        validation: Validation::None,
        seed: Some(2),
        ..TrainConfig::default()
    };
    let mut full = net();
    let t0 = std::time::Instant::now();
    let hf = full
        .fit(&train_full, &cfg(Loss::SoftmaxCrossEntropy), &mut |_| {
            Control::Continue
        })
        .unwrap();
    let negatives = 128;
    let mut fast = net();
    let sampled_cfg = cfg(sampled(negatives, Sampler::Uniform));
    let t1 = std::time::Instant::now();
    let hs = fast
        .fit(&train, &sampled_cfg, &mut |_| Control::Continue)
        .unwrap();
    let sampled_time = t1.elapsed();
    let mut longer = net();
    let longer_cfg = TrainConfig {
        epochs: 2 * sampled_cfg.epochs,
        ..sampled_cfg.clone()
    };
    longer
        .fit(&train, &longer_cfg, &mut |_| Control::Continue)
        .unwrap();
    let (acc_full, acc_sampled) = (accuracy(&full, &test), accuracy(&fast, &test));
    let acc_longer = accuracy(&longer, &test);
    let columns_per_step = hs.output_columns as f64 / hs.steps as f64;
    println!(
        "2000 classes: test accuracy full softmax {acc_full:.3} ({:?}), sampled {acc_sampled:.3} \
         ({sampled_time:?}), sampled with twice the epochs {acc_longer:.3}; output columns per \
         step: full {}, sampled {columns_per_step:.1}",
        t1 - t0,
        hf.output_columns / hf.steps
    );
    assert_eq!(hf.output_columns, hf.steps * classes as u64);
    assert!(
        columns_per_step <= (negatives + 64) as f64,
        "{columns_per_step}"
    );
    assert!(columns_per_step < classes as f64 / 8.0);
    assert!(
        acc_full > 0.9,
        "full softmax should learn the task: {acc_full}"
    );
    assert!(
        acc_sampled > acc_full - 0.05,
        "sampled {acc_sampled} vs full {acc_full}"
    );
    assert!(
        acc_longer > acc_full - 0.02,
        "sampled (2× epochs) {acc_longer} vs full {acc_full}"
    );

    // Same seed ⇒ same model.
    let mut again = net();
    let ha = again
        .fit(&train, &sampled_cfg, &mut |_| Control::Continue)
        .unwrap();
    assert_eq!(ha, hs);
    assert_eq!(
        again.predict(test.x().view()).unwrap(),
        fast.predict(test.x().view()).unwrap()
    );
}

#[test]
fn frequency_sampler_trains_with_full_softmax_validation_and_metrics() {
    // Zipf-like class frequencies: class c appears ∝ 1/(c+1).
    let classes = 300;
    let mut rng = Rng::new(31);
    let weights: Vec<f32> = (0..classes).map(|c| 1.0 / (c + 1) as f32).collect();
    let total: f32 = weights.iter().sum();
    let draw = |rng: &mut Rng| {
        let mut u = rng.next_f32() * total;
        weights
            .iter()
            .position(|&w| {
                u -= w;
                u <= 0.0
            })
            .unwrap_or(classes - 1)
    };
    let n = 3000;
    let labels: Vec<usize> = (0..n).map(|_| draw(&mut rng)).collect();
    let protos = Array2::from_shape_simple_fn((classes, 12), || rng.normal());
    let x = Array2::from_shape_fn((n, 12), |(i, j)| {
        protos[[labels[i], j]] + 0.3 * rng.normal()
    });
    let y = Array2::from_shape_fn((n, 1), |(i, _)| labels[i] as f32);
    let data = Dataset::new(x, y).unwrap();
    let (train, val) = (
        data.select(&(0..2400).collect::<Vec<_>>()).unwrap(),
        data.select(&(2400..n).collect::<Vec<_>>()).unwrap(),
    );
    let val_one_hot = Dataset::new(
        val.x().clone(),
        Array2::from_shape_fn((val.len(), classes), |(i, c)| {
            f32::from(val.y()[[i, 0]] as usize == c)
        }),
    )
    .unwrap();
    for class_frequencies in [None, Some(weights.clone())] {
        let mut mlp = MlpParams::new(12)
            .layer(32, Activation::Relu)
            .layer(classes, Activation::Softmax)
            .seed(4)
            .init()
            .unwrap();
        let cfg = TrainConfig {
            loss: sampled(32, Sampler::Frequency),
            optimizer: Optimizer::adam(1e-2),
            epochs: 8,
            metrics: vec![Metric::Accuracy, Metric::LogLoss],
            validation: Validation::Data(val.clone()),
            seed: Some(6),
            class_frequencies,
            ..TrainConfig::default()
        };
        let h = mlp.fit(&train, &cfg, &mut |_| Control::Continue).unwrap();
        let first = &h.epochs[0];
        let last = h.epochs.last().unwrap();
        let val_loss = last.val_loss.unwrap();
        let log_loss = last
            .metrics
            .iter()
            .find(|(m, _)| *m == Metric::LogLoss)
            .unwrap()
            .1;
        let acc = last
            .metrics
            .iter()
            .find(|(m, _)| *m == Metric::Accuracy)
            .unwrap()
            .1;
        println!(
            "frequency sampler ({}): val loss {} → {val_loss}, val accuracy {acc}",
            if cfg.class_frequencies.is_some() {
                "given"
            } else {
                "counted"
            },
            first.val_loss.unwrap()
        );
        assert!(
            val_loss < first.val_loss.unwrap() && val_loss < 1.0,
            "{val_loss}"
        );
        // val_loss is the exact full-softmax cross-entropy of the final model.
        let exact_cfg = TrainConfig {
            loss: Loss::SoftmaxCrossEntropy,
            validation: Validation::None,
            ..TrainConfig::default()
        };
        let exact = objective_and_gradient(&mlp, &val_one_hot, &exact_cfg, None)
            .unwrap()
            .0;
        assert!(
            (val_loss as f64 - exact).abs() < 1e-4 * exact,
            "{val_loss} vs {exact}"
        );
        // The log-loss metric floors probabilities at 1e-7, so it can only be lower.
        assert!(log_loss <= val_loss + 1e-4, "{log_loss} vs {val_loss}");
        assert!(acc > 0.8, "{acc}");
    }
}

#[test]
fn one_step_touches_only_the_candidate_columns() {
    let classes = 500;
    let mut rng = Rng::new(2);
    let data = class_data(&mut rng, 16, 4, classes);
    let mut mlp = MlpParams::new(4)
        .layer(8, Activation::Relu)
        .layer(classes, Activation::Softmax)
        .seed(3)
        .init()
        .unwrap();
    let before = mlp.clone();
    let cfg = TrainConfig {
        loss: sampled(20, Sampler::Uniform),
        batch_size: 16,
        epochs: 1,
        validation: Validation::None,
        seed: Some(1),
        ..TrainConfig::default()
    };
    let h = mlp.fit(&data, &cfg, &mut |_| Control::Continue).unwrap();
    assert_eq!(h.steps, 1);
    let (w0, w1) = (before.layers()[1].weights(), mlp.layers()[1].weights());
    let changed = (0..classes)
        .filter(|&c| w0.column(c) != w1.column(c))
        .count();
    let true_classes: std::collections::HashSet<usize> =
        data.y().iter().map(|&v| v as usize).collect();
    assert!(true_classes.iter().all(|&c| w0.column(c) != w1.column(c)));
    assert!(
        changed <= 16 + 20 && changed as u64 == h.output_columns,
        "{changed} vs {}",
        h.output_columns
    );
    assert_ne!(
        before.layers()[0].weights(),
        mlp.layers()[0].weights(),
        "hidden layer learns"
    );
}

/// Benchmark (prints, asserts nothing about speed): seconds per epoch of full
/// vs sampled softmax on a 20,000-class output. Run natively with
/// `cargo test --release --test nn_sampled -- --ignored --nocapture`.
#[test]
#[ignore]
fn bench_epoch_time_full_vs_sampled_on_20000_classes() {
    let (classes, rows, dim) = (20_000, 4096, 64);
    let mut rng = Rng::new(1);
    let x = Array2::from_shape_simple_fn((rows, dim), || rng.normal());
    let labels: Vec<usize> = (0..rows).map(|_| rng.below(classes)).collect();
    let y = Array2::from_shape_fn((rows, 1), |(i, _)| labels[i] as f32);
    let one_hot = Array2::from_shape_fn((rows, classes), |(i, c)| f32::from(labels[i] == c));
    let indexed = Dataset::new(x.clone(), y).unwrap();
    let dense = Dataset::new(x, one_hot).unwrap();
    let net = || {
        MlpParams::new(dim)
            .layer(64, Activation::Relu)
            .layer(classes, Activation::Softmax)
            .seed(1)
            .init()
            .unwrap()
    };
    let epochs = 2;
    let cfg = |loss| TrainConfig {
        loss,
        optimizer: Optimizer::adam(1e-3),
        batch_size: 64,
        epochs,
        validation: Validation::None,
        seed: Some(1),
        ..TrainConfig::default()
    };
    let time = |data: &Dataset, loss: Loss| {
        let mut mlp = net();
        let t = std::time::Instant::now();
        let h = mlp
            .fit(data, &cfg(loss), &mut |_| Control::Continue)
            .unwrap();
        let per_epoch = t.elapsed().as_secs_f64() / epochs as f64;
        (per_epoch, h.output_columns as f64 / h.steps as f64)
    };
    let (full, full_cols) = time(&dense, Loss::SoftmaxCrossEntropy);
    println!(
        "{classes} classes, {rows} rows, {dim}→64 ReLU→{classes}, batch 64, Adam: \
         full softmax {:.1} ms/epoch ({full_cols:.0} columns/step)",
        full * 1e3
    );
    for negatives in [64, 256, 1024] {
        for sampler in [Sampler::Uniform, Sampler::Frequency] {
            let (t, cols) = time(&indexed, sampled(negatives, sampler));
            println!(
                "sampled softmax, {negatives} negatives, {sampler:?}: {:.1} ms/epoch \
                 ({cols:.0} columns/step), {:.1}× faster",
                t * 1e3,
                full / t
            );
        }
    }
}

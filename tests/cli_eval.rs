//! The whole CLI on tiny synthetic files: pretrain (sequences, sessions) and every eval protocol.
#![cfg(not(target_arch = "wasm32"))] // native test: files, serde_json, threads

use std::path::PathBuf;
use std::process::Command;

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_localrec"))
}

fn data(name: &str) -> String {
    format!("{}/tests/data/{name}", env!("CARGO_MANIFEST_DIR"))
}

fn temp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("localrec-cli-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

fn run_json(args: &[&str]) -> serde_json::Value {
    let out = bin().args(args).output().unwrap();
    assert!(
        out.status.success(),
        "{args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stdout)))
}

fn metric(v: &serde_json::Value, model: &str, name: &str) -> f64 {
    v["models"][model][name]
        .as_f64()
        .unwrap_or_else(|| panic!("no {model}/{name} in {v}"))
}

#[test]
fn pretrain_writes_loadable_models() {
    let out = temp("seq.model");
    let o = bin()
        .args([
            "pretrain",
            "--sequences",
            &data("tiny_sequences.txt"),
            "--attributes",
            &data("tiny_attributes.json"),
            "--out",
        ])
        .arg(&out)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let bytes = std::fs::read(&out).unwrap();
    let model = localrec::rec::BaseModel::from_bytes(&bytes).unwrap();
    assert_eq!(model.item_count(), 150);
    assert_eq!(
        model
            .item_attributes(model.item_index("c1i3").unwrap())
            .len(),
        2
    );
    assert!(String::from_utf8_lossy(&o.stdout).contains(&format!("{} bytes", bytes.len())));

    let out = temp("sess.model");
    let o = bin()
        .args([
            "pretrain",
            "--sessions",
            &data("tiny_sessions.txt"),
            "--out",
        ])
        .arg(&out)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let model = localrec::rec::BaseModel::from_bytes(&std::fs::read(&out).unwrap()).unwrap();
    assert!(model.item_index("105").is_some());
}

#[test]
fn eval_full_and_sampled_report_every_model_and_metric() {
    let plot = temp("full.svg");
    let full = run_json(&[
        "eval",
        "--sequences",
        &data("tiny_sequences.txt"),
        "--attributes",
        &data("tiny_attributes.json"),
        "--protocol",
        "full",
        "--json",
        "--plot",
        plot.to_str().unwrap(),
    ]);
    assert_eq!(full["protocol"], "full");
    assert_eq!(full["users"], 150);
    assert_eq!(full["items"], 150);
    assert!(full["model_bytes"].as_u64().unwrap() > 0);
    for m in [
        "popularity",
        "item-kNN",
        "markov",
        "session-kNN",
        "localrec",
    ] {
        for k in [
            "HR@1", "HR@5", "HR@10", "HR@20", "NDCG@5", "NDCG@10", "NDCG@20", "MRR",
        ] {
            let v = metric(&full, m, k);
            assert!((0.0..=1.0).contains(&v), "{m} {k} = {v}");
        }
    }
    // The planted chains are learnable: the model and Markov beat popularity clearly.
    assert!(
        metric(&full, "localrec", "HR@10") > metric(&full, "popularity", "HR@10") + 0.2,
        "{full}"
    );
    assert!(
        metric(&full, "markov", "HR@10") > metric(&full, "popularity", "HR@10") + 0.2,
        "{full}"
    );
    let svg = std::fs::read_to_string(&plot).unwrap();
    assert_eq!(svg.matches("<polyline").count(), 5);

    let sampled = run_json(&[
        "eval",
        "--sequences",
        &data("tiny_sequences.txt"),
        "--protocol",
        "sampled99",
        "--json",
        "--seed",
        "3",
    ]);
    assert_eq!(sampled["protocol"], "sampled99");
    assert_eq!(sampled["seed"], 3);
    // Ranking among 100 is easier than among all 150 items.
    assert!(metric(&sampled, "popularity", "HR@10") >= metric(&full, "popularity", "HR@10"));
}

#[test]
fn eval_with_and_without_the_embedding_in_one_run() {
    let tiny = data("tiny_sequences.txt");
    // 150 users: below the default thresholds, so no embedding is learnt.
    let default = run_json(&["eval", "--sequences", &tiny, "--json"]);
    assert_eq!(default["embedding_dim"], 0);
    let both = run_json(&[
        "eval",
        "--sequences",
        &tiny,
        "--json",
        "--embedding",
        "both",
        "--emb-min-interactions",
        "0",
        "--emb-min-items",
        "0",
        "--similar",
    ]);
    assert_eq!(both["embedding_dim"], 16);
    assert_eq!(both["embedding_dim [localrec (no embedding)]"], 0);
    let with = both["model_bytes"].as_u64().unwrap();
    let without = both["model_bytes [localrec (no embedding)]"]
        .as_u64()
        .unwrap();
    assert!(with > without + 150 * 16, "{with} vs {without} bytes");
    for m in [
        "localrec",
        "localrec (no embedding)",
        "similar (embedding)",
        "similar (co-occurrence)",
    ] {
        let v = metric(&both, m, "HR@10");
        assert!((0.0..=1.0).contains(&v), "{m} HR@10 = {v}");
    }
    let out = temp("emb-off.model");
    let status = bin()
        .args([
            "pretrain",
            "--sequences",
            &tiny,
            "--embedding",
            "off",
            "--out",
        ])
        .arg(&out)
        .status()
        .unwrap();
    assert!(status.success());
    let bad = bin()
        .args(["eval", "--sequences", &tiny, "--embedding", "maybe"])
        .output()
        .unwrap();
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("--embedding"));
}

#[test]
fn eval_new_shoppers_reports_the_on_device_variants() {
    let v = run_json(&[
        "eval",
        "--sequences",
        &data("tiny_sequences.txt"),
        "--protocol",
        "new-shoppers",
        "--json",
    ]);
    assert_eq!(v["protocol"], "new-shoppers");
    assert_eq!(v["cases"], 30, "20 % of 150 users");
    for m in [
        "localrec base",
        "localrec fine-tuned",
        "localrec local-only",
    ] {
        assert!(
            metric(&v, m, "HR@10") > metric(&v, "popularity", "HR@10"),
            "{m}: {v}"
        );
    }
    assert!(v["fine_tune_mean_steps"].as_f64().unwrap() > 0.0);
}

#[test]
fn eval_sessions_and_table_output() {
    let v = run_json(&[
        "eval",
        "--sessions",
        &data("tiny_sessions.txt"),
        "--test",
        &data("tiny_test.tsv"),
        "--json",
    ]);
    assert_eq!(v["protocol"], "sessions");
    assert_eq!(v["cases"], 184);
    assert!(metric(&v, "localrec", "P@20") > metric(&v, "popularity", "P@20"));
    assert!(metric(&v, "session-kNN", "MRR@20") > 0.0);
    let o = bin()
        .args([
            "eval",
            "--sessions",
            &data("tiny_sessions.txt"),
            "--test",
            &data("tiny_test.tsv"),
        ])
        .output()
        .unwrap();
    assert!(o.status.success());
    let table = String::from_utf8_lossy(&o.stdout);
    assert!(
        table.contains("P@20") && table.contains("localrec") && table.contains("metrics in %"),
        "{table}"
    );
}

#[test]
fn bad_input_fails_with_the_line_number() {
    let o = bin()
        .args(["eval", "--sequences", &data("bad_sequences.txt")])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("line 3"), "{err}");
    let o = bin()
        .args([
            "eval",
            "--sequences",
            &data("tiny_sequences.txt"),
            "--protocol",
            "nope",
        ])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    let o = bin()
        .args(["pretrain", "--sequences", &data("tiny_sequences.txt")])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&o.stderr).contains("--out is required"));
    let o = bin()
        .args(["eval", "--sequences", "/nonexistent/file.txt"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
}

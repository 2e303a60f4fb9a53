//! `localrec bench`: the MLP engine on the reference workload of issue 3.

// The CLI is native; when integration tests build the crate for wasm32 the
// binary must still compile, so the command is only there natively.
#[cfg(target_arch = "wasm32")]
pub fn run(_args: &[String]) -> i32 {
    eprintln!("localrec bench runs natively only");
    2
}

#[cfg(not(target_arch = "wasm32"))]
pub use native::run;

#[cfg(not(target_arch = "wasm32"))]
mod native {
    use localrec::nn::bench::{run_reference, BenchOptions};
    use std::time::Instant;

    const HELP: &str = "\
localrec bench — train and score the reference MLP workload

USAGE:
    localrec bench [--json] [--wall] [--rows N] [--epochs N] [--repeats N]

Timing uses the thread's CPU time (Linux) so that other jobs on a shared
machine do not distort it; --wall uses wall-clock time instead.

Workload: 64 → 64 ReLU → 32 ReLU → 1 sigmoid, BCE, Adam 1e-3, batch 64,
20,000 planted-signal examples, 5 epochs (3 runs, median reported).
";

    /// CPU time of the calling thread in milliseconds: on a machine shared with
    /// other jobs, wall time measures the neighbours as much as the engine.
    #[cfg(target_os = "linux")]
    fn thread_cpu_ms() -> Option<f64> {
        #[repr(C)]
        struct Timespec {
            tv_sec: i64,
            tv_nsec: i64,
        }
        extern "C" {
            fn clock_gettime(clock: i32, ts: *mut Timespec) -> i32;
        }
        const CLOCK_THREAD_CPUTIME_ID: i32 = 3;
        let mut ts = Timespec {
            tv_sec: 0,
            tv_nsec: 0,
        };
        // SAFETY: libc's clock_gettime writes one timespec (two 64-bit fields on
        // 64-bit Linux) to the pointer we pass, which points at a live local.
        let rc = unsafe { clock_gettime(CLOCK_THREAD_CPUTIME_ID, &mut ts) };
        (rc == 0).then(|| ts.tv_sec as f64 * 1000.0 + ts.tv_nsec as f64 / 1e6)
    }

    #[cfg(not(target_os = "linux"))]
    fn thread_cpu_ms() -> Option<f64> {
        None
    }

    fn cpu_model() -> String {
        std::fs::read_to_string("/proc/cpuinfo")
            .ok()
            .and_then(|s| {
                s.lines()
                    .find(|l| l.starts_with("model name"))
                    .and_then(|l| l.split(':').nth(1))
                    .map(|v| v.trim().to_string())
            })
            .unwrap_or_else(|| "unknown".into())
    }

    /// UTC date-time from the system clock (no date crate needed).
    fn utc_now() -> String {
        let secs = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        let (days, rem) = (secs / 86_400, secs % 86_400);
        // Civil-from-days (Howard Hinnant's algorithm).
        let z = days as i64 + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z - era * 146_097;
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let d = doy - (153 * mp + 2) / 5 + 1;
        let m = if mp < 10 { mp + 3 } else { mp - 9 };
        let y = yoe + era * 400 + i64::from(m <= 2);
        format!(
            "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
            rem / 3600,
            rem % 3600 / 60,
            rem % 60
        )
    }

    fn parse(args: &[String], name: &str) -> Result<Option<usize>, String> {
        match args.iter().position(|a| a == name) {
            None => Ok(None),
            Some(i) => args
                .get(i + 1)
                .and_then(|v| v.parse().ok())
                .map(Some)
                .ok_or_else(|| format!("{name} needs a positive integer")),
        }
    }

    /// Runs the command; returns the process exit code.
    pub fn run(args: &[String]) -> i32 {
        if args.iter().any(|a| a == "-h" || a == "--help") {
            print!("{HELP}");
            return 0;
        }
        let json = args.iter().any(|a| a == "--json");
        let mut opts = BenchOptions::default();
        let parsed = (|| -> Result<(), String> {
            if let Some(v) = parse(args, "--rows")? {
                opts.train_rows = v;
            }
            if let Some(v) = parse(args, "--epochs")? {
                opts.epochs = v;
            }
            if let Some(v) = parse(args, "--repeats")? {
                opts.repeats = v;
            }
            Ok(())
        })();
        if let Err(e) = parsed {
            eprintln!("localrec bench: {e}");
            return 2;
        }
        let origin = Instant::now();
        let wall = args.iter().any(|a| a == "--wall") || thread_cpu_ms().is_none();
        let clock_name = if wall { "wall" } else { "thread-cpu" };
        let mut clock = || {
            if wall {
                origin.elapsed().as_secs_f64() * 1000.0
            } else {
                thread_cpu_ms().unwrap_or(0.0)
            }
        };
        let report = match run_reference(&opts, &mut clock) {
            Ok(r) => r,
            Err(e) => {
                eprintln!("localrec bench: {e}");
                return 1;
            }
        };
        let cores = std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1);
        if json {
            let value = serde_json::json!({
                "workload": "64->64 relu->32 relu->1 sigmoid, BCE, Adam 1e-3, batch 64, planted linear signal",
                "train_rows": opts.train_rows,
                "epochs": opts.epochs,
                "runs": opts.repeats,
                "train_samples_per_sec": report.train_samples_per_sec.round(),
                "train_samples_per_sec_runs": report.train_samples_per_sec_runs.iter().map(|v| v.round()).collect::<Vec<_>>(),
                "final_loss": report.final_loss,
                "test_accuracy": report.test_accuracy,
                "test_auc": report.test_auc,
                "score_1k_ms": report.score_1k_ms,
                "score_10k_ms": report.score_10k_ms,
                "param_count": report.param_count,
                "machine": { "cpu": cpu_model(), "cores": cores, "arch": std::env::consts::ARCH },
                "date": utc_now(),
                "clock": clock_name,
                "version": localrec::VERSION,
            });
            println!("{value}");
        } else {
            println!(
                "localrec {} bench ({} cores, {}, {} clock)",
                localrec::VERSION,
                cores,
                cpu_model(),
                clock_name
            );
            println!(
                "train: {:.0} samples/s (runs: {:?})",
                report.train_samples_per_sec,
                report
                    .train_samples_per_sec_runs
                    .iter()
                    .map(|v| v.round())
                    .collect::<Vec<_>>()
            );
            println!(
                "final loss {:.4}, test accuracy {:.4}, test AUC {:.4}",
                report.final_loss, report.test_accuracy, report.test_auc
            );
            println!(
                "score 1,000: {:.3} ms, 10,000: {:.3} ms",
                report.score_1k_ms, report.score_10k_ms
            );
        }
        0
    }
}

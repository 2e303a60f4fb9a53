//! `localrec` — the offline tools: pretraining, evaluation and benchmarks.
//!
//! Run `localrec --help` for the commands.

mod args;
mod bench;
#[cfg(not(target_arch = "wasm32"))]
mod eval;
// Integration tests built for wasm32 (the browser tests) build this binary too; `eval` writes
// JSON with serde_json, a native-only dependency, so it is only there natively (as `bench`).
#[cfg(target_arch = "wasm32")]
mod eval {
    pub fn run(_args: &[String]) -> i32 {
        eprintln!("localrec eval runs natively only");
        2
    }
}
mod plot;
mod pretrain;

const HELP: &str = "\
localrec — on-device recommendations: offline tools

USAGE:
    localrec <COMMAND> [OPTIONS]

COMMANDS:
    pretrain    Train a base model from interaction logs (see `localrec pretrain --help`)
    eval        Evaluate the recommender and baselines on interaction logs
    bench       Benchmark the MLP engine on the reference workload (--json)
    help        Print this help

OPTIONS:
    -h, --help       Print help
    -V, --version    Print version
";

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let code = match args.first().map(String::as_str) {
        None | Some("-h") | Some("--help") | Some("help") => {
            print!("{HELP}");
            0
        }
        Some("-V") | Some("--version") => {
            println!("localrec {}", localrec::VERSION);
            0
        }
        Some("bench") => bench::run(&args[1..]),
        Some("eval") => eval::run(&args[1..]),
        Some("pretrain") => pretrain::run(&args[1..]),
        Some(cmd) => {
            eprintln!("localrec: unknown command {cmd:?}\n\n{HELP}");
            2
        }
    };
    std::process::exit(code);
}

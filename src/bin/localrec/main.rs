//! `localrec` — the offline tools: pretraining, evaluation and benchmarks.
//!
//! Run `localrec --help` for the commands.

mod args;
mod bench;
mod eval;
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

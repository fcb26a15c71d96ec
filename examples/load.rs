//! Stand-in for `flightdeck load` until the subcommand is wired in
//! `src/cli.rs`: the same arguments, the same output, the same exit codes.
//!
//! `cargo run --release --example load -- http://127.0.0.1:8080/ -c 16 -z 5s`

use clap::Parser;
use flightdeck::load::{LoadArgs, run_cli};

#[derive(Parser)]
#[command(name = "load", about = "Send bounded HTTP load and judge it")]
struct Cli {
    #[command(flatten)]
    load: LoadArgs,
}

#[tokio::main]
async fn main() {
    let cli = Cli::parse();
    match run_cli(cli.load).await {
        Ok((out, code)) => {
            print!("{out}");
            std::process::exit(code);
        }
        Err(e) => {
            eprintln!("error: {e}");
            std::process::exit(2);
        }
    }
}

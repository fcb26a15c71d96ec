use clap::Parser;

use flightdeck::cli::{
    CanaryCommands, Cli, Commands, EnvCommands, LoadCommands, NotifyCommands, PolicyCommands,
    ScanCommands, SecretsCommands,
};
use flightdeck::launch::{self, EXIT_INTERNAL};

fn main() {
    let cli = Cli::parse();
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            std::process::exit(EXIT_INTERNAL);
        }
    };
    let code = rt.block_on(async {
        match cli.command {
            Commands::CheckConfig { config } => match launch::check_config(&config) {
                Ok(msg) => {
                    println!("{msg}");
                    0
                }
                Err(f) => {
                    eprintln!("{}", f.message);
                    f.code
                }
            },
            Commands::Demo {
                scenario,
                quick,
                signoff,
                run,
            } => finish(
                launch::run(
                    run,
                    Some(launch::Demo {
                        scenario,
                        quick,
                        signoff,
                    }),
                )
                .await,
            ),
            Commands::Run { run } => finish(launch::run(run, None).await),
            Commands::Env { command } => {
                let r = match command {
                    EnvCommands::Plan(a) => flightdeck::iac::face::run_plan(&a),
                    EnvCommands::Drift(a) => flightdeck::iac::face::run_drift(&a),
                    EnvCommands::Parity(a) => flightdeck::iac::face::run_parity(&a),
                };
                print_or_usage(r.map_err(|e| e.to_string()))
            }
            Commands::Flags(args) => match flightdeck::flags::cli::run_flags(args).await {
                Ok((out, code)) => {
                    print!("{out}");
                    code
                }
                Err(e) => {
                    eprintln!("error: {e}");
                    flightdeck::flags::cli::exit_code(&e)
                }
            },
            Commands::Drill(flightdeck::drill::cli::DrillArgs {
                command: flightdeck::drill::cli::DrillCommand::Ops(command),
            }) => print_or_fail(launch::drill_ops::run(command).await),
            Commands::Drill(args) => match flightdeck::drill::cli::run(args).await {
                Ok((out, code)) => {
                    print!("{out}");
                    code
                }
                Err((e, code)) => {
                    eprintln!("error: {e}");
                    code
                }
            },
            Commands::Canary {
                command: CanaryCommands::Judge(a),
            } => print_or_usage(flightdeck::canary::cli::run_judge(a).map_err(|e| e.to_string())),
            Commands::Load(cmd) => match (cmd.command, cmd.test) {
                (Some(LoadCommands::Calibrate(a)), _) => {
                    print_or_fail(launch::calibrate::run(a).await)
                }
                (Some(LoadCommands::Capacity(a)), _) => print_or_usage(
                    flightdeck::load::capacity::cli::run_cli(a)
                        .await
                        .map_err(|e| e.to_string()),
                ),
                (Some(LoadCommands::Learn(a)), _) => match flightdeck::load::learn::cli::run(&a) {
                    Ok((out, code)) => {
                        print!("{out}");
                        code
                    }
                    Err(f) => {
                        eprintln!("error: {}", f.message);
                        f.code
                    }
                },
                (None, Some(args)) => {
                    // The load face keeps baselines in the state directory.
                    launch::recover::notice(&args.state_dir, None);
                    print_or_usage(
                        flightdeck::load::run_cli(args)
                            .await
                            .map_err(|e| e.to_string()),
                    )
                }
                (None, None) => {
                    eprintln!(
                        "error: give a URL (flightdeck load URL) or `flightdeck load calibrate`"
                    );
                    launch::EXIT_USAGE
                }
            },
            Commands::Scan { command } => {
                let r = match command {
                    ScanCommands::Import(a) => flightdeck::scan::cli::import(&a),
                    ScanCommands::Secrets(a) => flightdeck::scan::cli::secrets(&a),
                };
                print_or_usage(r.map_err(|e| e.to_string()))
            }
            Commands::Secrets {
                command: SecretsCommands::Check(a),
            } => match launch::secrets::run_check(&a).await {
                Ok((out, code)) => {
                    print!("{out}");
                    code
                }
                Err(f) => {
                    eprintln!("{}", f.message);
                    f.code
                }
            },
            Commands::Data(a) => match flightdeck::data::cli::run(a).await {
                Ok((out, code)) => {
                    print!("{out}");
                    code
                }
                Err(e) => {
                    eprintln!("error: {e}");
                    e.exit_code()
                }
            },
            Commands::Policy {
                command: PolicyCommands::Eval(a),
            } => print_or_usage(flightdeck::policy::cli::eval(&a).map_err(|e| e.to_string())),
            Commands::Recover(a) => match launch::recover::run(&a).await {
                Ok((out, code)) => {
                    print!("{out}");
                    code
                }
                Err(f) => {
                    eprintln!("{}", f.message);
                    f.code
                }
            },
            Commands::Attach(a) => finish(launch::attach::attach(a).await),
            Commands::Signoff(a) => match launch::signoff::signoff(&a).await {
                Ok((out, code)) => {
                    print!("{out}");
                    code
                }
                Err(f) => {
                    eprintln!("{}", f.message);
                    f.code
                }
            },
            Commands::Notify {
                command: NotifyCommands::Resend(a),
            } => match launch::share::resend(&a).await {
                Ok((out, code)) => {
                    print!("{out}");
                    code
                }
                Err(f) => {
                    eprintln!("{}", f.message);
                    f.code
                }
            },
            Commands::Plan(a) => print_or_fail(launch::history::plan(a).await),
            Commands::History(a) => print_or_fail(launch::history::history(*a).await),
            Commands::Outcome(a) => print_or_fail(launch::history::outcome(*a).await),
            Commands::DemoInstance { version_served } => {
                match flightdeck::demo::failover::serve_instance(&version_served).await {
                    Ok(()) => 0,
                    Err(e) => {
                        eprintln!("error: {e:#}");
                        EXIT_INTERNAL
                    }
                }
            }
            Commands::Replay {
                journal,
                headless,
                report_dir,
                ui,
            } => finish(launch::replay(&journal, headless, report_dir, &ui).await),
        }
    });
    // Background tasks (demo servers, stdin readers) must not keep us alive.
    rt.shutdown_timeout(std::time::Duration::from_millis(200));
    std::process::exit(code);
}

fn finish(r: Result<launch::Finished, launch::Failure>) -> i32 {
    match r {
        Ok(f) => {
            eprintln!("{}", f.summary);
            f.code
        }
        Err(f) => {
            eprintln!("{}", f.message);
            f.code
        }
    }
}

/// Print a face's output, or its failure with its exit code.
fn print_or_fail(r: Result<(String, i32), launch::Failure>) -> i32 {
    match r {
        Ok((out, code)) => {
            print!("{out}");
            code
        }
        Err(f) => {
            eprintln!("{}", f.message);
            f.code
        }
    }
}

/// Print a standalone command's output; an error is a usage error (exit 2).
fn print_or_usage(r: Result<(String, i32), String>) -> i32 {
    match r {
        Ok((out, code)) => {
            print!("{out}");
            code
        }
        Err(e) => {
            eprintln!("error: {e}");
            launch::EXIT_USAGE
        }
    }
}

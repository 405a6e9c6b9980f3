//! Subcommands: parse arguments, call the library, map results to exit codes.
//! No logic beyond dispatch and printing.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::config::{self, Config};
use crate::daemon;
use crate::model::RefreshResult;

/// Where the config is looked for when `--config` is not given.
pub const DEFAULT_CONFIG: &str = "/etc/tidings/tidings.toml";

/// tidings: polls feeds, stores each item once, republishes filtered feeds.
#[derive(Debug, Parser)]
#[command(name = "tidings", version, about)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the daemon: poll on schedule and serve the outputs over HTTP.
    Run {
        /// The TOML config file.
        #[arg(long, short, default_value = DEFAULT_CONFIG)]
        config: PathBuf,
    },
    /// Poll every feed once, store, print a per-feed summary and exit.
    Once {
        /// The TOML config file.
        #[arg(long, short, default_value = DEFAULT_CONFIG)]
        config: PathBuf,
    },
    /// Validate the config; print each problem with file:line:column.
    Check {
        /// The TOML config file.
        #[arg(long, short, default_value = DEFAULT_CONFIG)]
        config: PathBuf,
    },
}

/// Entry point used by `main`.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging();
    match cli.command {
        Command::Check { config } => match config::load(&config) {
            Ok(c) => {
                println!(
                    "{}: ok ({} feeds, {} outputs, database {})",
                    config.display(),
                    c.feeds.len(),
                    c.outputs.len(),
                    c.daemon.database.display()
                );
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("{e}");
                ExitCode::FAILURE
            }
        },
        Command::Run { config } => with_config(&config, |c| runtime()?.block_on(run(c))),
        Command::Once { config } => with_config(&config, |c| runtime()?.block_on(once(c))),
    }
}

fn with_config(path: &std::path::Path, f: impl FnOnce(Config) -> anyhow::Result<()>) -> ExitCode {
    let config = match config::load(path) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("{e}");
            eprintln!("tidings: refusing to start with an invalid config");
            return ExitCode::FAILURE;
        }
    };
    match f(config) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("tidings: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?)
}

async fn run(config: Config) -> anyhow::Result<()> {
    let listener = daemon::bind(&config).await?;
    daemon::run(config, listener, daemon::shutdown_signal()).await
}

async fn once(config: Config) -> anyhow::Result<()> {
    let reports = daemon::once(&config).await?;
    let width = reports
        .iter()
        .map(|r| r.name.chars().count())
        .max()
        .unwrap_or(4)
        .clamp(4, 48);
    println!(
        "{:width$}  {:>5} {:>7} {:>9}  {:>6}  RESULT",
        "FEED", "NEW", "UPDATED", "UNCHANGED", "TIME"
    );
    let mut failed = 0;
    for r in &reports {
        let name: String = r.name.chars().take(width).collect();
        let secs = format!("{:.1}s", r.elapsed.as_secs_f64());
        match &r.result {
            RefreshResult::Stored(c) => println!(
                "{name:width$}  {:>5} {:>7} {:>9}  {secs:>6}  ok",
                c.new, c.updated, c.unchanged
            ),
            RefreshResult::NotModified => println!(
                "{name:width$}  {:>5} {:>7} {:>9}  {secs:>6}  not modified",
                "-", "-", "-"
            ),
            RefreshResult::Failed(e) => {
                failed += 1;
                println!(
                    "{name:width$}  {:>5} {:>7} {:>9}  {secs:>6}  error: {e}",
                    "-", "-", "-"
                )
            }
        }
    }
    println!("{} feeds polled, {} failed", reports.len(), failed);
    Ok(())
}

/// tracing to stderr: level from `RUST_LOG` (default info), no colours unless a
/// terminal (journald shows escape codes verbatim).
fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .try_init();
}

//! Subcommands: parse arguments, call the library, map results to exit codes.
//! No logic beyond dispatch and printing.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod dedup;
mod extract;

use std::io::{BufRead, Write};

use anyhow::Context as _;

use crate::config::{self, Config};
use crate::model::RefreshResult;
use crate::store::Store;
use crate::{daemon, membership};

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
    /// Say whether a stored item is in an output, and which clauses matched which text.
    Explain {
        /// The TOML config file.
        #[arg(long, short, default_value = DEFAULT_CONFIG)]
        config: PathBuf,
        /// The output's name.
        #[arg(long)]
        output: String,
        /// The item: its link, or its id (urn:tidings:… as served).
        item: String,
    },
    /// One row per feed: state, last poll and HTTP status, items stored, failures
    /// in a row, next poll, last new item, current URL (after a permanent
    /// redirect), last error.
    Status {
        /// The TOML config file.
        #[arg(long, short, default_value = DEFAULT_CONFIG)]
        config: PathBuf,
        /// Print a JSON array (one object per feed; see the README for the fields).
        #[arg(long)]
        json: bool,
    },
    /// Write a consistent copy of the database to DEST (safe while the daemon runs).
    Backup {
        /// The TOML config file.
        #[arg(long, short, default_value = DEFAULT_CONFIG)]
        config: PathBuf,
        /// Where to write the copy (must not exist).
        dest: PathBuf,
    },
    /// Copy an SQLite database (feeds' state, items, tombstones, memberships)
    /// into PostgreSQL, for several daemons sharing it; says how many rows of
    /// each it copied. Stop the daemon first (or copy again after).
    Migrate {
        /// The SQLite database file.
        #[arg(long)]
        from: PathBuf,
        /// The PostgreSQL database: postgres://user@host:5432/dbname (the
        /// password may come from PGPASSWORD).
        #[arg(long)]
        to: String,
        /// Copy into a database that already holds feeds (rows with the same
        /// ids are overwritten; nothing is duplicated).
        #[arg(long)]
        force: bool,
    },
    /// Add the feeds of an OPML file to the config (comments and layout kept;
    /// feeds already configured are skipped; folders become tags).
    ImportOpml {
        /// The TOML config file to edit.
        #[arg(long, short, default_value = DEFAULT_CONFIG)]
        config: PathBuf,
        /// The OPML file (as exported by newsboat, Miniflux, FreshRSS, Feedly...).
        opml: PathBuf,
        /// Fetch and parse each new feed first (with a progress bar); feeds that
        /// fail are listed and not added.
        #[arg(long)]
        validate: bool,
    },
    /// Print the configured feeds as OPML 2.0.
    ExportOpml {
        /// The TOML config file.
        #[arg(long, short, default_value = DEFAULT_CONFIG)]
        config: PathBuf,
    },
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell).
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff), e.g. `tidings man > /usr/local/share/man/man1/tidings.1`.
    Man,
    /// Extract the article from pages (files or http(s) URLs).
    Extract {
        /// The page URL for file inputs (resolves links; selects site rules).
        #[arg(long)]
        url: Option<String>,
        /// What to print.
        #[arg(long, value_enum, default_value = "text")]
        format: extract::Format,
        /// Write <input file stem>.txt (.html, .json) per input into DIR.
        #[arg(long)]
        out_dir: Option<PathBuf>,
        /// Site rules from this config's [[site]] tables.
        #[arg(long, short)]
        config: Option<PathBuf>,
        /// JSON mapping file stems to {"url": …}, for many file inputs at once.
        #[arg(long, hide = true)]
        url_map: Option<PathBuf>,
        /// Extract each input N times (timing).
        #[arg(long, hide = true, default_value_t = 1)]
        repeat: usize,
        /// Run dom_smoothie alone instead (benchmark reference).
        #[arg(long, hide = true)]
        baseline: bool,
        /// Files (.gz is decompressed) or http(s) URLs.
        #[arg(required = true)]
        inputs: Vec<String>,
    },
    /// Evaluate an output's filter on items given as JSON lines; print one JSON
    /// line per item: {"id", "matched", "reasons"}.
    Filter {
        /// The TOML config file.
        #[arg(long, short, default_value = DEFAULT_CONFIG)]
        config: PathBuf,
        /// The output whose filter is used.
        #[arg(long)]
        output: String,
        /// JSON lines with id, title, summary and optionally content, link, author,
        /// categories, feed, published; `-` for standard input.
        #[arg(long)]
        jsonl: PathBuf,
    },
    /// Before a reload: which stored items would enter and leave each output
    /// under an edited config (rules, term lists, feeds, limit), and why.
    Preview {
        /// The edited config.
        #[arg(long, short, default_value = DEFAULT_CONFIG)]
        config: PathBuf,
        /// The config the daemon runs now (edit a copy of it, then preview).
        #[arg(long, default_value = DEFAULT_CONFIG)]
        current: PathBuf,
        /// Only this output.
        #[arg(long)]
        output: Option<String>,
        /// One JSON object per line and change: output, id, link, title,
        /// change ("enters" or "leaves"), reasons.
        #[arg(long)]
        json: bool,
    },
    /// Group items given as JSON lines into stories (copies of one story from
    /// several feeds), with the daemon's code and settings; print one JSON line
    /// per item: {"id", "story", "reasons"}.
    Dedup {
        /// The TOML config file (dedup_window_hours, prefer); defaults without one.
        #[arg(long, short)]
        config: Option<PathBuf>,
        /// JSON lines with id, title, summary, content, feed, published (plain
        /// text), in arrival order; `-` for standard input.
        #[arg(long)]
        jsonl: PathBuf,
        /// Print sizes and speed to stderr at the end (benchmarks).
        #[arg(long, hide = true)]
        stats: bool,
    },
}

/// Entry point used by `main`.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Completions { shell } => {
            let mut cmd = <Cli as clap::CommandFactory>::command();
            clap_complete::generate(shell, &mut cmd, "tidings", &mut std::io::stdout());
            ExitCode::SUCCESS
        }
        Command::Man => {
            let cmd = <Cli as clap::CommandFactory>::command();
            match clap_mangen::Man::new(cmd).render(&mut std::io::stdout()) {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("tidings: {e}");
                    ExitCode::FAILURE
                }
            }
        }
        Command::ExportOpml { config } => with_config(&config, |c| {
            print!("{}", crate::opml::render(&c.feeds));
            Ok(())
        }),
        Command::ImportOpml {
            config,
            opml,
            validate,
        } => with_config(&config, |c| import_opml(&c, &opml, validate)),
        Command::Migrate { from, to, force } => match migrate(&from, &to, force) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("tidings: {e:#}");
                ExitCode::FAILURE
            }
        },
        Command::Backup { config, dest } => with_config(&config, |c| {
            anyhow::ensure!(
                !dest.exists(),
                "{} already exists; choose a new file",
                dest.display()
            );
            if let Some(url) = c
                .daemon
                .database
                .to_str()
                .filter(|d| crate::store::is_postgres_url(d))
            {
                return pg_dump(url, &dest);
            }
            let store = Store::open(&c.daemon.database)?;
            store.backup(&dest)?;
            println!(
                "backed up {} to {}",
                c.daemon.database.display(),
                dest.display()
            );
            Ok(())
        }),
        Command::Check { config } => match config::load(&config) {
            Ok(c) => {
                println!(
                    "{}: ok ({} feeds, {} outputs, database {})",
                    config.display(),
                    c.feeds.len(),
                    c.outputs.len(),
                    crate::store::redact_url(&c.daemon.database.to_string_lossy())
                );
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("{e}");
                ExitCode::FAILURE
            }
        },
        Command::Preview {
            config,
            current,
            output,
            json,
        } => {
            let edited = match config::load(&config) {
                Ok(c) => c,
                Err(e) => {
                    eprintln!("{e}");
                    return ExitCode::FAILURE;
                }
            };
            with_config(&current, |c| preview(&c, &edited, output.as_deref(), json))
        }
        Command::Run { config } => with_config(&config, |c| runtime()?.block_on(run(c))),
        Command::Once { config } => with_config(&config, |c| runtime()?.block_on(once(c))),
        Command::Extract {
            url,
            format,
            out_dir,
            config,
            url_map,
            repeat,
            baseline,
            inputs,
        } => {
            let sites = match config.map(|c| config::load(&c)) {
                Some(Ok(c)) => c.sites,
                Some(Err(e)) => {
                    eprintln!("{e}");
                    return ExitCode::FAILURE;
                }
                None => Vec::new(),
            };
            let args = extract::Args {
                inputs,
                url,
                url_map,
                format,
                out_dir,
                repeat,
                sites,
                baseline,
            };
            match runtime().and_then(|rt| rt.block_on(extract::run(args))) {
                Ok(true) => ExitCode::SUCCESS,
                Ok(false) => ExitCode::FAILURE,
                Err(e) => {
                    eprintln!("tidings: {e:#}");
                    ExitCode::FAILURE
                }
            }
        }
        Command::Status { config, json } => with_config(&config, |c| status(&c, json)),
        Command::Explain {
            config,
            output,
            item,
        } => with_config(&config, |c| explain(&c, &output, &item)),
        Command::Filter {
            config,
            output,
            jsonl,
        } => with_config(&config, |c| filter(&c, &output, &jsonl)),
        Command::Dedup {
            config: Some(config),
            jsonl,
            stats,
        } => with_config(&config, |c| dedup::run(Some(&c), &jsonl, stats)),
        Command::Dedup {
            config: None,
            jsonl,
            stats,
        } => match dedup::run(None, &jsonl, stats) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("tidings: {e:#}");
                ExitCode::FAILURE
            }
        },
    }
}

fn output<'a>(config: &'a Config, name: &str) -> anyhow::Result<&'a crate::config::OutputConfig> {
    config
        .outputs
        .iter()
        .find(|o| o.name == name)
        .ok_or_else(|| {
            let names: Vec<&str> = config.outputs.iter().map(|o| o.name.as_str()).collect();
            anyhow::anyhow!("no output named {name:?} (outputs: {})", names.join(", "))
        })
}

fn import_opml(config: &Config, opml: &std::path::Path, validate: bool) -> anyhow::Result<()> {
    let text =
        std::fs::read_to_string(opml).with_context(|| format!("cannot read {}", opml.display()))?;
    let mut feeds = crate::opml::parse(&text)?;
    let current = std::fs::read_to_string(&config.path)?;
    let existing: Vec<String> = config.feeds.iter().map(|f| f.url.to_string()).collect();
    if validate {
        let fresh: Vec<_> = feeds
            .iter()
            .filter(|f| {
                !existing
                    .iter()
                    .any(|e| e.trim_end_matches('/') == f.url.trim_end_matches('/'))
            })
            .cloned()
            .collect();
        let failures = runtime()?.block_on(validate_feeds(config, &fresh))?;
        for (url, why) in &failures {
            eprintln!("not added: {url}: {why}");
        }
        feeds.retain(|f| !failures.iter().any(|(u, _)| *u == f.url));
    }
    let (updated, added) = crate::opml::add_to_config(&current, &feeds, &existing)?;
    // The edited file must still be a valid config before it replaces the old one.
    if let Err(e) = config::parse(&updated, &config.path) {
        anyhow::bail!("the OPML's feeds would make the config invalid; nothing written:\n{e}");
    }
    if added > 0 {
        let tmp = config.path.with_extension("toml.tmp");
        std::fs::write(&tmp, &updated)
            .with_context(|| format!("cannot write {}", tmp.display()))?;
        std::fs::rename(&tmp, &config.path)
            .with_context(|| format!("cannot replace {}", config.path.display()))?;
    }
    println!(
        "{}: {} feeds in the OPML, {added} added, {} already configured{}",
        config.path.display(),
        feeds.len(),
        feeds.len() - added,
        if added > 0 {
            "; reload the daemon (systemctl reload tidings) to poll them"
        } else {
            ""
        }
    );
    Ok(())
}

/// Probes each feed (8 at a time) behind a progress bar; returns the
/// failures with their reasons.
async fn validate_feeds(
    config: &Config,
    feeds: &[crate::opml::OpmlFeed],
) -> anyhow::Result<Vec<(String, String)>> {
    use futures_util::StreamExt;
    let fetcher = daemon::feed_fetcher(config)?;
    let (max_bytes, max_items) = (
        config.daemon.max_feed_bytes,
        config.daemon.max_items_per_feed,
    );
    let bar = indicatif::ProgressBar::new(feeds.len() as u64);
    bar.set_style(
        indicatif::ProgressStyle::with_template("validating {pos}/{len} feeds {wide_bar} {eta}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    let checks = futures_util::stream::iter(feeds)
        .map(|feed| {
            let (fetcher, bar) = (fetcher.clone(), bar.clone());
            async move {
                let result =
                    crate::pipeline::probe(&fetcher, &feed.url, max_bytes, max_items).await;
                bar.inc(1);
                result.err().map(|why| (feed.url.clone(), why))
            }
        })
        .buffer_unordered(8)
        .collect::<Vec<_>>()
        .await;
    bar.finish_and_clear();
    Ok(checks.into_iter().flatten().collect())
}

fn status(config: &Config, json: bool) -> anyhow::Result<()> {
    let store = Store::open(&config.daemon.database)?;
    let rows = crate::status::report(config, &store, chrono::Utc::now())?;
    if json {
        println!("{}", serde_json::to_string_pretty(&rows)?);
        return Ok(());
    }
    let width = rows
        .iter()
        .map(|r| r.name.chars().count())
        .max()
        .unwrap_or(4)
        .clamp(4, 40);
    // The address polled since a permanent redirect; "-" while it is the configured one.
    let url_width = rows
        .iter()
        .filter_map(|r| r.current_url.as_deref())
        .map(|u| u.chars().count())
        .max()
        .unwrap_or(0)
        .clamp(11, 80);
    println!(
        "{:width$}  {:<12} {:<20} {:>4} {:>6} {:>4}  {:<20}  {:<20}  {:<url_width$}  ERROR",
        "FEED",
        "STATE",
        "LAST POLL",
        "HTTP",
        "ITEMS",
        "FAIL",
        "NEXT POLL",
        "LAST NEW ITEM",
        "CURRENT URL"
    );
    let short = |t: &Option<String>| {
        t.as_deref()
            .map(|t| t.replace('T', " ").trim_end_matches('Z').to_string())
            .unwrap_or_else(|| "-".into())
    };
    for r in &rows {
        let name: String = r.name.chars().take(width).collect();
        println!(
            "{name:width$}  {:<12} {:<20} {:>4} {:>6} {:>4}  {:<20}  {:<20}  {:<url_width$}  {}",
            r.state,
            short(&r.last_poll),
            r.last_status
                .map(|s| s.to_string())
                .unwrap_or_else(|| "-".into()),
            r.items,
            r.consecutive_failures,
            short(&r.next_poll),
            short(&r.last_new_item),
            r.current_url.as_deref().unwrap_or("-"),
            r.last_error.as_deref().unwrap_or(""),
        );
    }
    Ok(())
}

fn explain(config: &Config, name: &str, query: &str) -> anyhow::Result<()> {
    let out = output(config, name)?;
    let store = Store::open(&config.daemon.database)?;
    let item = store
        .find_item(query)?
        .ok_or_else(|| anyhow::anyhow!("no stored item has the id or link {query:?}"))?;
    let member = if out.filter.is_some() {
        Some(store.is_member(name, &item.uid)?)
    } else {
        None
    };
    for line in membership::explain_stored(config, out, &item, member, chrono::Utc::now()) {
        println!("{line}");
    }
    if let Some(extraction) = store.extraction_of(&item.uid)?.filter(|e| e != "off") {
        println!("full text: {extraction}");
    }
    for line in story_lines(&store, config, out, &item)? {
        println!("{line}");
    }
    Ok(())
}

/// Which story an item is in, why, and its other copies in the output.
fn story_lines(
    store: &Store,
    config: &Config,
    out: &crate::config::OutputConfig,
    item: &crate::model::StoredItem,
) -> anyhow::Result<Vec<String>> {
    let Some(story) = item.story else {
        return Ok(vec![
            "story:   not recorded (stored before stories were kept)".into(),
        ]);
    };
    let mut lines = Vec::new();
    match store.story_reason(&item.uid)? {
        Some(reason) => lines.push(format!("story:   {reason}")),
        None => lines.push("story:   its own (the first copy seen)".into()),
    }
    let feeds: Vec<String> = config.feeds_of(out).map(|f| f.url.to_string()).collect();
    let copies = store.story_copies_of_feeds(&feeds, &[story])?;
    let others: Vec<_> = copies.iter().filter(|c| c.uid != item.uid).collect();
    if !others.is_empty() {
        lines.push(format!(
            "copies:  {} other{} in this output{}",
            others.len(),
            if others.len() == 1 { "" } else { "s" },
            if out.dedup {
                ", served as one entry"
            } else {
                " (dedup = false: each served)"
            }
        ));
        for c in others {
            lines.push(format!(
                "  urn:tidings:{} ({}) {}",
                c.uid,
                c.feed_name,
                c.link.as_deref().unwrap_or("")
            ));
            if let Some(reason) = store.story_reason(&c.uid)? {
                lines.push(format!("    {reason}"));
            }
        }
    }
    Ok(lines)
}

fn filter(config: &Config, name: &str, path: &std::path::Path) -> anyhow::Result<()> {
    let out = output(config, name)?;
    let rules = out.filter.as_ref().ok_or_else(|| {
        anyhow::anyhow!("output {name:?} has no filter: every item of its feeds is in it")
    })?;
    let reader: Box<dyn std::io::BufRead> = if path.as_os_str() == "-" {
        Box::new(std::io::stdin().lock())
    } else {
        let file =
            std::fs::File::open(path).with_context(|| format!("cannot read {}", path.display()))?;
        Box::new(std::io::BufReader::new(file))
    };
    let now = chrono::Utc::now();
    let mut stdout = std::io::stdout().lock();
    for (n, line) in reader.lines().enumerate() {
        let line = line.with_context(|| format!("{}:{}", path.display(), n + 1))?;
        if line.trim().is_empty() {
            continue;
        }
        let item: membership::JsonItem = serde_json::from_str(&line)
            .with_context(|| format!("{}:{}: not a JSON item", path.display(), n + 1))?;
        writeln!(
            stdout,
            "{}",
            membership::judge_json(rules, config, &item, now)
        )?;
    }
    Ok(())
}

fn preview(
    current: &Config,
    edited: &Config,
    only: Option<&str>,
    json: bool,
) -> anyhow::Result<()> {
    if current.daemon.database != edited.daemon.database {
        anyhow::bail!(
            "the edited config uses the database {}, the current one {}: preview compares two configs over one database",
            crate::store::redact_url(&edited.daemon.database.to_string_lossy()),
            crate::store::redact_url(&current.daemon.database.to_string_lossy())
        );
    }
    if let Some(name) = only {
        output(edited, name).or_else(|_| output(current, name))?;
    }
    let store = Store::open(&edited.daemon.database)?;
    let previews = crate::preview::preview(&store, current, edited, only, chrono::Utc::now())?;
    let mut stdout = std::io::stdout().lock();
    if json {
        for change in previews.iter().flat_map(|p| &p.changes) {
            writeln!(stdout, "{}", serde_json::to_string(change)?)?;
        }
    } else {
        write!(stdout, "{}", crate::preview::render_text(&previews))?;
    }
    Ok(())
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
    init_logging(&config.daemon.log_level, config.daemon.log_json);
    match f(config) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("tidings: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// `tidings migrate`: SQLite file → PostgreSQL, with the rows copied per table.
fn migrate(from: &std::path::Path, to: &str, force: bool) -> anyhow::Result<()> {
    anyhow::ensure!(
        crate::store::is_postgres_url(to),
        "--to must be a PostgreSQL URL (postgres://user@host:5432/dbname), not {to:?}"
    );
    let target = Store::open(std::path::Path::new(to))?;
    let started = std::time::Instant::now();
    let copied = target.copy_from_sqlite(from, force)?;
    for (table, n) in &copied {
        println!("{table:>13}: {n} rows copied");
    }
    println!(
        "copied {} into {} in {:.1}s; set database = \"{}\" in the config",
        from.display(),
        target.location(),
        started.elapsed().as_secs_f64(),
        target.location()
    );
    Ok(())
}

/// `tidings backup` on PostgreSQL: pg_dump's custom format, when pg_dump is
/// installed; else how to run it.
fn pg_dump(url: &str, dest: &std::path::Path) -> anyhow::Result<()> {
    let shown = crate::store::redact_url(url);
    let hint = format!(
        "back up a PostgreSQL database with pg_dump (safe while the daemons run): pg_dump --format=custom --file={} '{shown}'",
        dest.display()
    );
    // The password goes in pg_dump's environment, never its arguments.
    let (bare, password) = crate::store::postgres_for_libpq(url).map_err(anyhow::Error::msg)?;
    let mut command = std::process::Command::new("pg_dump");
    command
        .args(["--format=custom", "--file"])
        .arg(dest)
        .arg(&bare);
    if let Some(password) = password {
        command.env("PGPASSWORD", password);
    }
    let run = command.status();
    match run {
        Ok(s) if s.success() => {
            println!(
                "backed up {shown} to {} (pg_dump custom format; restore with pg_restore)",
                dest.display()
            );
            Ok(())
        }
        Ok(s) => anyhow::bail!("pg_dump failed ({s}); {hint}"),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            anyhow::bail!("pg_dump is not installed; {hint}")
        }
        Err(e) => anyhow::bail!("cannot run pg_dump: {e}; {hint}"),
    }
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .max_blocking_threads(crate::pipeline::blocking_threads())
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
            RefreshResult::Deferred(why) => println!(
                "{name:width$}  {:>5} {:>7} {:>9}  {secs:>6}  deferred: {why}",
                "-", "-", "-"
            ),
            RefreshResult::Gone => println!(
                "{name:width$}  {:>5} {:>7} {:>9}  {secs:>6}  gone: 410, polling stopped (remove it from the config)",
                "-", "-", "-"
            ),
            RefreshResult::Elsewhere(why) => println!(
                "{name:width$}  {:>5} {:>7} {:>9}  {secs:>6}  skipped: {why}",
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

/// tracing to stderr: level from `RUST_LOG`, else the config's `log_level`; no
/// colours unless a terminal (journald shows escape codes verbatim); JSON lines
/// with `log_format = "json"`.
fn init_logging(level: &str, json: bool) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(level));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal());
    let _ = if json {
        builder.json().try_init()
    } else {
        builder.try_init()
    };
}

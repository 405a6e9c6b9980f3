//! `tidings extract`: the extractor on files or URLs, for debugging a page and for
//! measuring the extractor (one process, many inputs, timing on stderr).

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::Context as _;

use crate::extract::{self, Article, SiteRule};
use crate::fetch::{FetchSettings, PageFetcher};

/// What to print per input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// The article text, paragraphs separated by blank lines.
    Text,
    /// The sanitised article HTML.
    Html,
    /// Title, byline, date, lead image, HTML and text as JSON.
    Json,
}

/// Arguments of `tidings extract`.
pub struct Args {
    /// INPUTs: file paths or http(s) URLs.
    pub inputs: Vec<String>,
    /// The page URL for file inputs (base for links, site rules).
    pub url: Option<String>,
    /// JSON object mapping a file stem to `{"url": …}` (as the benchmark's ground truth does).
    pub url_map: Option<PathBuf>,
    /// Output format.
    pub format: Format,
    /// Write `<stem>.<ext>` per input here instead of printing.
    pub out_dir: Option<PathBuf>,
    /// Run the extraction this many times per input (timing only).
    pub repeat: usize,
    /// Site rules from a config.
    pub sites: Vec<SiteRule>,
    /// Run dom_smoothie alone (the benchmark's reference), text only.
    pub baseline: bool,
}

/// dom_smoothie (Readability.js port) alone, as the benchmark's reference point.
fn baseline(html: &str, url: &url::Url) -> Result<Article, extract::ExtractError> {
    let config = dom_smoothie::Config {
        text_mode: dom_smoothie::TextMode::Formatted,
        ..Default::default()
    };
    let mut r = dom_smoothie::Readability::new(html, Some(url.as_str()), Some(config))
        .map_err(|_| extract::ExtractError::NoContent)?;
    let a = r.parse().map_err(|_| extract::ExtractError::NoContent)?;
    Ok(Article {
        title: Some(a.title.to_string()),
        text: a.text_content.to_string(),
        ..Default::default()
    })
}

fn stem(input: &str) -> String {
    let name = input.rsplit('/').next().unwrap_or(input);
    let mut s = name.to_string();
    for suffix in [".gz", ".html", ".htm"] {
        if let Some(x) = s.strip_suffix(suffix) {
            s = x.to_string();
        }
    }
    if s.is_empty() { "index".to_string() } else { s }
}

fn render(a: &Article, format: Format) -> String {
    match format {
        // The body only: the title is in the JSON form (and counts against
        // precision in the extraction benchmark, whose truth has no title).
        Format::Text => format!("{}\n", a.text),
        Format::Html => format!("{}\n", a.html),
        Format::Json => serde_json::to_string_pretty(a).unwrap_or_default() + "\n",
    }
}

/// Runs the command; `Ok(false)` when some input failed (reported on stderr).
pub async fn run(args: Args) -> anyhow::Result<bool> {
    let url_map: serde_json::Value = match &args.url_map {
        Some(p) => serde_json::from_str(
            &std::fs::read_to_string(p).with_context(|| format!("cannot read {}", p.display()))?,
        )
        .with_context(|| format!("{} is not JSON", p.display()))?,
        None => serde_json::Value::Null,
    };
    if let Some(dir) = &args.out_dir {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    let pages = PageFetcher::new(
        &FetchSettings {
            timeout: Duration::from_secs(30),
            connect_timeout: Duration::from_secs(10),
            max_bytes: 16 << 20,
        },
        2,
        // Fetching a URL the user typed is not a third-party link.
        true,
    )?;
    let (mut ok, mut failed, mut spent) = (0usize, 0usize, Duration::ZERO);
    let mut cpu = Some(Duration::ZERO);
    for input in &args.inputs {
        let id = stem(input);
        let (bytes, content_type, page_url) =
            if input.starts_with("http://") || input.starts_with("https://") {
                let url = url::Url::parse(input)?;
                match pages.fetch(&url).await {
                    Ok(p) => (p.bytes, p.content_type, p.final_url),
                    Err(e) => {
                        eprintln!("{input}: {e}");
                        failed += 1;
                        continue;
                    }
                }
            } else {
                let bytes = match read_file(Path::new(input)) {
                    Ok(b) => b,
                    Err(e) => {
                        eprintln!("{input}: {e}");
                        failed += 1;
                        continue;
                    }
                };
                let mapped = url_map
                    .get(&id)
                    .and_then(|v| v.get("url").or(Some(v)))
                    .and_then(|v| v.as_str());
                let url = args
                    .url
                    .as_deref()
                    .or(mapped)
                    .unwrap_or("http://localhost/");
                (
                    bytes,
                    None,
                    url::Url::parse(url).with_context(|| format!("bad --url {url}"))?,
                )
            };
        let started = Instant::now();
        let cpu_started = thread_cpu();
        let mut result = Err(extract::ExtractError::NoContent);
        for _ in 0..args.repeat.max(1) {
            let html = extract::decode_html(&bytes, content_type.as_deref());
            result = if args.baseline {
                baseline(&html, &page_url)
            } else {
                extract::article(&html, &page_url, &args.sites)
            };
        }
        spent += started.elapsed() / args.repeat.max(1) as u32;
        cpu = match (cpu, cpu_started, thread_cpu()) {
            (Some(total), Some(a), Some(b)) => {
                Some(total + b.saturating_sub(a) / args.repeat.max(1) as u32)
            }
            _ => None,
        };
        match result {
            Ok(a) => {
                ok += 1;
                let text = render(&a, args.format);
                match &args.out_dir {
                    Some(dir) => {
                        let ext = match args.format {
                            Format::Text => "txt",
                            Format::Html => "html",
                            Format::Json => "json",
                        };
                        std::fs::write(dir.join(format!("{id}.{ext}")), text)?;
                    }
                    None => print!("{text}"),
                }
            }
            Err(e) => {
                eprintln!("{input}: {e}");
                failed += 1;
            }
        }
    }
    if args.inputs.len() > 1 {
        let rate = |d: Duration| (ok + failed) as f64 / d.as_secs_f64().max(1e-9);
        // CPU time is what a busy machine does not distort.
        let cpu = cpu.map_or(String::new(), |c| {
            format!(
                " (CPU time {:.3} s, {:.0} pages/s)",
                c.as_secs_f64(),
                rate(c)
            )
        });
        eprintln!(
            "extracted {ok} of {} pages; decode + parse + extract: {:.3} s, {:.0} pages/s on one thread{cpu}",
            args.inputs.len(),
            spent.as_secs_f64(),
            rate(spent)
        );
    }
    Ok(failed == 0)
}

/// CPU time used so far by the calling thread, where the platform reports it.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn thread_cpu() -> Option<Duration> {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime only writes the timespec it is given.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    let secs = u64::try_from(ts.tv_sec).ok()?;
    let nanos = u32::try_from(ts.tv_nsec).ok()?;
    (rc == 0).then(|| Duration::new(secs, nanos))
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn thread_cpu() -> Option<Duration> {
    None
}

/// A file's bytes; `.gz` files are decompressed with the system's gzip (the
/// benchmark pages are stored compressed).
fn read_file(path: &Path) -> anyhow::Result<Vec<u8>> {
    if path.extension().is_some_and(|e| e == "gz") {
        let out = std::process::Command::new("gzip")
            .arg("-dc")
            .arg(path)
            .output()
            .context("running gzip -dc")?;
        anyhow::ensure!(
            out.status.success(),
            "gzip -dc failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        return Ok(out.stdout);
    }
    Ok(std::fs::read(path)?)
}

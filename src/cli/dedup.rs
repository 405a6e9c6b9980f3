//! `tidings dedup`: group items given as JSON lines into stories with the
//! daemon's code and settings (window, prefer), one JSON line out per item.

use std::io::{BufRead, Write};
use std::path::Path;

use anyhow::Context as _;
use chrono::{DateTime, Utc};

use crate::config::{Config, DedupConfig};
use crate::dedup::{self, Index, Signature, Verdict};

/// One input line (the `tidings filter` format; other fields are ignored).
#[derive(Debug, serde::Deserialize)]
struct Item {
    #[serde(default)]
    id: serde_json::Value,
    #[serde(default)]
    title: String,
    #[serde(default)]
    summary: String,
    #[serde(default)]
    content: String,
    #[serde(default)]
    feed: String,
    #[serde(default)]
    published: Option<DateTime<Utc>>,
}

/// What the index keeps per item.
struct Held {
    id: serde_json::Value,
    feed: String,
    story: usize,
}

/// A story: its id (its first item's) and its entry's rank in `prefer`.
struct Story {
    id: serde_json::Value,
    entry_rank: Option<usize>,
}

/// One output line, fields in this order.
#[derive(serde::Serialize)]
struct Line<'a> {
    id: &'a serde_json::Value,
    story: &'a serde_json::Value,
    reasons: Vec<String>,
}

/// Sizes, for `--stats` (what the store would keep).
#[derive(Default)]
struct Stats {
    items: usize,
    stories: usize,
    signature_bytes: usize,
    max_signature_bytes: usize,
    keys: usize,
    held: usize,
}

/// Reads `path` (`-`: stdin), writes one line per item to stdout; with
/// `stats`, sizes to stderr at the end.
pub fn run(config: Option<&Config>, path: &Path, stats: bool) -> anyhow::Result<()> {
    let settings = config.map_or_else(DedupConfig::default, |c| c.daemon.dedup.clone());
    let reader: Box<dyn BufRead> = if path.as_os_str() == "-" {
        Box::new(std::io::stdin().lock())
    } else {
        let file =
            std::fs::File::open(path).with_context(|| format!("cannot read {}", path.display()))?;
        Box::new(std::io::BufReader::with_capacity(1 << 16, file))
    };
    let window = chrono::Duration::from_std(settings.window)?;
    let mut index: Index<Held> = Index::new(settings.window);
    let mut stories: Vec<Story> = Vec::new();
    let mut last_time: Option<DateTime<Utc>> = None;
    let mut stdout = std::io::BufWriter::new(std::io::stdout().lock());
    let mut sizes = Stats::default();
    let started = std::time::Instant::now();
    let mut reader = reader;
    let mut line = Vec::new();
    for n in 1.. {
        line.clear();
        let read = reader
            .read_until(b'\n', &mut line)
            .with_context(|| format!("{}:{n}", path.display()))?;
        if read == 0 {
            break;
        }
        if line.trim_ascii().is_empty() {
            continue;
        }
        // from_slice checks the UTF-8 as it parses (no second pass).
        let item: Item = serde_json::from_slice(&line)
            .with_context(|| format!("{}:{n}: not a JSON item", path.display()))?;
        // No arrival times here: an undated item is placed at the latest time seen.
        let time = item.published.or(last_time).unwrap_or_else(Utc::now);
        last_time = Some(last_time.map_or(time, |l| l.max(time)));
        let feed = feed_name(config, &item.feed);
        let rank = settings.prefer.iter().position(|p| *p == feed);
        let signature = Signature::of(&item.title, &item.summary, &item.content);
        let keys = signature.keys();
        if stats {
            let bytes = signature.to_bytes().len();
            sizes.items += 1;
            sizes.signature_bytes += bytes;
            sizes.max_signature_bytes = sizes.max_signature_bytes.max(bytes);
            sizes.keys += keys.len();
            sizes.held = sizes.held.max(index.len() + 1);
        }
        let since = time
            .checked_sub_signed(window)
            .unwrap_or(DateTime::<Utc>::MIN_UTC);
        let mut candidates = index.candidates(&keys, since);
        // Oldest story first (see dedup::judge), its newest copy first.
        candidates.sort_by_key(|(seq, e)| (e.value.story, std::cmp::Reverse(*seq)));
        let compared: Vec<(u64, &Signature)> =
            candidates.iter().map(|(s, e)| (*s, &e.signature)).collect();
        let verdict = dedup::judge(&signature, &compared);
        let describe = |seq: &u64| {
            index.get(*seq).map_or_else(String::new, |e| {
                format!("{} ({})", plain(&e.value.id), e.value.feed)
            })
        };
        let mut reasons = verdict.reasons(describe);
        let story = match &verdict {
            Verdict::Copy { of, .. } => index.get(*of).map(|e| e.value.story),
            Verdict::New { .. } => None,
        };
        let story = match story {
            Some(s) => {
                let current = stories[s].entry_rank;
                if rank.is_some_and(|r| current.is_none_or(|c| r < c)) {
                    stories[s].entry_rank = rank;
                    reasons.push(format!(
                        "the story's entry from now on: {feed:?} comes first in prefer"
                    ));
                }
                s
            }
            None => {
                stories.push(Story {
                    id: item.id.clone(),
                    entry_rank: rank,
                });
                stories.len() - 1
            }
        };
        let line = Line {
            id: &item.id,
            story: &stories[story].id,
            reasons,
        };
        serde_json::to_writer(&mut stdout, &line)?;
        stdout.write_all(b"\n")?;
        index.insert(
            time,
            signature,
            Held {
                id: item.id,
                feed,
                story,
            },
        );
    }
    stdout.flush()?;
    if stats && sizes.items > 0 {
        let secs = started.elapsed().as_secs_f64();
        sizes.stories = stories.len();
        eprintln!(
            "{} items, {} stories, {:.1} s, {:.0} items/s; signature {:.0} bytes mean, {} max; {:.1} keys per item; at most {} items held (window {} h)",
            sizes.items,
            sizes.stories,
            secs,
            sizes.items as f64 / secs,
            sizes.signature_bytes as f64 / sizes.items as f64,
            sizes.max_signature_bytes,
            sizes.keys as f64 / sizes.items as f64,
            sizes.held,
            settings.window.as_secs() / 3600,
        );
    }
    Ok(())
}

/// The configured name of a feed given by name or URL; else as given.
fn feed_name(config: Option<&Config>, feed: &str) -> String {
    config
        .and_then(|c| {
            c.feeds
                .iter()
                .find(|f| f.name == feed || f.url.as_str() == feed)
        })
        .map_or_else(|| feed.to_string(), |f| f.name.clone())
}

/// An id as written: a string without its quotes.
fn plain(id: &serde_json::Value) -> String {
    match id {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

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
    signature_bytes: usize,
    max_signature_bytes: usize,
    keys: usize,
    held: usize,
}

/// The stories seen so far, and the window of items to compare with.
struct Grouping {
    settings: DedupConfig,
    index: Index<Held>,
    stories: Vec<Story>,
    /// Configured feed names by name or URL (see [`feed_names`]).
    names: std::collections::HashMap<String, String>,
    /// Latest publication time seen: the time of an undated item.
    latest: Option<DateTime<Utc>>,
    /// Kept only with `--stats`.
    stats: Option<Stats>,
}

impl Grouping {
    /// Places one item: its story's id and the reasons.
    fn add(&mut self, item: Item) -> anyhow::Result<(serde_json::Value, Vec<String>)> {
        // No arrival times here: an undated item is placed at the latest time seen.
        let time = item.published.or(self.latest).unwrap_or_else(Utc::now);
        self.latest = Some(self.latest.map_or(time, |l| l.max(time)));
        let feed = self
            .names
            .get(item.feed.as_str())
            .cloned()
            .unwrap_or_else(|| item.feed.clone());
        let rank = self.settings.prefer.iter().position(|p| *p == feed);
        let signature = Signature::of(&item.title, &item.summary, &item.content);
        let keys = signature.keys();
        self.measure(&signature, &keys);

        let since = time
            .checked_sub_signed(chrono::Duration::from_std(self.settings.window)?)
            .unwrap_or(DateTime::<Utc>::MIN_UTC);
        let mut candidates = self.index.candidates(&keys, since);
        // Copies come from other sources (see the `dedup` module).
        candidates.retain(|(_, e)| e.value.feed != feed);
        // Oldest story first (see dedup::judge), its newest copy first.
        candidates.sort_by_key(|(seq, e)| (e.value.story, std::cmp::Reverse(*seq)));
        let compared: Vec<(u64, &Signature)> =
            candidates.iter().map(|(s, e)| (*s, &e.signature)).collect();
        let verdict = dedup::judge(&signature, &compared);
        let held = |seq: &u64| self.index.get(*seq).map(|e| &e.value);
        let mut reasons = verdict.reasons(|seq| {
            held(seq).map_or_else(String::new, |h| format!("{} ({})", plain(&h.id), h.feed))
        });
        let joined = match &verdict {
            Verdict::Copy { of, .. } => held(of).map(|h| h.story),
            Verdict::New { .. } => None,
        };
        let story = match joined {
            Some(s) => {
                let entry = &mut self.stories[s].entry_rank;
                if rank.is_some_and(|r| entry.is_none_or(|c| r < c)) {
                    *entry = rank;
                    reasons.push(format!(
                        "the story's entry from now on: {feed:?} comes first in prefer"
                    ));
                }
                s
            }
            None => {
                self.stories.push(Story {
                    id: item.id.clone(),
                    entry_rank: rank,
                });
                self.stories.len() - 1
            }
        };
        let held = Held {
            id: item.id,
            feed,
            story,
        };
        self.index.insert(time, signature, keys, held);
        Ok((self.stories[story].id.clone(), reasons))
    }

    fn measure(&mut self, signature: &Signature, keys: &[u64]) {
        let held = self.index.len() + 1;
        let Some(s) = &mut self.stats else {
            return;
        };
        let bytes = signature.to_bytes().len();
        s.items += 1;
        s.signature_bytes += bytes;
        s.max_signature_bytes = s.max_signature_bytes.max(bytes);
        s.keys += keys.len();
        s.held = s.held.max(held);
    }

    /// The `--stats` line.
    fn summary(&self, secs: f64) -> Option<String> {
        let s = self.stats.as_ref()?;
        let n = s.items.max(1) as f64;
        Some(format!(
            "{} items, {} stories, {secs:.1} s, {:.0} items/s; signature {:.0} bytes mean, {} max; {:.1} keys per item; at most {} items held (window {} h)",
            s.items,
            self.stories.len(),
            s.items as f64 / secs,
            s.signature_bytes as f64 / n,
            s.max_signature_bytes,
            s.keys as f64 / n,
            s.held,
            self.settings.window.as_secs() / 3600,
        ))
    }
}

/// Reads `path` (`-`: stdin), writes one line per item to stdout; with
/// `stats`, sizes and speed to stderr at the end.
pub fn run(config: Option<&Config>, path: &Path, stats: bool) -> anyhow::Result<()> {
    let settings = config.map_or_else(DedupConfig::default, |c| c.daemon.dedup.clone());
    let mut reader: Box<dyn BufRead> = if path.as_os_str() == "-" {
        Box::new(std::io::stdin().lock())
    } else {
        let file =
            std::fs::File::open(path).with_context(|| format!("cannot read {}", path.display()))?;
        Box::new(std::io::BufReader::with_capacity(1 << 16, file))
    };
    let mut grouping = Grouping {
        names: feed_names(config),
        index: Index::new(settings.window),
        settings,
        stories: Vec::new(),
        latest: None,
        stats: stats.then(Stats::default),
    };
    let mut stdout = std::io::BufWriter::new(std::io::stdout().lock());
    let started = std::time::Instant::now();
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
        let id = item.id.clone();
        let (story, reasons) = grouping.add(item)?;
        let out = Line {
            id: &id,
            story: &story,
            reasons,
        };
        serde_json::to_writer(&mut stdout, &out)?;
        stdout.write_all(b"\n")?;
    }
    stdout.flush()?;
    if let Some(summary) = grouping.summary(started.elapsed().as_secs_f64()) {
        eprintln!("{summary}");
    }
    Ok(())
}

/// The configured feeds' names by name and by URL (a feed given otherwise is
/// named as given), built once rather than searched per item.
fn feed_names(config: Option<&Config>) -> std::collections::HashMap<String, String> {
    let mut names = std::collections::HashMap::new();
    for f in config.iter().flat_map(|c| &c.feeds) {
        // The first feed of a name or URL wins, as a search in order did.
        names
            .entry(f.url.to_string())
            .or_insert_with(|| f.name.clone());
        names
            .entry(f.name.clone())
            .or_insert_with(|| f.name.clone());
    }
    names
}

/// An id as written: a string without its quotes.
fn plain(id: &serde_json::Value) -> String {
    match id {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

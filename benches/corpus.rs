//! Corpus benchmark (issue "Ingest anything a real feed throws at us"): plain feed-rs
//! vs tidings' parse stage with its recovery layer (`parse::recover`) on the feeds
//! corpus in `../shared/feeds-corpus/`. `benches/corpus.sh` runs it next to Python
//! feedparser on the same files and prints the speed ratio.
//!
//! Usage: `cargo bench --bench corpus -- [CORPUS_DIR] [--list OUT.tsv] [--quiet]`
//! (`tests/corpus.rs` reuses the case loading below to assert the targets.)
//!
//! Which files: every row of `MANIFEST.tsv` (the sourced feeds), every file in `edge/`
//! except `EXPECT.json`, and every file in `big/`.
//!
//! Expected item count per file ("known count"), from the ground truth the corpus ships:
//! - `MANIFEST.tsv` column `ground_truth` naming a gofeed `X.json`: length of its `items`
//!   array (RSS / universal model) or `entries` array (Atom model); neither key = 0 items
//!   (gofeed omits empty fields);
//! - the same column naming a feed-rs `X.serde.json`: length of its `entries` array;
//! - `edge/EXPECT.json`: the `items` value when present;
//! - `big/`: the leading `<!-- items=N -->` comment.
//!
//! A parse error counts as 0 items. With `--list`, writes `path \t expected \t content-type`
//! for every file, expected empty when unknown (used by `bench.sh` to run feedparser on
//! the same files).

use std::collections::BTreeMap;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use tidings::parse::recover::{Limits, parse};

/// One corpus file and what we know about it.
pub struct Case {
    /// Path relative to the corpus root.
    pub rel: String,
    /// Absolute path.
    pub path: PathBuf,
    /// Item count the corpus's ground truth gives, if any.
    pub expected: Option<usize>,
    /// HTTP Content-Type the file should be served with, if the corpus says.
    pub content_type: Option<String>,
    source: &'static str,
}

/// Result of one parse: item count or error text, or a caught panic.
enum Outcome {
    Items(usize),
    Error(String),
    Panic,
}

impl Outcome {
    fn count(&self) -> usize {
        match self {
            Outcome::Items(n) => *n,
            _ => 0,
        }
    }
    fn show(&self) -> String {
        match self {
            Outcome::Items(n) => n.to_string(),
            Outcome::Error(e) => format!("err({})", e.chars().take(70).collect::<String>()),
            Outcome::Panic => "PANIC".to_string(),
        }
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/feeds-corpus");
    let mut list_out: Option<PathBuf> = None;
    let mut quiet = false;
    let mut i = 0;
    while i < args.len() {
        match args[i].as_str() {
            "--list" => {
                i += 1;
                list_out = Some(PathBuf::from(&args[i]));
            }
            "--quiet" => quiet = true,
            // `cargo bench` passes --bench to harness-less benchmarks.
            "--bench" => {}
            other => root = PathBuf::from(other),
        }
        i += 1;
    }
    // feed-rs panics on some inputs; the plain run catches them, keep stderr readable.
    std::panic::set_hook(Box::new(|_| {}));

    let cases = load_cases(&root);
    let known: Vec<&Case> = cases.iter().filter(|c| c.expected.is_some()).collect();
    let mut by_source: BTreeMap<&str, usize> = BTreeMap::new();
    for c in &known {
        *by_source.entry(c.source).or_default() += 1;
    }
    if let Some(out) = &list_out {
        let mut s = String::new();
        for c in &cases {
            s.push_str(&format!(
                "{}\t{}\t{}\n",
                c.path.display(),
                c.expected.map(|n| n.to_string()).unwrap_or_default(),
                c.content_type.as_deref().unwrap_or("")
            ));
        }
        std::fs::write(out, s).expect("write list");
    }

    let base = url::Url::parse("http://example.com/feed.xml").unwrap();
    let limits = Limits::default();
    let (mut t_plain, mut t_rec) = (Duration::ZERO, Duration::ZERO);
    let (mut t_plain_known, mut t_rec_known) = (Duration::ZERO, Duration::ZERO);
    let (mut m_plain, mut m_rec, mut more_plain, mut more_rec) = (0, 0, 0, 0);
    let (mut p_plain, mut p_rec) = (0, 0);
    let mut mismatches = Vec::new();
    let mut slowest: Vec<(Duration, String)> = Vec::new();
    let mut repairs_used: BTreeMap<&'static str, usize> = BTreeMap::new();
    let (mut ok_plain, mut ok_rec) = (0, 0);
    let mut worse = Vec::new();
    let mut rec_errors: BTreeMap<String, usize> = BTreeMap::new();

    for (idx, c) in cases.iter().enumerate() {
        let bytes = std::fs::read(&c.path).expect("read corpus file");
        let time_plain = || {
            let t0 = Instant::now();
            let plain = plain_feed_rs(&bytes, &base);
            (plain, t0.elapsed())
        };
        let time_rec = || {
            let t1 = Instant::now();
            let rec = catch_unwind(AssertUnwindSafe(|| {
                parse(&bytes, &base, c.content_type.as_deref(), &limits)
            }));
            (rec, t1.elapsed())
        };
        // Alternate which parser runs first, so cache warm-up favours neither.
        let ((plain, d_plain), (rec, d_rec)) = if idx % 2 == 0 {
            let p = time_plain();
            (p, time_rec())
        } else {
            let r = time_rec();
            (time_plain(), r)
        };
        let rec = match rec {
            Ok(Ok(recovered)) => {
                let feed = recovered.feed;
                for r in recovered.repairs {
                    *repairs_used.entry(r).or_default() += 1;
                }
                Outcome::Items(feed.entries.len())
            }
            Ok(Err(e)) => Outcome::Error(e.to_string()),
            Err(_) => Outcome::Panic,
        };
        t_plain += d_plain;
        t_rec += d_rec;
        slowest.push((d_rec, c.rel.clone()));
        if matches!(plain, Outcome::Panic) {
            p_plain += 1;
        }
        ok_plain += matches!(plain, Outcome::Items(_)) as usize;
        ok_rec += matches!(rec, Outcome::Items(_)) as usize;
        if let Outcome::Error(e) = &rec {
            let kind = e.split(':').next().unwrap_or("").to_string();
            *rec_errors.entry(kind).or_default() += 1;
        }
        if rec.count() < plain.count()
            || (matches!(plain, Outcome::Items(_)) && !matches!(rec, Outcome::Items(_)))
        {
            worse.push(format!(
                "  {}  feed-rs={} recover={}",
                c.rel,
                plain.show(),
                rec.show()
            ));
        }
        if matches!(rec, Outcome::Panic) {
            p_rec += 1;
        }
        if let Some(exp) = c.expected {
            t_plain_known += d_plain;
            t_rec_known += d_rec;
            if plain.count() == exp {
                m_plain += 1;
            }
            if plain.count() > exp {
                more_plain += 1;
            }
            if rec.count() == exp {
                m_rec += 1;
            } else {
                mismatches.push(format!(
                    "  {}  expected={} recover={} feed-rs={}",
                    c.rel,
                    exp,
                    rec.show(),
                    plain.show()
                ));
            }
            if rec.count() > exp {
                more_rec += 1;
            }
        }
    }

    println!("corpus: {}", root.display());
    println!("files: {}", cases.len());
    println!(
        "known-count files: {}  (by source: {:?})",
        known.len(),
        by_source
    );
    println!("matches feed-rs: {} / {}", m_plain, known.len());
    println!("matches recover: {} / {}", m_rec, known.len());
    println!(
        "more items than expected: feed-rs {} recover {}",
        more_plain, more_rec
    );
    println!("panics (all files): feed-rs {} recover {}", p_plain, p_rec);
    println!(
        "time all files: feed-rs {:.3}s recover {:.3}s",
        t_plain.as_secs_f64(),
        t_rec.as_secs_f64()
    );
    println!(
        "time known-count files: feed-rs {:.3}s recover {:.3}s",
        t_plain_known.as_secs_f64(),
        t_rec_known.as_secs_f64()
    );
    println!(
        "RECOVER_SECONDS all={:.4} known={:.4}",
        t_rec.as_secs_f64(),
        t_rec_known.as_secs_f64()
    );
    slowest.sort_by_key(|s| std::cmp::Reverse(s.0));
    println!(
        "slowest recover: {}",
        slowest
            .iter()
            .take(3)
            .map(|(d, p)| format!("{} {:.1}ms", p, d.as_secs_f64() * 1e3))
            .collect::<Vec<_>>()
            .join(", ")
    );
    println!(
        "files parsed without error: feed-rs {} recover {}",
        ok_plain, ok_rec
    );
    println!("recover errors by kind: {:?}", rec_errors);
    println!(
        "files where recover yields fewer entries than plain feed-rs (or fails where it succeeded): {}",
        worse.len()
    );
    for w in &worse {
        println!("{w}");
    }
    if !quiet {
        println!("repairs applied (files): {:?}", repairs_used);
    }
    println!(
        "mismatching known-count files (recover): {}",
        mismatches.len()
    );
    for m in &mismatches {
        println!("{m}");
    }
}

/// feed-rs alone, called as tidings did before the recovery layer.
fn plain_feed_rs(bytes: &[u8], base: &url::Url) -> Outcome {
    let parser = feed_rs::parser::Builder::new()
        .base_uri(Some(base.as_str()))
        .id_generator(|_, _, _| String::new())
        .build();
    match catch_unwind(AssertUnwindSafe(|| parser.parse(bytes))) {
        Ok(Ok(feed)) => Outcome::Items(feed.entries.len()),
        Ok(Err(e)) => Outcome::Error(e.to_string()),
        Err(_) => Outcome::Panic,
    }
}

/// Every corpus file, with its expected item count where the ground truth gives one.
pub fn load_cases(root: &Path) -> Vec<Case> {
    let mut cases = Vec::new();
    let manifest = std::fs::read_to_string(root.join("MANIFEST.tsv")).expect("MANIFEST.tsv");
    for line in manifest.lines().skip(1) {
        let cols: Vec<&str> = line.split('\t').collect();
        if cols.is_empty() || cols[0].is_empty() {
            continue;
        }
        let rel = cols[0].to_string();
        let truth = cols.get(4).copied().unwrap_or("");
        let header = cols.get(5).copied().unwrap_or("");
        let content_type = header
            .split_once(':')
            .filter(|(k, _)| k.trim().eq_ignore_ascii_case("content-type"))
            .map(|(_, v)| v.trim().to_string());
        let (expected, source) = if truth.is_empty() {
            (None, "")
        } else {
            let text = std::fs::read_to_string(root.join(truth)).expect("ground truth");
            let v: serde_json::Value = serde_json::from_str(&text).expect("ground truth json");
            if truth.ends_with(".serde.json") {
                (Some(json_len(&v, "entries")), "feed-rs serde.json entries")
            } else {
                (
                    Some(json_len(&v, "items").max(json_len(&v, "entries"))),
                    "gofeed json items/entries",
                )
            }
        };
        cases.push(Case {
            path: root.join(&rel),
            rel,
            expected,
            content_type,
            source,
        });
    }
    let expect: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(root.join("edge/EXPECT.json")).expect("EXPECT.json"),
    )
    .expect("EXPECT.json json");
    for name in sorted_dir(&root.join("edge")) {
        if name == "EXPECT.json" {
            continue;
        }
        let expected = expect
            .get(&name)
            .and_then(|e| e.get("items"))
            .and_then(|n| n.as_u64())
            .map(|n| n as usize);
        let rel = format!("edge/{name}");
        cases.push(Case {
            path: root.join(&rel),
            rel,
            expected,
            content_type: None,
            source: "edge EXPECT.json items",
        });
    }
    for name in sorted_dir(&root.join("big")) {
        let rel = format!("big/{name}");
        let path = root.join(&rel);
        let head = std::fs::read(&path).expect("big file");
        let head = String::from_utf8_lossy(&head[..head.len().min(512)]).into_owned();
        let expected = head.split_once("<!-- items=").and_then(|(_, rest)| {
            rest.split(|c: char| !c.is_ascii_digit())
                .next()?
                .parse()
                .ok()
        });
        cases.push(Case {
            path,
            rel,
            expected,
            content_type: None,
            source: "big leading comment",
        });
    }
    cases
}

fn json_len(v: &serde_json::Value, key: &str) -> usize {
    v.get(key).and_then(|a| a.as_array()).map_or(0, |a| a.len())
}

fn sorted_dir(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.filter_map(|e| e.ok())
                .filter(|e| e.path().is_file())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

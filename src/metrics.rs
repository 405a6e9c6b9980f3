//! Prometheus metrics: counters the pipeline and the server bump, rendered as
//! text on a separate listener (`[daemon] metrics_listen`), off by default so it
//! is never exposed by accident.

use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::model::RefreshResult;

/// Upper bounds (seconds) of the fetch-latency histogram buckets.
const BUCKETS: [f64; 8] = [0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0];

/// The daemon's counters. Shared (in an `Arc`) by the pipeline and the server.
#[derive(Default)]
pub struct Metrics {
    polls: [AtomicU64; 5],
    refresh_buckets: [AtomicU64; BUCKETS.len()],
    refresh_count: AtomicU64,
    refresh_micros: AtomicU64,
    items_new: AtomicU64,
    items_updated: AtomicU64,
    extractions: [AtomicU64; 3],
    output_requests: AtomicU64,
    output_not_modified: AtomicU64,
    output_renders: AtomicU64,
}

const POLL_RESULTS: [&str; 5] = ["stored", "not_modified", "deferred", "gone", "failed"];
const EXTRACTION_OUTCOMES: [&str; 3] = ["ok", "kept_feed_content", "failed"];

fn add(counter: &AtomicU64, n: u64) {
    counter.fetch_add(n, Ordering::Relaxed);
}

impl Metrics {
    /// Counts one feed refresh and its duration.
    pub fn refresh(&self, result: &RefreshResult, elapsed: std::time::Duration) {
        let i = match result {
            RefreshResult::Stored(c) => {
                add(&self.items_new, c.new as u64);
                add(&self.items_updated, c.updated as u64);
                0
            }
            RefreshResult::NotModified => 1,
            RefreshResult::Deferred(_) => 2,
            RefreshResult::Gone => 3,
            RefreshResult::Failed(_) => 4,
            // Not this daemon's poll: counted by the daemon that polled it.
            RefreshResult::Elsewhere(_) => return,
        };
        add(&self.polls[i], 1);
        let secs = elapsed.as_secs_f64();
        for (bucket, bound) in self.refresh_buckets.iter().zip(BUCKETS) {
            if secs <= bound {
                add(bucket, 1);
            }
        }
        add(&self.refresh_count, 1);
        add(&self.refresh_micros, elapsed.as_micros() as u64);
    }

    /// Counts one article extraction by its stored outcome text.
    pub fn extraction(&self, outcome: &str) {
        let i = if outcome == "ok" {
            0
        } else if outcome.starts_with("kept") {
            1
        } else {
            2
        };
        add(&self.extractions[i], 1);
    }

    /// Counts one request for an output document, and whether it was a 304.
    pub fn output_request(&self, not_modified: bool) {
        add(&self.output_requests, 1);
        if not_modified {
            add(&self.output_not_modified, 1);
        }
    }

    /// Counts one rendering of an output document (a cache miss).
    pub fn output_render(&self) {
        add(&self.output_renders, 1);
    }

    /// Prometheus text exposition; `feeds_by_state` is [`crate::status::feeds_by_state`] at scrape time.
    pub fn render(&self, feeds_by_state: &[(String, u64)]) -> String {
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        let mut out = String::new();
        let _ = writeln!(
            out,
            "# HELP tidings_feeds Feeds by state, named as tidings status names them (ok, not modified, deferred, failing, gone, never polled).\n# TYPE tidings_feeds gauge"
        );
        for (state, n) in feeds_by_state {
            let _ = writeln!(out, "tidings_feeds{{state=\"{state}\"}} {n}");
        }
        let _ = writeln!(
            out,
            "# HELP tidings_polls_total Feed refreshes by result.\n# TYPE tidings_polls_total counter"
        );
        for (name, c) in POLL_RESULTS.iter().zip(&self.polls) {
            let _ = writeln!(out, "tidings_polls_total{{result=\"{name}\"}} {}", get(c));
        }
        let _ = writeln!(
            out,
            "# HELP tidings_refresh_seconds Time to fetch, parse and store one feed.\n# TYPE tidings_refresh_seconds histogram"
        );
        for (bucket, bound) in self.refresh_buckets.iter().zip(BUCKETS) {
            let _ = writeln!(
                out,
                "tidings_refresh_seconds_bucket{{le=\"{bound}\"}} {}",
                get(bucket)
            );
        }
        let count = get(&self.refresh_count);
        let _ = writeln!(out, "tidings_refresh_seconds_bucket{{le=\"+Inf\"}} {count}");
        let _ = writeln!(
            out,
            "tidings_refresh_seconds_sum {}",
            get(&self.refresh_micros) as f64 / 1e6
        );
        let _ = writeln!(out, "tidings_refresh_seconds_count {count}");
        let _ = writeln!(
            out,
            "# HELP tidings_items_ingested_total Items stored, by kind.\n# TYPE tidings_items_ingested_total counter"
        );
        let _ = writeln!(
            out,
            "tidings_items_ingested_total{{kind=\"new\"}} {}",
            get(&self.items_new)
        );
        let _ = writeln!(
            out,
            "tidings_items_ingested_total{{kind=\"updated\"}} {}",
            get(&self.items_updated)
        );
        let _ = writeln!(
            out,
            "# HELP tidings_extractions_total Full-text extractions by outcome.\n# TYPE tidings_extractions_total counter"
        );
        for (name, c) in EXTRACTION_OUTCOMES.iter().zip(&self.extractions) {
            let _ = writeln!(
                out,
                "tidings_extractions_total{{outcome=\"{name}\"}} {}",
                get(c)
            );
        }
        let _ = writeln!(
            out,
            "# HELP tidings_output_requests_total Requests for output documents.\n# TYPE tidings_output_requests_total counter"
        );
        let _ = writeln!(
            out,
            "tidings_output_requests_total {}",
            get(&self.output_requests)
        );
        let _ = writeln!(
            out,
            "# HELP tidings_output_not_modified_total Output requests answered 304.\n# TYPE tidings_output_not_modified_total counter"
        );
        let _ = writeln!(
            out,
            "tidings_output_not_modified_total {}",
            get(&self.output_not_modified)
        );
        let _ = writeln!(
            out,
            "# HELP tidings_output_renders_total Output documents rendered (cache misses).\n# TYPE tidings_output_renders_total counter"
        );
        let _ = writeln!(
            out,
            "tidings_output_renders_total {}",
            get(&self.output_renders)
        );
        out
    }
}

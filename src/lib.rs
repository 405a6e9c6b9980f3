//! tidings: a feed aggregator daemon.
//!
//! # Layout
//! One module per stage of the data flow; plain values (defined in [`model`])
//! pass between them, and only [`pipeline`] calls more than one stage:
//!
//! ```text
//! config ──► scheduler ──(feed due)──► pipeline::refresh(feed)
//!   fetch      conditional GET, limits        ─► FetchOutcome
//!   parse      feed-rs on raw bytes, base URL ─► ParsedFeed
//!   normalize  our item key, clean titles     ─► Vec<NewItem>
//!   store      insert new / update changed    ─► StoreCounts
//! publish: GET /feeds/<output>.xml ─► store (read) ─► RSS 2.0 (cached, ETag)
//! ```
//!
//! - [`config`]: TOML → validated [`config::Config`], errors with file:line:column.
//! - [`scheduler`]: when each feed is due (cron, time zone, spread).
//! - [`fetch`]: the one HTTP client.
//! - [`filter`]: the filter language: parse, compile, evaluate, explain.
//! - [`parse`]: feed-rs, guarded against its panics; its types stop there.
//! - [`normalize`]: item identity, titles, bodies prepared once, links.
//! - [`text`]: the one home of HTML and text (to text, sanitizing, entities, links).
//! - [`extract`]: article pages → clean article HTML and text.
//! - [`store`]: one `Store` over two engines (SQLite by default, PostgreSQL for
//!   several daemons sharing the polls); the only module that knows SQL.
//! - [`membership`]: which filtered outputs an item belongs to.
//! - [`dedup`]: whether an item is a copy of a story already seen (signatures,
//!   lookup keys, the decision and its reasons); pure, storage is `store`'s.
//! - [`publish`]: the HTTP server and the renderers.
//! - [`pipeline`]: the refresh of one feed.
//! - [`daemon`]: start-up, signals, reload, shutdown; `once`.
//! - [`systemd`]: readiness and watchdog notifications.
//! - [`metrics`]: Prometheus counters, on their own listener.
//! - [`status`]: the per-feed status report and the names of feed states.
//! - [`preview`]: what a reload of an edited config would change in each output.
//! - [`opml`]: OPML import (into the TOML, comments kept) and export.
//! - [`cli`]: the subcommands.
#![deny(missing_docs)]

pub mod cli;
pub mod config;
pub mod daemon;
pub mod dedup;
pub mod extract;
pub mod fetch;
pub mod filter;
pub mod membership;
pub mod metrics;
pub mod model;
pub mod normalize;
pub mod opml;
pub mod parse;
pub mod pipeline;
pub mod preview;
pub mod publish;
pub mod scheduler;
pub mod status;
pub mod store;
pub mod systemd;
pub mod text;

//! The filter language of tidings: one rule per output decides which items the
//! output serves.
//!
//! This module owns the whole life of a rule: lexing and parsing the rule string
//! into a syntax tree (`lexer`, `parser`, `ast`), compiling it with the
//! `[terms]` lists into one Aho-Corasick pattern set plus a small boolean tree
//! (`compile`, producing `compiled`; `gate` lets regexes skip text cheaply),
//! evaluating it on items (`eval`) and explaining a verdict in words
//! (`explain`). Text normalisation that must be identical for terms and item
//! text lives in `fold`; errors and their rendering in `error`. The user-facing
//! reference is `SYNTAX.md`.
//!
//! The daemon calls [`compile()`] once per output when the config loads, keeps
//! the [`Rules`] (cheap to clone, `Send + Sync`) and calls [`Rules::matches`] per
//! item or [`Rules::explain`] for `tidings explain` and `tidings filter`.

mod ast;
mod compile;
mod compiled;
mod error;
mod eval;
mod explain;
mod fold;
mod gate;
mod lexer;
mod parser;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_errors;

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};

pub use error::FilterError;

/// Named term lists, built from the `[terms]` table of the config file.
///
/// Each entry of a list is one term, written like a term in a rule but without
/// quotes: `Seoul`, `South Korea` (a phrase), `Korea*` (prefix), `/kim\s+jong/`
/// (a regular expression, between slashes).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TermLists(BTreeMap<String, Vec<String>>);

impl TermLists {
    /// Builds the lists from `(name, entries)` pairs, e.g. the `[terms]` table.
    /// A later pair with the same name replaces an earlier one.
    pub fn new(lists: impl IntoIterator<Item = (String, Vec<String>)>) -> Self {
        TermLists(lists.into_iter().collect())
    }

    /// The entries of the list called `name` (without the `@`), if defined.
    pub fn get(&self, name: &str) -> Option<&[String]> {
        self.0.get(name).map(Vec::as_slice)
    }

    /// The names of all defined lists, sorted.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.0.keys().map(String::as_str)
    }
}

impl FromIterator<(String, Vec<String>)> for TermLists {
    fn from_iter<I: IntoIterator<Item = (String, Vec<String>)>>(iter: I) -> Self {
        TermLists::new(iter)
    }
}

/// A compiled rule, ready to evaluate. Cloning is cheap (shared internals), and
/// one `Rules` may be used from many threads at once.
#[derive(Debug, Clone)]
pub struct Rules {
    inner: Arc<compiled::Compiled>,
}

/// Compiles the rule `src`, resolving `@name` references against `terms`.
///
/// Fails with the first mistake found, located by byte offset into `src`.
pub fn compile(src: &str, terms: &TermLists) -> Result<Rules, FilterError> {
    let ast = parser::parse(src)?;
    let compiled = compile::compile(src, &ast, terms)?;
    Ok(Rules {
        inner: Arc::new(compiled),
    })
}

/// The parts of a feed item a rule can look at, borrowed from the caller.
#[derive(Debug, Clone, Copy, Default)]
pub struct ItemView<'a> {
    /// The item title (`title:`).
    pub title: &'a str,
    /// The summary or description from the feed (`summary:`).
    pub summary: &'a str,
    /// The full text, when extracted; empty otherwise (`content:`).
    pub content: &'a str,
    /// The author name(s) (`author:`).
    pub author: &'a str,
    /// The item's categories or tags from the feed (`category:`).
    pub categories: &'a [String],
    /// The item link; `domain:` looks at its host (`link:`, `domain:`).
    pub link: &'a str,
    /// The name of the feed the item came from (`feed:`).
    pub feed_name: &'a str,
    /// The tags the config gives that feed (`feed:`).
    pub feed_tags: &'a [String],
    /// When the item was published; items without a date never satisfy
    /// `newer()`, `older()`, `after()` or `before()`.
    pub published: Option<DateTime<Utc>>,
}

/// Why a rule matched an item or not, for `tidings explain` and `tidings filter`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Explanation {
    /// The verdict; always equal to what [`Rules::matches`] returns.
    pub matched: bool,
    /// One line per clause, indented by nesting, each saying whether the clause
    /// held and on which text, e.g.
    /// `✓ any(@diplomacy): 1 of 1 needed: talks` followed by
    /// `    summary: "…Kamikawa held [talks] on the sidelines…"`.
    pub reasons: Vec<String>,
    /// The terms found in clauses that held, outside any `not`, each with
    /// the fields it was found in: `Seoul (title)`. What put the item in.
    pub matched_terms: Vec<String>,
    /// The top-level clauses that failed (the parts of a top-level `and`, or
    /// the whole rule), each as its reason line: what kept the item out.
    pub failed_clauses: Vec<String>,
}

impl Rules {
    /// Whether the item passes the rule. `now` anchors `newer()` and `older()`.
    pub fn matches(&self, item: &ItemView, now: DateTime<Utc>) -> bool {
        eval::matches(&self.inner, item, now)
    }

    /// Like [`Rules::matches`], and says which clauses held on which text.
    /// Slower (it records match positions); meant for humans and tests.
    pub fn explain(&self, item: &ItemView, now: DateTime<Utc>) -> Explanation {
        explain::explain(&self.inner, item, now)
    }

    /// A one-line summary of the compiled form (term and pattern counts, the
    /// automaton kind and memory), for logs and benchmarks.
    pub fn automaton_info(&self) -> String {
        compiled::describe(&self.inner)
    }

    /// The rule source this was compiled from.
    pub fn source(&self) -> &str {
        &self.inner.src
    }
}

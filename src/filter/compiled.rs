//! The compiled form of a rule: what [`super::compile()`] produces and
//! [`super::eval`] and [`super::explain`] read. Built once per config load and
//! shared read-only between threads.

use aho_corasick::AhoCorasick;
use regex::Regex;

use super::ast::{FieldSet, Span, TimeCond};

/// A compiled rule; shared behind an `Arc` by [`super::Rules`].
#[derive(Debug)]
pub(crate) struct Compiled {
    pub src: String,
    pub root: Node,
    pub terms: Vec<Term>,
    /// Boundary requirements of each automaton pattern (indexed like it).
    pub patterns: Vec<Pattern>,
    pub automata: Vec<Automaton>,
    pub regexes: Vec<RegexTerm>,
    /// Fields the automaton must search.
    pub scan_fields: FieldSet,
    /// Fields whose folded text evaluation needs (scanned, regex or domain).
    pub text_fields: FieldSet,
    /// The rule has an `about()`: the scan counts occurrences in the summary
    /// and content, not only whether each pattern occurs.
    pub counts_mentions: bool,
}

/// A compiled `/regex/` term.
#[derive(Debug)]
pub(crate) struct RegexTerm {
    pub regex: Regex,
    /// Case-sensitive (`/../c`): runs on the original text, not the folded one.
    pub case_sensitive: bool,
    /// A literal every match contains: texts without it are skipped.
    pub gate: Option<String>,
}

/// One Aho-Corasick automaton over some of the rule's patterns.
#[derive(Debug)]
pub(crate) struct Automaton {
    pub ac: AhoCorasick,
    /// Global pattern id of each of this automaton's patterns.
    pub ids: Vec<usize>,
    /// All patterns are ASCII: the automaton must search every text. The
    /// other one only needs text containing non-ASCII bytes.
    pub ascii: bool,
}

#[derive(Debug)]
pub(crate) struct Pattern {
    pub start_boundary: bool,
    pub end_boundary: bool,
}

#[derive(Debug)]
pub(crate) struct Term {
    pub kind: TermKind,
    /// The term as the user wrote it, for explanations.
    pub display: String,
}

#[derive(Debug, PartialEq, Eq)]
pub(crate) enum TermKind {
    /// Automaton pattern `pattern`; `prefix` terms only need the start boundary.
    Literal { pattern: usize, prefix: bool },
    /// Index into `Compiled::regexes`.
    Regex(usize),
    /// A `domain:` term: the folded host, matched as itself or a parent domain.
    Domain(String),
}

#[derive(Debug)]
pub(crate) enum Node {
    And(Vec<Node>, Span),
    Or(Vec<Node>, Span),
    Not(Box<Node>, Span),
    /// At least `need` of the distinct `terms` (each searched in its fields) and
    /// `exprs` hold. A single term, `any`, `all` and `atleast` all compile here.
    Count {
        need: usize,
        terms: Vec<(usize, FieldSet)>,
        exprs: Vec<Node>,
        span: Span,
    },
    /// `about(...)`: the distinct terms (searched in title, summary and
    /// content); see [`super::eval::AboutScore`] for when it holds.
    About {
        terms: Vec<usize>,
        /// The automaton patterns of its literal terms, once each, and
        /// whether a prefix match (start boundary only) counts.
        patterns: Vec<(usize, bool)>,
        span: Span,
    },
    Time(TimeCond, Span),
}

/// See [`super::Rules::automaton_info`].
pub(crate) fn describe(c: &Compiled) -> String {
    let automata: Vec<String> = c
        .automata
        .iter()
        .map(|a| {
            let script = if a.ascii { "ASCII" } else { "non-ASCII" };
            format!(
                "{script}: {} patterns, {:?}, {} KiB",
                a.ids.len(),
                a.ac.kind(),
                a.ac.memory_usage() / 1024
            )
        })
        .collect();
    format!(
        "{} terms, {} patterns, {} regexes; automata: {}",
        c.terms.len(),
        c.patterns.len(),
        c.regexes.len(),
        automata.join("; ")
    )
}

//! Turns a syntax tree plus the `[terms]` lists into what evaluation needs:
//! every distinct literal term of the rule (lists included) folded into one
//! Aho-Corasick pattern set, explicit `/regex/` terms compiled with the regex
//! crate, and a small tree of boolean and counting nodes over term ids.
//!
//! One pattern set for the whole rule means each field of an item is folded
//! once and searched once, whatever the number of terms or fields a term is
//! scoped to; word-boundary and prefix rules are checked on the (few) hits
//! rather than encoded in regexes. The set is stored as two automata, ASCII
//! and non-ASCII patterns, so that pure-ASCII text skips the second.

use std::collections::HashMap;

use aho_corasick::{AhoCorasick, AhoCorasickKind, MatchKind};
use regex::RegexBuilder;

use super::TermLists;
use super::ast::{Ast, Field, FieldSet, Need, Span, TermSrc};
use super::compiled::{Automaton, Compiled, Node, Pattern, RegexTerm, Term, TermKind};
use super::error::FilterError;
use super::fold::{fold, needs_end_boundary, needs_start_boundary};
use super::gate::required_literal;

pub(crate) fn compile(src: &str, ast: &Ast, lists: &TermLists) -> Result<Compiled, FilterError> {
    let mut b = Builder {
        lists,
        terms: Vec::new(),
        term_ids: HashMap::new(),
        pattern_texts: Vec::new(),
        pattern_ids: HashMap::new(),
        patterns: Vec::new(),
        regexes: Vec::new(),
        scan_fields: FieldSet(0),
        other_fields: FieldSet(0),
        counts_mentions: false,
    };
    let root = b.node(ast)?;
    // Patterns are split by script: ASCII patterns in one automaton, the others
    // in a second that only runs on text that is not pure ASCII. Each stays
    // smaller (fewer byte classes, more cache-friendly), and English text,
    // the bulk of most feeds, skips the CJK patterns entirely.
    let mut automata = Vec::new();
    for ascii in [true, false] {
        let ids: Vec<usize> = (0..b.pattern_texts.len())
            .filter(|&p| b.pattern_texts[p].is_ascii() == ascii)
            .collect();
        if ids.is_empty() {
            continue;
        }
        let texts: Vec<&str> = ids.iter().map(|&p| b.pattern_texts[p].as_str()).collect();
        automata.push(Automaton {
            ac: build_automaton(&texts).map_err(|e| FilterError::new(0, src.len(), e))?,
            ids,
            ascii,
        });
    }
    let scan_fields = b.scan_fields;
    let text_fields = FieldSet(b.scan_fields.0 | b.other_fields.0);
    Ok(Compiled {
        src: src.to_string(),
        root,
        terms: b.terms,
        patterns: b.patterns,
        automata,
        regexes: b.regexes,
        scan_fields,
        text_fields,
        counts_mentions: b.counts_mentions,
    })
}

struct Builder<'l> {
    lists: &'l TermLists,
    terms: Vec<Term>,
    /// (kind: 0 regex, 1 domain, 2 literal; folded text; prefix) -> term id.
    term_ids: HashMap<(u8, String, bool), usize>,
    pattern_texts: Vec<String>,
    pattern_ids: HashMap<String, usize>,
    patterns: Vec<Pattern>,
    regexes: Vec<RegexTerm>,
    /// Fields searched by literal terms (the automaton) and by the others.
    scan_fields: FieldSet,
    other_fields: FieldSet,
    /// Some `about()` needs occurrence counts.
    counts_mentions: bool,
}

impl Builder<'_> {
    fn node(&mut self, ast: &Ast) -> Result<Node, FilterError> {
        Ok(match ast {
            Ast::And(parts, span) => Node::And(self.nodes(parts)?, *span),
            Ast::Or(parts, span) => Node::Or(self.nodes(parts)?, *span),
            Ast::Not(inner, span) => Node::Not(Box::new(self.node(inner)?), *span),
            Ast::Time(cond, span) => Node::Time(*cond, *span),
            Ast::About(args, span) => {
                let mut terms = Vec::new();
                for arg in args {
                    self.operand_terms(arg, &mut terms)?;
                }
                self.distinct_cheap_first(&mut terms);
                let ids: Vec<usize> = terms.into_iter().map(|(t, _)| t).collect();
                let mut patterns: Vec<(usize, bool)> = Vec::new();
                for &t in &ids {
                    if let TermKind::Literal { pattern, prefix } = self.terms[t].kind {
                        match patterns.iter_mut().find(|(p, _)| *p == pattern) {
                            Some(entry) => entry.1 |= prefix,
                            None => patterns.push((pattern, prefix)),
                        }
                    }
                }
                self.counts_mentions = true;
                Node::About {
                    terms: ids,
                    patterns,
                    span: *span,
                }
            }
            Ast::Term(..) | Ast::List(..) => {
                let mut terms = Vec::new();
                self.operand_terms(ast, &mut terms)?;
                self.distinct_cheap_first(&mut terms);
                Node::Count {
                    need: 1,
                    terms,
                    exprs: Vec::new(),
                    span: ast.span(),
                }
            }
            Ast::Count(need, args, span) => {
                let mut terms = Vec::new();
                let mut exprs = Vec::new();
                for arg in args {
                    match arg {
                        Ast::Term(..) | Ast::List(..) => self.operand_terms(arg, &mut terms)?,
                        other => exprs.push(self.node(other)?),
                    }
                }
                self.distinct_cheap_first(&mut terms);
                let total = terms.len() + exprs.len();
                let need = match need {
                    Need::Any => 1,
                    Need::All => total,
                    Need::AtLeast(n) => *n,
                };
                if need > total {
                    return Err(FilterError::new(
                        span.0,
                        span.1 - span.0,
                        format!(
                            "atleast({need}, ...) can never match: it has only {total} distinct terms"
                        ),
                    ));
                }
                Node::Count {
                    need,
                    terms,
                    exprs,
                    span: *span,
                }
            }
        })
    }

    /// Keeps each (term, fields) pair once, so that counts are of distinct
    /// terms, and puts regexes last: cheap automaton look-ups first, and a
    /// regex only runs when the literal terms have not settled the count.
    fn distinct_cheap_first(&self, terms: &mut Vec<(usize, FieldSet)>) {
        let mut seen = std::collections::HashSet::new();
        terms.retain(|t| seen.insert(*t));
        terms.sort_by_key(|&(t, _)| matches!(self.terms[t].kind, TermKind::Regex(_)));
    }

    fn nodes(&mut self, parts: &[Ast]) -> Result<Vec<Node>, FilterError> {
        parts.iter().map(|p| self.node(p)).collect()
    }

    /// Adds the distinct terms of a term or list operand to `out`.
    fn operand_terms(
        &mut self,
        ast: &Ast,
        out: &mut Vec<(usize, FieldSet)>,
    ) -> Result<(), FilterError> {
        match ast {
            Ast::Term(src, fs, span) => {
                let id = self.term(src, *fs, *span, None)?;
                out.push((id, *fs));
            }
            Ast::List(name, fs, span) => {
                let Some(entries) = self.lists.get(name) else {
                    let names: Vec<&str> = self.lists.names().collect();
                    let defined = if names.is_empty() {
                        "no lists are defined under [terms]".to_string()
                    } else {
                        format!("defined: {}", names.join(", "))
                    };
                    return Err(FilterError::new(
                        span.0,
                        span.1 - span.0,
                        format!("unknown term list @{name} ({defined})"),
                    ));
                };
                if entries.is_empty() {
                    return Err(FilterError::new(
                        span.0,
                        span.1 - span.0,
                        format!("term list @{name} is empty"),
                    ));
                }
                for (i, entry) in entries.iter().enumerate() {
                    let id =
                        self.term(&list_entry(entry), *fs, *span, Some((name, i + 1, entry)))?;
                    out.push((id, *fs));
                }
            }
            _ => {}
        }
        Ok(())
    }

    /// Interns a term and returns its id. `from_list` names the list entry for
    /// error messages (the error still points at the `@name` in the rule).
    fn term(
        &mut self,
        src: &TermSrc,
        fs: FieldSet,
        span: Span,
        from_list: Option<(&str, usize, &str)>,
    ) -> Result<usize, FilterError> {
        let err = |msg: String| {
            let msg = match from_list {
                Some((list, n, entry)) => {
                    format!("term list @{list}, entry {n} ({entry:?}): {msg}")
                }
                None => msg,
            };
            FilterError::new(span.0, span.1 - span.0, msg)
        };
        let key = match src {
            TermSrc::Regex {
                pattern,
                case_sensitive,
            } => (0, pattern.clone(), *case_sensitive),
            TermSrc::Literal { text, prefix } => {
                let folded = fold(text).trim().to_string();
                if folded.is_empty() {
                    return Err(err("empty term: expected letters or digits".into()));
                }
                if fs == FieldSet::one(Field::Domain) {
                    if *prefix {
                        return Err(err("domain: takes a whole domain like example.com (it already matches subdomains), not a wildcard".into()));
                    }
                    let domain = folded
                        .trim_start_matches("*.")
                        .trim_matches('.')
                        .to_string();
                    if domain.is_empty() {
                        return Err(err("expected a domain like example.com".into()));
                    }
                    (1, domain, false)
                } else {
                    (2, folded, *prefix)
                }
            }
        };
        let id = match self.term_ids.get(&key) {
            Some(&id) => id,
            None => {
                let (display, kind) = match src {
                    TermSrc::Regex {
                        pattern,
                        case_sensitive,
                    } => {
                        let compiled = RegexBuilder::new(pattern)
                            .case_insensitive(!case_sensitive)
                            .size_limit(1 << 22)
                            .build()
                            .map_err(|e| {
                                err(format!("invalid regular expression: {}", regex_message(&e)))
                            })?;
                        let gate = required_literal(pattern, *case_sensitive);
                        self.regexes.push(RegexTerm {
                            regex: compiled,
                            case_sensitive: *case_sensitive,
                            gate,
                        });
                        let flag = if *case_sensitive { "c" } else { "" };
                        (
                            format!("/{pattern}/{flag}"),
                            TermKind::Regex(self.regexes.len() - 1),
                        )
                    }
                    TermSrc::Literal { text, prefix } => {
                        let display = if *prefix {
                            format!("{text}*")
                        } else {
                            text.clone()
                        };
                        let kind = if key.0 == 1 {
                            TermKind::Domain(key.1.clone())
                        } else {
                            TermKind::Literal {
                                pattern: self.pattern(key.1.clone()),
                                prefix: *prefix,
                            }
                        };
                        (display, kind)
                    }
                };
                self.terms.push(Term { kind, display });
                self.term_ids.insert(key, self.terms.len() - 1);
                self.terms.len() - 1
            }
        };
        match self.terms[id].kind {
            TermKind::Literal { .. } => self.scan_fields.0 |= fs.0,
            _ => self.other_fields.0 |= fs.0,
        }
        Ok(id)
    }

    fn pattern(&mut self, folded: String) -> usize {
        if let Some(&p) = self.pattern_ids.get(&folded) {
            return p;
        }
        self.patterns.push(Pattern {
            start_boundary: needs_start_boundary(&folded),
            end_boundary: needs_end_boundary(&folded),
        });
        self.pattern_texts.push(folded.clone());
        self.pattern_ids.insert(folded, self.patterns.len() - 1);
        self.patterns.len() - 1
    }
}

/// A DFA is the fastest search; fall back to the default (NFA) when a huge
/// term list would make the DFA too big. No prefilter: with hundreds of
/// patterns starting with most letters it only slows the search down.
fn build_automaton(patterns: &[&str]) -> Result<AhoCorasick, String> {
    AhoCorasick::builder()
        .match_kind(MatchKind::Standard)
        .kind(Some(AhoCorasickKind::DFA))
        .prefilter(false)
        .build(patterns)
        .or_else(|_| {
            AhoCorasick::builder()
                .match_kind(MatchKind::Standard)
                .build(patterns)
        })
        .map_err(|e| format!("too many terms to compile: {e}"))
}

/// Reads one `[terms]` list entry: `/re/` is a regex, a trailing `*` a prefix,
/// anything else a literal word or phrase (no quotes needed).
fn list_entry(entry: &str) -> TermSrc {
    let e = entry.trim();
    if e.len() >= 2 && e.starts_with('/') && e.ends_with('/') {
        return TermSrc::Regex {
            pattern: e[1..e.len() - 1].to_string(),
            case_sensitive: false,
        };
    }
    if e.len() >= 3 && e.starts_with('/') && e.ends_with("/c") {
        return TermSrc::Regex {
            pattern: e[1..e.len() - 2].to_string(),
            case_sensitive: true,
        };
    }
    match e.strip_suffix('*') {
        Some(stem) if !stem.trim().is_empty() => TermSrc::Literal {
            text: stem.to_string(),
            prefix: true,
        },
        _ => TermSrc::Literal {
            text: e.to_string(),
            prefix: false,
        },
    }
}

/// The useful line of a regex error (the crate's message also draws a diagram).
fn regex_message(e: &regex::Error) -> String {
    let full = e.to_string();
    full.lines()
        .find_map(|l| l.trim().strip_prefix("error: "))
        .map_or_else(|| full.replace('\n', " "), str::to_string)
}

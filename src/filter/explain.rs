//! Explains a verdict in words: which clauses held, which did not, and for
//! terms the field and the matched words in their original context.
//!
//! It evaluates the same compiled tree as [`super::eval`] but visits every
//! clause (no short-cut) and records match positions, so it is slower and only
//! meant for `tidings explain`, `tidings filter` and tests.

use chrono::{DateTime, Utc};

use super::ast::{Field, FieldSet, Span, TimeCond};
use super::compiled::{Compiled, Node, TermKind};
use super::eval::{ABOUT_MIN_MENTIONS, ABOUT_WORDS_PER_MENTION, Ctx, time_holds, value};
use super::fold::is_word_char;
use super::{Explanation, ItemView};

/// How many matched terms of one clause get a context line.
const MAX_CONTEXTS: usize = 3;
/// Characters of context shown on each side of a match.
const CONTEXT: usize = 32;

pub(crate) fn explain(c: &Compiled, item: &ItemView, now: DateTime<Utc>) -> Explanation {
    let mut ctx = Ctx::new(true);
    ctx.load(c, item);
    let mut w = Walker {
        c,
        item,
        now,
        lines: Vec::new(),
        negated: 0,
        matched_terms: Vec::new(),
    };
    let matched = w.node(&mut ctx, &c.root, 0);
    // The top-level clauses that failed: the parts of a top-level `and` are
    // the lines at depth 1 (two spaces, then the mark), else the whole rule.
    let failed_clauses = if matched {
        Vec::new()
    } else if matches!(c.root, Node::And(..)) {
        w.lines
            .iter()
            .filter(|l| l.starts_with("  ✗"))
            .map(|l| l.trim_start().to_string())
            .collect()
    } else {
        w.lines.first().cloned().into_iter().collect()
    };
    let mut matched_terms = Vec::new();
    for t in w.matched_terms {
        if !matched_terms.contains(&t) {
            matched_terms.push(t);
        }
    }
    Explanation {
        matched,
        reasons: w.lines,
        matched_terms,
        failed_clauses,
    }
}

struct Walker<'a> {
    c: &'a Compiled,
    item: &'a ItemView<'a>,
    now: DateTime<Utc>,
    lines: Vec<String>,
    /// How many `not`s enclose the clause being explained.
    negated: usize,
    /// Terms found in clauses that held outside any `not`.
    matched_terms: Vec<String>,
}

fn mark(ok: bool) -> &'static str {
    if ok { "✓" } else { "✗" }
}

impl Walker<'_> {
    /// The clause as written in the rule, shortened for display.
    fn label(&self, span: Span) -> String {
        let text = self
            .c
            .src
            .get(span.0..span.1)
            .unwrap_or("")
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        if text.chars().count() > 70 {
            format!("{}…", text.chars().take(69).collect::<String>())
        } else {
            text
        }
    }

    /// Appends the line for a clause (filled in once its children are known).
    fn placeholder(&mut self) -> usize {
        self.lines.push(String::new());
        self.lines.len() - 1
    }

    fn node(&mut self, ctx: &mut Ctx, node: &Node, depth: usize) -> bool {
        let pad = "  ".repeat(depth);
        match node {
            Node::And(parts, span) | Node::Or(parts, span) => {
                let at = self.placeholder();
                let results: Vec<bool> =
                    parts.iter().map(|p| self.node(ctx, p, depth + 1)).collect();
                let held = results.iter().filter(|r| **r).count();
                let (ok, how) = if matches!(node, Node::And(..)) {
                    let ok = held == parts.len();
                    (
                        ok,
                        if ok {
                            format!("all {} parts hold", parts.len())
                        } else {
                            format!("{} of {} parts fail", parts.len() - held, parts.len())
                        },
                    )
                } else {
                    (
                        held > 0,
                        if held > 0 {
                            format!("{held} of {} alternatives hold", parts.len())
                        } else {
                            "no alternative holds".to_string()
                        },
                    )
                };
                self.lines[at] = format!("{pad}{} {} — {how}", mark(ok), self.label(*span));
                ok
            }
            Node::Not(inner, span) => {
                let at = self.placeholder();
                self.negated += 1;
                let inner_ok = self.node(ctx, inner, depth + 1);
                self.negated -= 1;
                let how = if inner_ok {
                    "excluded: the negated clause holds"
                } else {
                    "the negated clause does not hold"
                };
                self.lines[at] = format!("{pad}{} {} — {how}", mark(!inner_ok), self.label(*span));
                !inner_ok
            }
            Node::Time(cond, span) => {
                let ok = time_holds(*cond, self.item.published, self.now);
                let how = match self.item.published {
                    None => "the item has no date".to_string(),
                    Some(p) => {
                        let age = self.now.signed_duration_since(p);
                        let rel = match cond {
                            TimeCond::Newer(_) | TimeCond::Older(_) => {
                                format!(" ({}h old)", age.num_hours())
                            }
                            _ => String::new(),
                        };
                        format!("published {}{rel}", p.format("%Y-%m-%d %H:%M UTC"))
                    }
                };
                self.lines
                    .push(format!("{pad}{} {} — {how}", mark(ok), self.label(*span)));
                ok
            }
            Node::About {
                terms,
                patterns,
                span,
            } => {
                let score = ctx.about(self.c, self.item, terms, patterns, true);
                let found: Vec<(usize, FieldSet)> = terms
                    .iter()
                    .map(|&t| (t, ctx.term_fields(self.c, self.item, t, FieldSet::TEXT)))
                    .filter(|(_, fs)| fs.0 != 0)
                    .collect();
                let names = |only: Option<Field>| {
                    found
                        .iter()
                        .filter(|(_, fs)| only.is_none_or(|f| fs.has(f)))
                        .map(|(t, _)| self.c.terms[*t].display.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                };
                let plural = |n: usize, one: &str| {
                    if n == 1 {
                        format!("1 {one}")
                    } else {
                        format!("{n} {one}s")
                    }
                };
                let density = format!(
                    "{} in {} of summary and content",
                    plural(score.mentions, "mention"),
                    plural(score.words, "word")
                );
                let rule = format!(
                    "(needed: {ABOUT_MIN_MENTIONS}, and 1 per {ABOUT_WORDS_PER_MENTION} words)"
                );
                let how = if score.title {
                    format!(
                        "the item is about it: in the title ({})",
                        names(Some(Field::Title))
                    )
                } else if score.dominates() {
                    format!("the item is about it: {density} {rule}: {}", names(None))
                } else if found.is_empty() {
                    "not found in title, summary, content".to_string()
                } else {
                    format!(
                        "only mentioned in passing: not in the title, and {density} {rule}: {}",
                        names(None)
                    )
                };
                let ok = score.holds();
                self.lines
                    .push(format!("{pad}{} {} — {how}", mark(ok), self.label(*span)));
                for &(t, fs) in found.iter().take(MAX_CONTEXTS) {
                    if let Some(line) = self.context(ctx, t, fs) {
                        self.lines.push(format!("{pad}    {line}"));
                    }
                }
                ok
            }
            Node::Count {
                need,
                terms,
                exprs,
                span,
            } => {
                let at = self.placeholder();
                let mut found = Vec::new();
                let mut searched = FieldSet(0);
                for &(t, fs) in terms {
                    searched.0 |= fs.0;
                    let in_fields = ctx.term_fields(self.c, self.item, t, fs);
                    if in_fields.0 != 0 {
                        found.push((t, in_fields));
                    }
                }
                let mut count = found.len();
                let mut sub = Vec::new();
                for e in exprs {
                    let before = self.lines.len();
                    if self.node(ctx, e, depth + 1) {
                        count += 1;
                    }
                    sub.extend(self.lines.drain(before..));
                }
                let ok = count >= *need;
                let names: Vec<String> = found
                    .iter()
                    .map(|(t, fs)| {
                        let fields: Vec<&str> = fs.iter().map(Field::name).collect();
                        format!("{} ({})", self.c.terms[*t].display, fields.join(", "))
                    })
                    .collect();
                if ok && self.negated == 0 {
                    self.matched_terms.extend(names.iter().cloned());
                }
                let single = terms.len() + exprs.len() == 1;
                let how = if single && !terms.is_empty() {
                    match found.first() {
                        Some((_, fs)) => format!("found in {}", fields_list(*fs)),
                        None => format!("not found in {}", fields_list(searched)),
                    }
                } else if count == 0 {
                    format!("none of {} found, {need} needed", terms.len() + exprs.len())
                } else if names.is_empty() {
                    format!("{count} found, {need} needed")
                } else {
                    format!("{count} found, {need} needed: {}", names.join(", "))
                };
                self.lines[at] = format!("{pad}{} {} — {how}", mark(ok), self.label(*span));
                for &(t, fs) in found.iter().take(MAX_CONTEXTS) {
                    if let Some(line) = self.context(ctx, t, fs) {
                        self.lines.push(format!("{pad}    {line}"));
                    }
                }
                self.lines.extend(sub);
                ok
            }
        }
    }

    /// `field: "…words around [the match]…"` for the first occurrence of term
    /// `t` in the fields `fs` where it was found.
    fn context(&self, ctx: &Ctx, t: usize, fs: FieldSet) -> Option<String> {
        let (field, v, start, end) = match &self.c.terms[t].kind {
            TermKind::Literal { pattern, prefix } => {
                let h = ctx
                    .positions
                    .iter()
                    .find(|h| h.pattern == *pattern && fs.has(h.field) && (*prefix || h.exact))?;
                let mut end = h.end;
                if *prefix {
                    // Show the whole word a prefix matched ("[diplomatic]").
                    let text = &ctx.texts[h.field as usize][h.value];
                    end += text[end..]
                        .find(|c: char| !is_word_char(c))
                        .unwrap_or(text.len() - end);
                }
                (h.field, h.value, h.start, end)
            }
            TermKind::Regex(r) => {
                let (re, case_sensitive) =
                    (&self.c.regexes[*r].regex, self.c.regexes[*r].case_sensitive);
                if case_sensitive {
                    // Ran on the original text: no mapping needed.
                    return fs.iter().find_map(|f| {
                        (0..ctx.used[f as usize]).find_map(|v| {
                            let original = value(self.item, f, v);
                            re.find(original).map(|m| {
                                format!(
                                    "{}: \"{}\"",
                                    f.name(),
                                    snippet(original, m.start(), m.end())
                                )
                            })
                        })
                    });
                }
                fs.iter().find_map(|f| {
                    let texts = &ctx.texts[f as usize][..ctx.used[f as usize]];
                    texts
                        .iter()
                        .enumerate()
                        .find_map(|(v, text)| re.find(text).map(|m| (f, v, m.start(), m.end())))
                })?
            }
            TermKind::Domain(_) => {
                return Some(format!("domain: {}", value(self.item, Field::Domain, 0)));
            }
        };
        let map = ctx.maps[field as usize].get(v)?;
        let original = value(self.item, field, v);
        let (os, oe) = (*map.get(start)? as usize, *map.get(end)? as usize);
        Some(format!(
            "{}: \"{}\"",
            field.name(),
            snippet(original, os, oe)
        ))
    }
}

fn fields_list(fs: FieldSet) -> String {
    fs.iter().map(Field::name).collect::<Vec<_>>().join(", ")
}

/// `…before [match] after…` from the original text, on one line.
fn snippet(text: &str, start: usize, end: usize) -> String {
    let (Some(before), Some(hit), Some(after)) =
        (text.get(..start), text.get(start..end), text.get(end..))
    else {
        return text.to_string();
    };
    let n = before.chars().count();
    let mut pre: String = before.chars().skip(n.saturating_sub(CONTEXT)).collect();
    if n > CONTEXT {
        // Start at a word when the text has spaces, rather than mid-word.
        if let Some(i) = pre.find(char::is_whitespace) {
            pre = pre[i..].trim_start().to_string();
        }
        pre.insert(0, '…');
    }
    let mut post: String = after.chars().take(CONTEXT).collect();
    if after.chars().count() > CONTEXT {
        if let Some(i) = post.rfind(char::is_whitespace) {
            post.truncate(i);
        }
        post.push('…');
    }
    let one_line = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ");
    let lead = if pre.ends_with(char::is_whitespace) {
        " "
    } else {
        ""
    };
    let trail = if post.starts_with(char::is_whitespace) {
        " "
    } else {
        ""
    };
    format!(
        "{}{lead}[{}]{trail}{}",
        one_line(&pre),
        one_line(hit),
        one_line(&post)
    )
}

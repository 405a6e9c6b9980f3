//! The one home of HTML and text. Every stage that turns HTML into text, decodes
//! an entity, sanitizes markup, resolves a URL or decides whether a link may be
//! served calls these functions; there is no second copy "for speed".
//!
//! - [`prepare`]: a body as a source states it ([`Body`]: HTML or plain text) →
//!   sanitised HTML and plain text, once, when an item is stored;
//! - [`to_text`] / [`node_text`]: HTML (a string, or a DOM the extractor already
//!   has) → paragraphs of plain text, one rule set (blocks, skipped elements,
//!   ruby readings left out); [`serialized_text`] the same for [`sanitize`]'s
//!   output, from a byte scan;
//! - [`inline`] / [`inline_auto`]: one line of text (titles, names, categories);
//! - [`sanitize`]: the one sanitizing policy; [`is_tracking_image`] its pixel rule;
//! - [`bounded`]: untrusted HTML with its nesting capped, before any tree is built;
//! - [`safe_link`]: which links may be served (http(s) and what the user allows);
//! - [`named_entity`], [`strip_control`], [`escape_html`]: entities from the full
//!   HTML table, characters XML forbids, plain text as HTML.
//!
//! Pure functions over `&str`, linear in their input (html5ever's tokenizer for
//! scanning; trees only after [`bounded`]), and they never panic on any input.
//! No I/O, no storage.

mod builder;
mod sanitize;
mod tokens;

use std::borrow::Cow;

pub use builder::node_text;
pub(crate) use builder::{is_block, is_skipped};
pub use sanitize::{is_tracking_image, sanitize};
pub use tokens::{bounded, serialized_text, to_text};

use crate::model::{Body, HtmlText, TextKind};

/// Deepest element nesting kept in untrusted HTML (feed bodies, article pages);
/// deeper tags are unwrapped. Real pages stay far below it.
pub const MAX_DEPTH: usize = 256;

/// A body as sanitised HTML plus its plain text. HTML bodies are sanitised
/// (relative URLs resolved against `base`); plain-text bodies are escaped, so
/// `<tags>` and `&` in them stay words.
pub fn prepare(body: &Body, base: Option<&url::Url>) -> HtmlText {
    match body.kind {
        // No tag and no entity: nothing to sanitise, and the text is the
        // string itself (most feed summaries), as ammonia would serialise it.
        TextKind::Html if !body.value.contains(['<', '&']) => {
            let clean = strip_control(&body.value);
            HtmlText {
                html: clean.trim().replace('>', "&gt;"),
                text: to_text(&clean),
            }
        }
        TextKind::Html => {
            let html = sanitize(&body.value, base);
            // Sanitised HTML is serializer output: a byte scan reads its text.
            let text = serialized_text(&html).unwrap_or_else(|| to_text(&html));
            HtmlText { html, text }
        }
        TextKind::Text => {
            let text = plain_paragraphs(&body.value);
            HtmlText {
                html: escape_html(&text),
                text,
            }
        }
    }
}

/// One line of text from HTML: tags dropped, entities decoded, whitespace
/// (line breaks included) collapsed.
pub fn inline(html: &str) -> String {
    squash(&to_text(html))
}

/// One line of text from a string that may or may not be HTML (RSS titles,
/// names, categories): HTML when it [`looks_like_html`], else plain text.
pub fn inline_auto(s: &str) -> String {
    if looks_like_html(s) {
        inline(s)
    } else {
        squash(&strip_control(s))
    }
}

/// Whether a string of unknown type is HTML, as feed readers decide it: it has
/// an end tag (`</b>`) or a character reference (`&amp;`, `&#8212;`). A lone
/// `<div>` or `&` in a title is text.
pub fn looks_like_html(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'<' if b.get(i + 1) == Some(&b'/') => {
                let name = b[i + 2..]
                    .iter()
                    .take_while(|c| c.is_ascii_alphanumeric())
                    .count();
                if name > 0 && b.get(i + 2 + name) == Some(&b'>') {
                    return true;
                }
            }
            b'&' => {
                let rest = &b[i + 1..];
                let rest = rest.strip_prefix(b"#").unwrap_or(rest);
                let word = rest
                    .iter()
                    .take(32)
                    .take_while(|c| c.is_ascii_alphanumeric())
                    .count();
                if word > 0 && rest.get(word) == Some(&b';') {
                    return true;
                }
            }
            _ => {}
        }
        i += 1;
    }
    false
}

/// Runs of whitespace collapsed to single spaces, trimmed.
pub fn squash(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for w in s.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(w);
    }
    out
}

/// Plain text tidied: paragraphs (separated by blank lines) kept, each line's
/// whitespace collapsed, characters XML forbids dropped.
pub fn plain_paragraphs(s: &str) -> String {
    let s = strip_control(s);
    let mut paras: Vec<String> = Vec::new();
    let mut cur: Vec<String> = Vec::new();
    for line in s.lines() {
        let line = squash(line);
        if line.is_empty() {
            if !cur.is_empty() {
                paras.push(cur.join("\n"));
                cur.clear();
            }
        } else {
            cur.push(line);
        }
    }
    if !cur.is_empty() {
        paras.push(cur.join("\n"));
    }
    paras.join("\n\n")
}

/// Plain text (as [`plain_paragraphs`] leaves it) as HTML: special characters
/// escaped, paragraphs in `<p>`, line breaks as `<br>`. A single line stays a
/// bare escaped string.
pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 16);
    let multi = text.contains('\n');
    for (i, para) in text.split("\n\n").enumerate() {
        if multi {
            out.push_str("<p>");
        } else if i > 0 {
            out.push(' ');
        }
        for (j, line) in para.split('\n').enumerate() {
            if j > 0 {
                out.push_str("<br>");
            }
            for c in line.chars() {
                match c {
                    '&' => out.push_str("&amp;"),
                    '<' => out.push_str("&lt;"),
                    '>' => out.push_str("&gt;"),
                    '"' => out.push_str("&quot;"),
                    c => out.push(c),
                }
            }
        }
        if multi {
            out.push_str("</p>");
        }
    }
    out
}

/// Characters XML cannot carry dropped: C0 controls but tab, line feed and
/// carriage return; DEL; U+FFFE and U+FFFF. C1 controls (U+0080–U+009F) are
/// almost always Windows-1252 bytes decoded as Latin-1: they become the
/// characters Windows-1252 meant (`\u{92}` → `’`), the rest are dropped.
pub fn strip_control(s: &str) -> Cow<'_, str> {
    let bad = |c: char| {
        (c < ' ' && !matches!(c, '\t' | '\n' | '\r'))
            || ('\u{7f}'..='\u{9f}').contains(&c)
            || c == '\u{FFFE}'
            || c == '\u{FFFF}'
    };
    if !may_hold_controls(s.as_bytes()) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if !bad(c) {
            out.push(c);
        } else if ('\u{80}'..='\u{9f}').contains(&c)
            && let Some(m) = cp1252(c)
        {
            out.push(m);
        }
    }
    Cow::Owned(out)
}

/// Whether `b` may hold a character [`strip_control`] removes, on bytes (the
/// common case is clean): C0 and DEL are single bytes, C1 controls start with
/// 0xC2 0x80..=0x9F, U+FFFE/U+FFFF with 0xEF 0xBF. Chunks of 32 bytes are
/// tested branch-free first (the compiler vectorises it); only a chunk with a
/// lead byte of interest is looked at byte by byte.
fn may_hold_controls(b: &[u8]) -> bool {
    let lead = |c: u8| (c < 0x20) | (c == 0x7F) | (c == 0xC2) | (c == 0xEF);
    let exact = |i: usize| match b[i] {
        b'\t' | b'\n' | b'\r' => false,
        0..=0x1F | 0x7F => true,
        0xC2 => b.get(i + 1).is_some_and(|n| (0x80..=0x9F).contains(n)),
        0xEF => b.get(i + 1) == Some(&0xBF) && matches!(b.get(i + 2), Some(0xBE | 0xBF)),
        _ => false,
    };
    const CHUNK: usize = 32;
    let mut at = 0;
    for chunk in b.chunks(CHUNK) {
        if chunk.iter().fold(false, |any, &c| any | lead(c)) && (at..at + chunk.len()).any(exact) {
            return true;
        }
        at += chunk.len();
    }
    false
}

/// What a C1 control code stands for in Windows-1252 (the table HTML uses for
/// numeric character references in that range).
fn cp1252(c: char) -> Option<char> {
    let i = (c as u32).checked_sub(0x80)? as usize;
    html5ever::data::C1_REPLACEMENTS.get(i).copied().flatten()
}

/// The characters of the HTML named character reference `name` (without `&`
/// and `;`), from the full HTML table (2,231 names; a few stand for two code
/// points). The five XML predefines are included.
pub fn named_entity(name: &str) -> Option<(char, Option<char>)> {
    // XML's five first: escaped HTML in feeds is mostly these.
    let xml = match name {
        "lt" => Some('<'),
        "gt" => Some('>'),
        "amp" => Some('&'),
        "quot" => Some('"'),
        "apos" => Some('\''),
        _ => None,
    };
    if let Some(c) = xml {
        return Some((c, None));
    }
    if name.is_empty() || name.len() > 40 {
        return None;
    }
    // The table's keys end in `;`: the key built on the stack, not in a String.
    let mut buf = [0u8; 41];
    buf[..name.len()].copy_from_slice(name.as_bytes());
    buf[name.len()] = b';';
    let key = std::str::from_utf8(&buf[..=name.len()]).ok()?;
    let &(a, b) = html5ever::data::NAMED_ENTITIES.get(key)?;
    let first = char::from_u32(a)?;
    Some((first, char::from_u32(b).filter(|_| b != 0)))
}

/// The links we serve: absolute http(s) URLs, or one of the `extra` schemes the
/// user allowed. A relative link is resolved against `base`. `javascript:`,
/// `data:`, `vbscript:` and anything unparseable give `None`. A link already
/// absolute keeps its letter case as published (`http://item.TEST/`).
pub fn safe_link(link: &str, base: Option<&url::Url>, extra: &[String]) -> Option<String> {
    let t = link.trim();
    if t.is_empty() {
        return None;
    }
    let (url, absolute) = match url::Url::parse(t) {
        Ok(u) => (u, true),
        Err(url::ParseError::RelativeUrlWithoutBase) => (base?.join(t).ok()?, false),
        Err(_) => return None,
    };
    let scheme = url.scheme();
    if !(matches!(scheme, "http" | "https") || extra.iter().any(|s| s == scheme)) {
        return None;
    }
    if url.cannot_be_a_base() && matches!(scheme, "http" | "https") {
        return None;
    }
    // As published when it only differs from the parsed form in letter case
    // (`http://item.TEST/`); otherwise the normalised form.
    Some(if absolute && url.as_str().eq_ignore_ascii_case(t) {
        t.to_string()
    } else {
        url.to_string()
    })
}

#[cfg(test)]
mod tests;

//! XML repair, the way lenient parsers recover: one pass over the decoded text that
//! writes a well-formed document.
//!
//! - junk before the first markup (or before a later `<?xml`) is dropped; a fresh
//!   UTF-8 XML declaration is written (the text is UTF-8 now);
//! - bare `&` is escaped; HTML named entities become numeric references; entities
//!   declared in an internal DTD subset are expanded within a small budget (a "billion
//!   laughs" document is refused, not expanded); external entities are never fetched
//!   (their references are dropped); unknown entities are escaped as text;
//! - characters illegal in XML 1.0 (NUL, form feed, other C0 controls, U+FFFE/FFFF) are
//!   dropped, including as numeric references; `&#128;`..`&#159;` map through cp1252;
//! - DOCTYPE, comments and processing instructions are dropped (feed-rs ignores them);
//! - a `<` that starts no markup is escaped; attributes get quoted, de-duplicated and
//!   escaped; HTML void elements (`<br>`) are self-closed;
//! - end tags are matched against a stack: a stray one is dropped, a missing one is
//!   supplied, and a truncated document is closed; content after the root is ignored;
//! - nesting deeper than the limit is refused (the stack is explicit: no recursion).
//!
//! Feed dialect fixes plug in through [`Hook`] (see `dialect.rs`).

use std::collections::HashMap;

use super::scan::{is_name_byte, is_name_start, is_void};
use super::text::{Ctx, find, note, push_clean};

/// A start tag as it will be written; hooks may rename it or change attributes.
pub struct Tag {
    /// Qualified name (`prefix:local` or `local`).
    pub name: String,
    /// Attributes, values already escaped for a double-quoted attribute.
    pub attrs: Vec<(String, String)>,
    /// `<x/>`.
    pub self_closing: bool,
    /// Raw markup to write right after the tag.
    pub after: Option<String>,
}

impl Tag {
    /// The value of attribute `name`.
    pub fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
    /// Sets (or adds) attribute `name`.
    pub fn set_attr(&mut self, name: &str, value: &str) {
        match self.attrs.iter_mut().find(|(k, _)| k == name) {
            Some(a) => a.1 = value.to_string(),
            None => self.attrs.push((name.to_string(), value.to_string())),
        }
    }
    /// The name without its prefix.
    pub fn local(&self) -> &str {
        self.name.rsplit(':').next().unwrap_or(&self.name)
    }
}

/// Dialect normalisation hooks, called as elements are written.
pub trait Hook {
    /// Before start tag `tag` at `depth` (open elements above it) is written; may write
    /// raw markup to `out` first. Returns false to leave the tag (and its end) out.
    fn start(
        &mut self,
        tag: &mut Tag,
        depth: usize,
        out: &mut String,
        repairs: &mut Vec<&'static str>,
    ) -> bool;
    /// Before the end tag of element `name` (as written) at `depth` is written.
    fn end(&mut self, name: &str, depth: usize, out: &mut String, repairs: &mut Vec<&'static str>);
}

/// Why the repair pass gave up.
#[derive(Debug, PartialEq, Eq)]
pub enum RepairError {
    /// Nesting deeper than the limit.
    TooDeep,
    /// Internal entities would expand past the budget (billion laughs).
    EntityLimit,
    /// No element at all.
    NoRoot,
}

struct Open {
    src: String,
    out: Option<String>,
}

/// Repairs `text` into a well-formed document (see the module documentation).
pub fn repair(
    text: &str,
    max_depth: usize,
    hook: &mut dyn Hook,
    repairs: &mut Vec<&'static str>,
) -> Result<String, RepairError> {
    let b = text.as_bytes();
    let n = b.len();
    let mut out = String::with_capacity(n + n / 16 + 64);
    out.push_str("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n");
    let mut cx = Ctx {
        entities: HashMap::new(),
        expanded: 0,
        repairs,
    };
    let mut stack: Vec<Open> = Vec::new();
    let mut seen_root = false;

    // Junk before the document: start at the first '<', or at a later "<?xml" nearby.
    let mut i = b
        .iter()
        .position(|&c| c == b'<')
        .ok_or(RepairError::NoRoot)?;
    if !b[i..].starts_with(b"<?xml")
        && let Some(p) = find(b, i, b"<?xml").filter(|&p| p < 4096)
    {
        i = p;
    }
    if !text[..i].trim().is_empty() || (i > 0 && !b[i..].starts_with(b"<?xml")) {
        note(cx.repairs, "dropped junk before the document");
    } else if i > 0 {
        note(cx.repairs, "dropped whitespace before the XML declaration");
    }

    while i < n {
        let lt = b[i..].iter().position(|&c| c == b'<').map_or(n, |p| p + i);
        if lt > i {
            if stack.is_empty() {
                // Text outside the root element.
            } else {
                cx.text(&text[i..lt], false, &mut out)?;
            }
        }
        if lt >= n {
            break;
        }
        i = lt;
        let rest = &b[i..];
        if rest.starts_with(b"<!--") {
            i = find(b, i + 4, b"-->").map_or(n, |p| p + 3);
        } else if rest.starts_with(b"<![CDATA[") {
            let end = find(b, i + 9, b"]]>");
            if !stack.is_empty() {
                out.push_str("<![CDATA[");
                push_clean(&text[i + 9..end.unwrap_or(n)], &mut out, cx.repairs);
                out.push_str("]]>");
            }
            i = end.map_or(n, |p| p + 3);
        } else if rest.len() >= 9 && rest[..9].eq_ignore_ascii_case(b"<!DOCTYPE") {
            note(cx.repairs, "removed the DOCTYPE");
            i = cx.doctype(b, i + 9);
        } else if rest.starts_with(b"<!") || rest.starts_with(b"<?") {
            let close: &[u8] = if rest[1] == b'?' { b"?>" } else { b">" };
            i = find(b, i + 2, close).map_or(n, |p| p + close.len());
        } else if rest.starts_with(b"</") {
            let s = i + 2;
            let mut j = s;
            while j < n && is_name_byte(b[j]) {
                j += 1;
            }
            i = find(b, j, b">").map_or(n, |p| p + 1);
            if j == s {
                continue;
            }
            let name = &text[s..j];
            let hit = stack
                .iter()
                .rposition(|o| o.src == name)
                .or_else(|| stack.iter().rposition(|o| o.src.eq_ignore_ascii_case(name)));
            match hit {
                None => note(cx.repairs, "dropped a stray end tag"),
                Some(at) => {
                    if at + 1 < stack.len() {
                        note(cx.repairs, "closed unclosed elements");
                    }
                    while stack.len() > at {
                        close(&mut stack, hook, &mut out, cx.repairs);
                    }
                    if stack.is_empty() {
                        break; // root closed: ignore what follows
                    }
                }
            }
        } else if rest.len() > 1 && is_name_start(rest[1]) {
            let Some((mut tag, next)) = cx.start_tag(text, i + 1)? else {
                note(cx.repairs, "closed a truncated document");
                break;
            };
            i = next;
            if seen_root && stack.is_empty() {
                break; // a second root: ignore
            }
            seen_root = true;
            let local = tag.local().as_bytes();
            if !stack.is_empty() && !tag.self_closing && !tag.name.contains(':') && is_void(local) {
                tag.self_closing = true;
            }
            if !tag.self_closing && stack.len() + 1 > max_depth {
                return Err(RepairError::TooDeep);
            }
            let src = tag.name.clone();
            let emit = hook.start(&mut tag, stack.len(), &mut out, cx.repairs);
            if emit {
                write_tag(&tag, &mut out);
            }
            if let Some(after) = &tag.after {
                out.push_str(after);
            }
            if !tag.self_closing {
                stack.push(Open {
                    src,
                    out: emit.then_some(tag.name),
                });
            } else if stack.is_empty() {
                break;
            }
        } else {
            if !stack.is_empty() {
                out.push_str("&lt;");
                note(cx.repairs, "escaped a stray <");
            }
            i += 1;
        }
    }
    if !seen_root {
        return Err(RepairError::NoRoot);
    }
    if !stack.is_empty() {
        note(cx.repairs, "closed a truncated document");
        while !stack.is_empty() {
            close(&mut stack, hook, &mut out, cx.repairs);
        }
    }
    Ok(out)
}

fn close(
    stack: &mut Vec<Open>,
    hook: &mut dyn Hook,
    out: &mut String,
    repairs: &mut Vec<&'static str>,
) {
    if let Some(open) = stack.pop() {
        let name = open.out.as_deref().unwrap_or("");
        hook.end(name, stack.len(), out, repairs);
        if let Some(name) = open.out {
            out.push_str("</");
            out.push_str(&name);
            out.push('>');
        }
    }
}

/// Writes `tag` as markup.
pub fn write_tag(tag: &Tag, out: &mut String) {
    out.push('<');
    out.push_str(&tag.name);
    for (k, v) in &tag.attrs {
        out.push(' ');
        out.push_str(k);
        out.push_str("=\"");
        out.push_str(v);
        out.push('"');
    }
    out.push_str(if tag.self_closing { "/>" } else { ">" });
}

impl Ctx<'_> {
    /// Parses a start tag whose name begins at `s`; `None` when the document ends inside it.
    fn start_tag(&mut self, text: &str, s: usize) -> Result<Option<(Tag, usize)>, RepairError> {
        let b = text.as_bytes();
        let n = b.len();
        let mut i = s;
        while i < n && is_name_byte(b[i]) {
            i += 1;
        }
        let mut tag = Tag {
            name: text[s..i].to_string(),
            attrs: Vec::new(),
            self_closing: false,
            after: None,
        };
        loop {
            while i < n && b[i].is_ascii_whitespace() {
                i += 1;
            }
            if i >= n {
                return Ok(None);
            }
            match b[i] {
                b'>' => return Ok(Some((tag, i + 1))),
                b'/' if b.get(i + 1) == Some(&b'>') => {
                    tag.self_closing = true;
                    return Ok(Some((tag, i + 2)));
                }
                b'<' => {
                    note(self.repairs, "closed an unterminated tag");
                    return Ok(Some((tag, i)));
                }
                _ => {}
            }
            let ns = i;
            while i < n
                && !b[i].is_ascii_whitespace()
                && !matches!(b[i], b'=' | b'>' | b'<' | b'/' | b'"' | b'\'')
            {
                i += 1;
            }
            if i == ns {
                i += 1; // stray quote or slash
                continue;
            }
            let key = &text[ns..i];
            while i < n && b[i].is_ascii_whitespace() {
                i += 1;
            }
            let value: &str;
            if b.get(i) == Some(&b'=') {
                i += 1;
                while i < n && b[i].is_ascii_whitespace() {
                    i += 1;
                }
                match b.get(i) {
                    None => return Ok(None),
                    Some(&q @ (b'"' | b'\'')) => {
                        let Some(end) = b[i + 1..].iter().position(|&c| c == q) else {
                            return Ok(None);
                        };
                        value = &text[i + 1..i + 1 + end];
                        i += end + 2;
                    }
                    Some(_) => {
                        let vs = i;
                        while i < n && !b[i].is_ascii_whitespace() && b[i] != b'>' {
                            i += 1;
                        }
                        value = &text[vs..i];
                        note(self.repairs, "quoted an attribute value");
                    }
                }
            } else {
                value = key;
            }
            let valid = is_name_start(key.as_bytes()[0]) && key.bytes().all(is_name_byte);
            if !valid || tag.attrs.iter().any(|(k, _)| k == key) {
                note(self.repairs, "dropped a bad or duplicate attribute");
                continue;
            }
            let mut v = String::with_capacity(value.len());
            self.text(value, true, &mut v)?;
            tag.attrs.push((key.to_string(), v));
        }
    }
}

/// Removes the element whose start tag ends at byte `pos` of `doc` (feed-rs reports
/// errors at that position), with everything inside it. `None` if none is found.
pub fn drop_element_at(doc: &str, pos: usize) -> Option<String> {
    let b = doc.as_bytes();
    let pos = pos.min(b.len());
    let start = b[..pos].iter().rposition(|&c| c == b'<')?;
    if !is_name_start(*b.get(start + 1)?) {
        return None;
    }
    let gt = find(b, start, b">")?;
    if b[gt - 1] == b'/' {
        return Some(format!("{}{}", &doc[..start], &doc[gt + 1..]));
    }
    // Walk forward to the matching end tag (the document is well-formed by now).
    let mut depth = 0usize;
    let mut i = gt + 1;
    while let Some(p) = find(b, i, b"<") {
        let q = find(b, p, b">")?;
        if b[p..].starts_with(b"<![CDATA[") {
            i = find(b, p, b"]]>")? + 3;
            continue;
        }
        if b[p + 1] == b'/' {
            if depth == 0 {
                return Some(format!("{}{}", &doc[..start], &doc[q + 1..]));
            }
            depth -= 1;
        } else if b[q - 1] != b'/' && b[p + 1] != b'?' && b[p + 1] != b'!' {
            depth += 1;
        }
        i = q + 1;
    }
    None
}

//! A cheap single pass over an ASCII-compatible document, run before the fast path:
//! does it hold anything feed-rs would silently mishandle (control characters, HTML or
//! DTD-declared entities, which feed-rs passes through as literal text), how many
//! `item`/`entry` elements does it hold (to notice a parse that lost entries), and is it
//! nested deeper than the limit.

use super::is_predefined;

/// What [`scan`] found.
#[derive(Debug, Default, Clone, Copy)]
pub struct Scan {
    /// Nesting went past the depth limit (the repair pass then decides for sure).
    pub too_deep: bool,
    /// Number of start tags whose local name is `item` or `entry`.
    pub items: usize,
    /// The document needs the repair pass even if feed-rs would accept it.
    pub needs_repair: bool,
}

/// HTML elements that never have content; unclosed in escaped-less feed HTML.
pub(crate) fn is_void(name: &[u8]) -> bool {
    matches!(
        name,
        b"br"
            | b"hr"
            | b"img"
            | b"wbr"
            | b"input"
            | b"meta"
            | b"area"
            | b"col"
            | b"embed"
            | b"param"
    )
}

/// True for bytes that may continue an XML name (lenient: any non-ASCII byte).
pub(crate) fn is_name_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.' | b':') || b >= 0x80
}

/// True for bytes that may start an XML name.
pub(crate) fn is_name_start(b: u8) -> bool {
    b.is_ascii_alphabetic() || b == b'_' || b >= 0x80
}

/// True for a code point XML 1.0 allows in a document.
pub(crate) fn xml_char_ok(c: u32) -> bool {
    matches!(c, 0x9 | 0xA | 0xD | 0x20..=0xD7FF | 0xE000..=0xFFFD | 0x10000..=0x10FFFF)
}

/// Namespaces of dialects feed-rs reads as "unknown" (Atom 0.3, RSS 0.90, RSS 1.1,
/// UserLand RSS 2.0).
const OLD_NAMESPACES: [&[u8]; 4] = [
    b"http://purl.org/atom/ns#",
    b"http://my.netscape.com/rdf/simple/0.9/",
    b"http://purl.org/net/rss1.1#",
    b"http://backend.userland.com/rss",
];

fn find(b: &[u8], from: usize, pat: &[u8]) -> Option<usize> {
    b.get(from..)?
        .windows(pat.len())
        .position(|w| w == pat)
        .map(|p| p + from)
}

/// Scans `b` (see the module documentation).
pub fn scan(b: &[u8], max_depth: usize) -> Scan {
    let mut s = Scan::default();
    let mut depth = 0usize;
    let mut i = 0;
    let n = b.len();
    while i < n {
        let Some(off) = b[i..].iter().position(|&c| {
            c == b'<' || c == b'&' || (c < 0x20 && c != b'\t' && c != b'\n' && c != b'\r')
        }) else {
            break;
        };
        i += off;
        match b[i] {
            b'&' => {
                let (ok, next) = reference_ok(b, i);
                s.needs_repair |= !ok;
                i = next;
            }
            b'<' => {
                let rest = &b[i..];
                if rest.starts_with(b"<!--") {
                    i = find(b, i + 4, b"-->").map_or(n, |p| p + 3);
                } else if rest.starts_with(b"<![CDATA[") {
                    i = find(b, i + 9, b"]]>").map_or(n, |p| p + 3);
                } else if rest.starts_with(b"<!") {
                    // DOCTYPE: an internal subset may declare entities feed-rs won't expand.
                    let end = find(b, i, b">").unwrap_or(n);
                    if b[i..end].contains(&b'[') {
                        s.needs_repair = true;
                        i = find(b, i, b"]>").map_or(n, |p| p + 2);
                    } else {
                        i = end + 1;
                    }
                } else if rest.starts_with(b"<?") {
                    i = find(b, i + 2, b"?>").map_or(n, |p| p + 2);
                } else if rest.starts_with(b"</") {
                    depth = depth.saturating_sub(1);
                    i = find(b, i, b">").map_or(n, |p| p + 1);
                } else {
                    let start = i + 1;
                    let mut j = start;
                    while j < n && is_name_byte(b[j]) {
                        j += 1;
                    }
                    let name = &b[start..j];
                    let local = name.rsplit(|&c| c == b':').next().unwrap_or(name);
                    if local == b"item" || local == b"entry" {
                        s.items += 1;
                    }
                    // Find the end of the tag, skipping quoted attribute values.
                    let mut quote = 0u8;
                    while j < n {
                        let c = b[j];
                        if quote != 0 {
                            if c == quote {
                                quote = 0;
                            }
                        } else if c == b'"' || c == b'\'' {
                            quote = c;
                        } else if c == b'>' {
                            break;
                        }
                        j += 1;
                    }
                    if depth == 0 && !name.is_empty() {
                        // Root element in a namespace feed-rs does not know: repair path.
                        let tag = &b[start..j.min(n)];
                        s.needs_repair |=
                            OLD_NAMESPACES.iter().any(|ns| find(tag, 0, ns).is_some());
                    }
                    let self_closing = j > 0 && j < n && b[j - 1] == b'/';
                    if !name.is_empty() && !self_closing && !is_void(name) {
                        depth += 1;
                        if depth > max_depth {
                            s.too_deep = true;
                            return s;
                        }
                    }
                    i = j + 1;
                }
            }
            _ => {
                s.needs_repair = true;
                i += 1;
            }
        }
    }
    s
}

/// Whether the reference at `b[i] == b'&'` is one feed-rs handles correctly (a legal
/// character reference or a predefined entity), and where scanning continues.
fn reference_ok(b: &[u8], i: usize) -> (bool, usize) {
    let mut j = i + 1;
    if b.get(j) == Some(&b'#') {
        j += 1;
        let hex = matches!(b.get(j), Some(b'x' | b'X'));
        if hex {
            j += 1;
        }
        let digits = j;
        let mut v: u32 = 0;
        while let Some(&c) = b.get(j) {
            let d = match c {
                b'0'..=b'9' => c - b'0',
                b'a'..=b'f' if hex => c - b'a' + 10,
                b'A'..=b'F' if hex => c - b'A' + 10,
                _ => break,
            };
            v = v
                .saturating_mul(if hex { 16 } else { 10 })
                .saturating_add(d as u32);
            j += 1;
        }
        let ok =
            j > digits && b.get(j) == Some(&b';') && xml_char_ok(v) && !(0x80..=0x9F).contains(&v);
        return (ok, j);
    }
    while j < b.len() && j - i < 40 && is_name_byte(b[j]) {
        j += 1;
    }
    let name = std::str::from_utf8(&b[i + 1..j]).unwrap_or("");
    (b.get(j) == Some(&b';') && is_predefined(name), j)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_items_and_flags() {
        let s = scan(
            b"<rss><channel><item/><item><title>a &amp; b</title></item></channel></rss>",
            64,
        );
        assert_eq!(s.items, 2);
        assert!(!s.needs_repair && !s.too_deep);
        assert!(scan(b"<rss><title>a & b</title></rss>", 64).needs_repair);
        assert!(scan(b"<rss><title>a&nbsp;b</title></rss>", 64).needs_repair);
        assert!(scan(b"<rss><title>a\x0cb</title></rss>", 64).needs_repair);
        assert!(!scan(b"<rss><title><![CDATA[a & b]]></title></rss>", 64).needs_repair);
        assert!(scan(&b"<a>".repeat(100), 64).too_deep);
        assert!(!scan(&b"<a><br></a>".repeat(100), 64).too_deep);
        assert!(
            scan(
                b"<feed xmlns=\"http://purl.org/atom/ns#\"><title>x</title></feed>",
                64
            )
            .needs_repair
        );
    }
}

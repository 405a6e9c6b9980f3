//! Text folding and word boundaries: the normalisation applied identically to
//! rule terms and to item text, so that matching is a plain byte search.
//!
//! Folding is NFKC (full-width forms, ligatures, compatibility characters become
//! their plain equivalents), then Unicode lower-casing, with every run of white
//! space collapsed to one ASCII space and invisible format characters (soft
//! hyphen, zero-width space/joiners, BOM) dropped. NFKC is applied per combining
//! sequence rather than over the whole text so that every folded byte can be
//! mapped back to the original character it came from (for `explain`); the
//! sequences are chosen so that the result equals whole-text NFKC for all real
//! text (combining marks, conjoining Hangul jamo, half-width kana voicing marks).

use unicode_normalization::char::canonical_combining_class;
use unicode_normalization::{IsNormalized, UnicodeNormalization, is_nfkc_quick};

/// Folds `src` into `out` (cleared first). When `map` is given, it receives one
/// entry per byte of `out` plus one: the byte offset in `src` of the character
/// that produced it (the last entry is `src.len()`).
pub(crate) fn fold_into(src: &str, out: &mut String, map: Option<&mut Vec<u32>>) {
    out.clear();
    match map {
        None => fold_str(src, out, &mut NoMap),
        Some(m) => {
            m.clear();
            fold_str(src, out, m);
            m.push(src.len() as u32);
        }
    }
}

/// Convenience for terms: the folded form of `s`, without a map.
pub(crate) fn fold(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    fold_into(s, &mut out, None);
    out
}

/// Receives the source offset of each output byte; a no-op when not explaining
/// (a separate type so the hot loop is compiled without the bookkeeping).
trait MapSink {
    /// `n` output bytes all produced by the character at `at`.
    fn same(&mut self, at: usize, n: usize);
    /// `n` output bytes copied unchanged from `at..at + n`, which holds
    /// characters of `width` bytes each.
    fn copied(&mut self, at: usize, n: usize, width: usize);
}

struct NoMap;

impl MapSink for NoMap {
    #[inline(always)]
    fn same(&mut self, _: usize, _: usize) {}
    #[inline(always)]
    fn copied(&mut self, _: usize, _: usize, _: usize) {}
}

impl MapSink for Vec<u32> {
    fn same(&mut self, at: usize, n: usize) {
        self.extend(std::iter::repeat_n(at as u32, n));
    }
    fn copied(&mut self, at: usize, n: usize, width: usize) {
        // Every byte of a character maps to the character's start.
        self.extend((0..n).map(|k| (at + k - k % width) as u32));
    }
}

fn is_ascii_space(b: u8) -> bool {
    b == b' ' || (b'\t'..=b'\r').contains(&b)
}

fn fold_str(src: &str, out: &mut String, map: &mut impl MapSink) {
    let bytes = src.as_bytes();
    // Whether the output ends in a (collapsed) space.
    let mut space = false;
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] < 0x80 {
            // A run of ASCII: copy the stretches between white-space oddities
            // (anything but a single ' ') in bulk, then lower-case them in place.
            let mut end = bytes[i..]
                .iter()
                .position(|&b| b >= 0x80)
                .map_or(bytes.len(), |n| i + n);
            if end < bytes.len() && starts_sequence_continuation(&src[end..]) {
                // The last ASCII letter combines with the mark after it.
                end -= 1;
            }
            while i < end {
                let run = &bytes[i..end];
                let plain = run
                    .iter()
                    .enumerate()
                    .position(|(k, &b)| {
                        (b'\t'..=b'\r').contains(&b)
                            || (b == b' '
                                && ((k == 0 && space)
                                    || run.get(k + 1).is_some_and(|&n| is_ascii_space(n))))
                    })
                    .unwrap_or(run.len());
                if plain > 0 {
                    let at = out.len();
                    out.push_str(&src[i..i + plain]);
                    out[at..].make_ascii_lowercase();
                    map.copied(i, plain, 1);
                    space = run[plain - 1] == b' ';
                    i += plain;
                }
                // Then a white-space run becomes at most one space.
                let ws = bytes[i..end]
                    .iter()
                    .position(|&b| !is_ascii_space(b))
                    .unwrap_or(end - i);
                if ws > 0 {
                    if !space {
                        out.push(' ');
                        map.same(i, 1);
                        space = true;
                    }
                    i += ws;
                }
            }
            if i < bytes.len() && bytes[i] < 0x80 {
                i = push_sequence(src, i, out, map, &mut space);
            }
            continue;
        }
        let c = src[i..].chars().next().unwrap_or('\u{FFFD}');
        let next = i + c.len_utf8();
        if is_stable(c) {
            // A run of Hangul/kana/ideographs folds to itself: copy it whole.
            // All of them are 3 bytes long in UTF-8.
            let mut end = next;
            while src[end..].chars().next().is_some_and(is_stable) {
                end += 3;
            }
            if end < bytes.len() && bytes[end] >= 0x80 && starts_sequence_continuation(&src[end..])
            {
                end -= 3; // the last one combines with what follows
            }
            if end > i {
                out.push_str(&src[i..end]);
                map.copied(i, end - i, 3);
                space = false;
                i = end;
                continue;
            }
        }
        let simple = is_stable(c) || is_nfkc_quick(std::iter::once(c)) == IsNormalized::Yes;
        if simple
            && !(next < bytes.len()
                && bytes[next] >= 0x80
                && starts_sequence_continuation(&src[next..]))
        {
            push_char(c, i, out, map, &mut space);
            i = next;
        } else {
            i = push_sequence(src, i, out, map, &mut space);
        }
    }
}

/// Folds the combining sequence starting at `src[start]` through NFKC and
/// returns the offset after it.
fn push_sequence(
    src: &str,
    start: usize,
    buf: &mut String,
    map: &mut impl MapSink,
    space: &mut bool,
) -> usize {
    let mut chars = src[start..].char_indices();
    let mut end = start;
    if let Some((_, c)) = chars.next() {
        end += c.len_utf8();
    }
    for (j, d) in chars {
        if !continues_sequence(d) {
            break;
        }
        end = start + j + d.len_utf8();
    }
    for n in src[start..end].nfkc() {
        push_char(n, start, buf, map, space);
    }
    end
}

fn starts_sequence_continuation(rest: &str) -> bool {
    rest.chars().next().is_some_and(continues_sequence)
}

/// Characters that fold to themselves and never combine with a neighbour:
/// Hangul syllables, kana, CJK ideographs (the bulk of CJK text), checked by
/// range to skip the table look-ups.
fn is_stable(c: char) -> bool {
    matches!(c as u32, 0xAC00..=0xD7A3 | 0x3041..=0x3096 | 0x30A1..=0x30FA | 0x4E00..=0x9FFF | 0x3400..=0x4DBF)
}

fn push_char(c: char, at: usize, out: &mut String, map: &mut impl MapSink, space: &mut bool) {
    if c.is_whitespace() {
        if !*space {
            *space = true;
            out.push(' ');
            map.same(at, 1);
        }
        return;
    }
    if matches!(
        c,
        '\u{AD}' | '\u{200B}'..='\u{200D}' | '\u{2060}' | '\u{FEFF}'
    ) {
        return;
    }
    *space = false;
    if is_stable(c) || c.is_ascii() {
        out.push(c.to_ascii_lowercase());
        map.same(at, c.len_utf8());
        return;
    }
    for l in c.to_lowercase() {
        out.push(l);
        map.same(at, l.len_utf8());
    }
}

/// Characters that NFKC may merge into the preceding one.
fn continues_sequence(c: char) -> bool {
    !c.is_ascii()
        && !is_stable(c)
        && (canonical_combining_class(c) != 0
            || matches!(c as u32, 0x1160..=0x11FF | 0xD7B0..=0xD7FF | 0xFF9E | 0xFF9F | 0x3099 | 0x309A))
}

/// Scripts written without spaces between words: terms in them match anywhere
/// (as substrings), and their characters never form part of a Latin word.
pub(crate) fn is_unspaced(c: char) -> bool {
    matches!(c as u32,
        0x1100..=0x11FF | 0x3040..=0x30FF | 0x3130..=0x318F | 0x31F0..=0x31FF
        | 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xA960..=0xA97F | 0xAC00..=0xD7FF
        | 0xF900..=0xFAFF | 0xFF66..=0xFF9F | 0x20000..=0x3FFFF
        // Thai, Lao, Myanmar, Khmer.
        | 0x0E00..=0x0EFF | 0x1000..=0x109F | 0x1780..=0x17FF)
}

/// Characters that make up words in spaced scripts (Latin, Cyrillic, Greek, …).
pub(crate) fn is_word_char(c: char) -> bool {
    if c.is_ascii() {
        return c.is_ascii_alphanumeric() || c == '_';
    }
    (c.is_alphanumeric() || canonical_combining_class(c) != 0) && !is_unspaced(c)
}

/// Whether a folded term must start (`true`) at a word boundary: only when its
/// first character is a word character of a spaced script.
pub(crate) fn needs_start_boundary(term: &str) -> bool {
    term.chars().next().is_some_and(is_word_char)
}

/// Whether a folded term must end at a word boundary (unless it is a prefix).
pub(crate) fn needs_end_boundary(term: &str) -> bool {
    term.chars().next_back().is_some_and(is_word_char)
}

/// True when no word character touches `text[..at]` from the left.
pub(crate) fn boundary_before(text: &str, at: usize) -> bool {
    text.get(..at)
        .and_then(|s| s.chars().next_back())
        .is_none_or(|c| !is_word_char(c))
}

/// True when no word character touches `text[at..]` from the right.
pub(crate) fn boundary_after(text: &str, at: usize) -> bool {
    text.get(at..)
        .and_then(|s| s.chars().next())
        .is_none_or(|c| !is_word_char(c))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_case_width_and_space() {
        assert_eq!(fold("Foreign  Minister\n\tMeets"), "foreign minister meets");
        assert_eq!(fold("ＳＥＯＵＬ ＫＯＲＥＡ"), "seoul korea");
        assert_eq!(fold("ﬁnance"), "finance");
        assert_eq!(fold("ÜBER Straße"), "über straße");
        assert_eq!(fold("dip\u{AD}lomat"), "diplomat");
        // Decomposed input composes like whole-text NFKC would.
        assert_eq!(fold("Cafe\u{301}"), "café");
        assert_eq!(
            fold("\u{1112}\u{1161}\u{11AB}\u{1100}\u{116E}\u{11A8}"),
            "한국"
        );
        assert_eq!(fold("ｶﾞｲﾑｼｮｳ"), "ガイムショウ".to_lowercase());
    }

    #[test]
    fn map_points_back_to_source_characters() {
        let src = "ＡB  é";
        let mut out = String::new();
        let mut map = Vec::new();
        fold_into(src, &mut out, Some(&mut map));
        assert_eq!(out, "ab é");
        assert_eq!(map.len(), out.len() + 1);
        assert_eq!(map[0], 0); // 'a' from the 3-byte 'Ａ'
        assert_eq!(map[1], 3); // 'b'
        assert_eq!(map[2], 4); // collapsed spaces
        assert_eq!(map[3], 6); // 'é'
        assert_eq!(*map.last().unwrap_or(&0), src.len() as u32);
    }

    /// The fast, per-sequence folding equals whole-text NFKC + lower-casing +
    /// white-space collapsing, with or without the offset map.
    #[test]
    fn fast_folding_equals_the_reference() {
        let pool = [
            "a",
            "B",
            "é",
            "E\u{301}",
            "\u{301}",
            "\u{308}\u{301}",
            " ",
            "  ",
            "\t",
            "\n",
            "\u{3000}",
            "\u{A0}",
            "한",
            "\u{1112}",
            "\u{1161}",
            "\u{11AB}",
            "ｶ",
            "ﾞ",
            "カ",
            "\u{3099}",
            "中",
            "ﾟ",
            "Ａ",
            "ﬁ",
            "İ",
            "Σ",
            "\u{AD}",
            "\u{200B}",
            "x.",
            "-",
            "①",
            "㍿",
            "Å",
            "\u{212B}",
            "ǅ",
        ];
        let reference = |s: &str| {
            let mut out = String::new();
            let mut space = false;
            for c in s.nfkc() {
                if c.is_whitespace() {
                    if !space {
                        out.push(' ');
                    }
                    space = true;
                } else if !matches!(
                    c,
                    '\u{AD}' | '\u{200B}'..='\u{200D}' | '\u{2060}' | '\u{FEFF}'
                ) {
                    space = false;
                    out.extend(c.to_lowercase());
                }
            }
            out
        };
        let mut state = 0x1234_5678_9ABC_DEF1_u64;
        for _ in 0..20_000 {
            let mut src = String::new();
            for _ in 0..(state % 9) {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                src.push_str(pool[(state % pool.len() as u64) as usize]);
            }
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let mut with_map = String::new();
            let mut map = Vec::new();
            fold_into(&src, &mut with_map, Some(&mut map));
            assert_eq!(fold(&src), reference(&src), "{src:?}");
            assert_eq!(with_map, fold(&src), "{src:?}");
            assert_eq!(map.len(), with_map.len() + 1, "{src:?}");
            assert!(
                map.iter().all(|&m| src.is_char_boundary(m as usize)),
                "{src:?}"
            );
        }
    }

    #[test]
    fn word_boundaries_are_script_aware() {
        assert!(needs_start_boundary("korea") && needs_end_boundary("korea"));
        assert!(!needs_start_boundary("한국") && !needs_end_boundary("中国"));
        assert!(needs_start_boundary("g7") && !needs_end_boundary("u.s."));
        let t = "koreatown 한국korea's";
        assert!(!boundary_after(t, 5));
        let k = t.rfind("korea").unwrap_or(0);
        assert!(boundary_before(t, k) && boundary_after(t, k + 5));
    }
}

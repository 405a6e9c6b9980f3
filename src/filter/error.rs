//! The one error type of the filter language and its rendering with a caret
//! under the offending part of the rule.

use std::fmt;

/// A mistake in a rule, located in the rule string.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct FilterError {
    /// Byte offset into the rule string where the offending part starts.
    pub offset: usize,
    /// Length in bytes of the offending part (at least 1 for display, even at
    /// the end of the rule).
    pub len: usize,
    /// What was wrong or expected, e.g. `expected ')' or a term`.
    pub expected: String,
}

impl FilterError {
    pub(crate) fn new(offset: usize, len: usize, expected: impl Into<String>) -> Self {
        FilterError {
            offset,
            len,
            expected: expected.into(),
        }
    }

    /// 1-based line and column (in characters) of the offset within `src`,
    /// for `file:line:column` messages when the rule spans several lines.
    pub fn line_col(&self, src: &str) -> (usize, usize) {
        let at = clamp_to_boundary(src, self.offset);
        let before = &src[..at];
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        (line, src[line_start..at].chars().count() + 1)
    }

    /// The line of `src` holding the mistake, a line of carets under the
    /// offending part, and the message, e.g.
    ///
    /// ```text
    /// any(@diplomacy) and title:(K-pop or
    ///                                     ^ expected a term after 'or'
    /// ```
    pub fn render(&self, src: &str) -> String {
        let at = clamp_to_boundary(src, self.offset);
        let line_start = src[..at].rfind('\n').map_or(0, |i| i + 1);
        let line_end = src[at..].find('\n').map_or(src.len(), |i| at + i);
        let line = &src[line_start..line_end];
        // Pad with the same whitespace kind so tabs keep the caret aligned, and
        // count wide (CJK) characters twice as terminals draw them.
        let mut pad = String::new();
        for c in src[line_start..at].chars() {
            match c {
                '\t' => pad.push('\t'),
                c if is_wide(c) => pad.push_str("  "),
                _ => pad.push(' '),
            }
        }
        let end = clamp_to_boundary(src, at.saturating_add(self.len)).min(line_end);
        let width: usize = src[at..end]
            .chars()
            .map(|c| if is_wide(c) { 2 } else { 1 })
            .sum();
        format!(
            "{line}\n{pad}{} {}",
            "^".repeat(width.max(1)),
            self.expected
        )
    }
}

impl fmt::Display for FilterError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "at byte {}: {}", self.offset, self.expected)
    }
}

fn clamp_to_boundary(src: &str, mut i: usize) -> usize {
    i = i.min(src.len());
    while !src.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// East Asian wide characters, drawn two columns wide by terminals.
fn is_wide(c: char) -> bool {
    matches!(c as u32,
        0x1100..=0x115F | 0x2E80..=0x303E | 0x3041..=0x33FF | 0x3400..=0x4DBF
        | 0x4E00..=0x9FFF | 0xA000..=0xA4CF | 0xAC00..=0xD7A3 | 0xF900..=0xFAFF
        | 0xFE30..=0xFE4F | 0xFF00..=0xFF60 | 0xFFE0..=0xFFE6 | 0x20000..=0x3FFFD)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn render_puts_caret_under_offending_part() {
        let src = "a and (b or c";
        let e = FilterError::new(6, 1, "unclosed '('");
        assert_eq!(e.render(src), "a and (b or c\n      ^ unclosed '('");
        assert_eq!(e.to_string(), "at byte 6: unclosed '('");
    }

    #[test]
    fn render_handles_multiline_wide_chars_and_end_of_input() {
        let src = "a or\n한국 @nope";
        let off = src.find('@').unwrap_or(0);
        let e = FilterError::new(off, 5, "unknown term list @nope");
        assert_eq!(
            e.render(src),
            "한국 @nope\n     ^^^^^ unknown term list @nope"
        );
        assert_eq!(e.line_col(src), (2, 4));
        let e = FilterError::new(src.len(), 0, "expected a term");
        assert!(e.render(src).ends_with("         ^ expected a term"));
        // Offsets past the end or inside a character never panic.
        let e = FilterError::new(6, 100, "x");
        let _ = e.render(src);
        let _ = e.line_col(src);
    }
}

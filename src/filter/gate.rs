//! A cheap pre-check for `/regex/` terms: a literal that every match must
//! contain. A regex such as `(?:^|[^국본아 ]) ?외교부` starts with a class, so
//! the regex engine cannot skip ahead with a substring search and scans every
//! byte (~600 MB/s); checking first that the text contains `외교부` at all (a
//! SIMD substring search) makes the common no-match case nearly free.
//!
//! The extraction is deliberately conservative: it only reads literal
//! characters at the top level of a pattern without top-level alternation or
//! inline flags, and gives up (no gate) on anything it does not understand.

use super::fold::is_unspaced;

/// The longest literal that every match of `pattern` must contain, in the form
/// to look for in the searched text (lower-cased unless `case_sensitive`).
pub(crate) fn required_literal(pattern: &str, case_sensitive: bool) -> Option<String> {
    let chars: Vec<char> = pattern.chars().collect();
    let mut runs: Vec<String> = Vec::new();
    let mut run = String::new();
    let (mut depth, mut i) = (0usize, 0usize);
    while i < chars.len() {
        let c = chars[i];
        let at_top = depth == 0;
        match c {
            '\\' => {
                // Skip the escape, and a braced argument (\p{Han}, \x{41}).
                i += 1;
                if chars.get(i).is_some_and(|e| "pPxuU".contains(*e))
                    && chars.get(i + 1) == Some(&'{')
                {
                    while i < chars.len() && chars[i] != '}' {
                        i += 1;
                    }
                }
                end_run(&mut run, &mut runs);
            }
            '[' => {
                // Skip the class, nested classes and escapes included.
                let mut level = 0;
                while i < chars.len() {
                    match chars[i] {
                        '\\' => i += 1,
                        '[' => level += 1,
                        ']' if level == 1 => break,
                        ']' => level -= 1,
                        _ => {}
                    }
                    i += 1;
                }
                end_run(&mut run, &mut runs);
            }
            '(' => {
                // Inline flags ((?i), (?x), named groups) change what literals mean.
                if chars.get(i + 1) == Some(&'?') && chars.get(i + 2) != Some(&':') {
                    return None;
                }
                depth += 1;
                end_run(&mut run, &mut runs);
            }
            ')' => {
                depth = depth.saturating_sub(1);
                end_run(&mut run, &mut runs);
            }
            '|' if at_top => return None,
            '*' | '+' | '?' | '{' => {
                // The quantified character is not required.
                run.pop();
                end_run(&mut run, &mut runs);
                if c == '{' {
                    while i < chars.len() && chars[i] != '}' {
                        i += 1;
                    }
                }
            }
            '.' | '^' | '$' | '|' => end_run(&mut run, &mut runs),
            c if at_top && gateable(c) => run.push(c),
            _ => end_run(&mut run, &mut runs),
        }
        i += 1;
    }
    end_run(&mut run, &mut runs);
    let best = runs.into_iter().max_by_key(|r| r.chars().count())?;
    Some(if case_sensitive {
        best
    } else {
        best.to_ascii_lowercase()
    })
}

/// Characters whose case-insensitive matches in folded text are exactly their
/// ASCII lower case: ASCII letters, digits and spaces, and caseless CJK.
fn gateable(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == ' ' || is_unspaced(c)
}

fn end_run(run: &mut String, runs: &mut Vec<String>) {
    if !run.trim().is_empty() {
        runs.push(std::mem::take(run));
    }
    run.clear();
}

#[cfg(test)]
mod tests {
    use super::required_literal as lit;

    #[test]
    fn finds_required_literals_conservatively() {
        assert_eq!(
            lit("(?:^|[^국본아 ]) ?외교부", false).as_deref(),
            Some("외교부")
        );
        assert_eq!(lit(r"\bUS\b", true).as_deref(), Some("US"));
        assert_eq!(lit(r"kim\s+Jong[- ]?un", false).as_deref(), Some("jong"));
        assert_eq!(lit("日 ?[가-힣]", false).as_deref(), Some("日"));
        assert_eq!(lit("colou?r", false).as_deref(), Some("colo"));
        assert_eq!(lit("ab{2}c", false).as_deref(), Some("c"));
        assert_eq!(lit(r"\p{Han}+abc", false).as_deref(), Some("abc"));
        assert_eq!(lit("[[a-z]&&[^x]]yz", false).as_deref(), Some("yz"));
        // Alternation, inline flags, or nothing literal: no gate.
        assert_eq!(lit("seoul|tokyo", false), None);
        assert_eq!(lit("(?i)abc", true), None);
        assert_eq!(lit("(?x) a b c", false), None);
        assert_eq!(lit(r"\d+", false), None);
        assert_eq!(lit("é+", false), None);
        // Literals inside groups are not required (the group may be optional).
        assert_eq!(lit("(abc)?d", false).as_deref(), Some("d"));
    }

    /// Whenever a random regex matches a random text, the text contains the
    /// gate literal: the gate never hides a match.
    #[test]
    fn gate_never_rejects_a_match() {
        let pieces = [
            "a",
            "b",
            "ab",
            "A",
            "日",
            "외교부",
            " ",
            "?",
            "*",
            "+",
            "{1,2}",
            "(",
            ")",
            "(?:",
            "|",
            "[ab]",
            "[^a]",
            ".",
            "^",
            "$",
            "\\b",
            "\\d",
            "\\w",
            "\\s",
            "\\.",
            "\\p{Han}",
        ];
        let texts = [
            "ab",
            "aab b",
            "日 외교부",
            "a日b",
            "",
            "ba",
            "a.b",
            "外교부",
            "x외교부",
            "AB",
        ];
        let mut state = 0xDEAD_BEEF_u64;
        let mut next = |n: usize| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state % n as u64) as usize
        };
        for _ in 0..5_000 {
            let pattern: String = (0..1 + next(6))
                .map(|_| pieces[next(pieces.len())])
                .collect();
            let case_sensitive = next(2) == 0;
            let Ok(re) = regex::RegexBuilder::new(&pattern)
                .case_insensitive(!case_sensitive)
                .build()
            else {
                continue;
            };
            let Some(gate) = lit(&pattern, case_sensitive) else {
                continue;
            };
            for t in texts {
                let t = if case_sensitive {
                    t.to_string()
                } else {
                    super::super::fold::fold(t)
                };
                if re.is_match(&t) {
                    assert!(
                        t.contains(&gate),
                        "{pattern:?} matches {t:?} without {gate:?}"
                    );
                }
            }
        }
    }
}

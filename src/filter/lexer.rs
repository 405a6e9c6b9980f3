//! Splits a rule string into tokens, each with its byte span, and reports
//! lexical mistakes (unclosed quotes or regexes, misplaced wildcards) with the
//! position of the offending characters.

use super::ast::scope_by_name;
use super::error::FilterError;

pub(crate) fn unknown_scope(name: &str, start: usize) -> FilterError {
    FilterError::new(
        start,
        name.len(),
        format!(
            "unknown field scope '{name}:' (known: title, summary, content, author, category, link, domain, feed, text); quote a term that contains ':'"
        ),
    )
}

/// A token and where it is in the rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Token {
    pub kind: Tok,
    pub start: usize,
    pub end: usize,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Tok {
    LParen,
    RParen,
    Comma,
    /// A bare word; `prefix` when it ended in `*`. Keywords (and/or/not) and
    /// numbers are words too: the parser decides by position.
    Word {
        text: String,
        prefix: bool,
    },
    /// A "quoted phrase", `prefix` when directly followed by `*`.
    Phrase {
        text: String,
        prefix: bool,
    },
    /// A /regular expression/ (slashes removed, `\/` unescaped); the `c`
    /// flag (`/US/c`) makes it case-sensitive.
    Regex {
        text: String,
        case_sensitive: bool,
    },
    /// `@name`, a reference to a term list.
    List(String),
    /// `name:` directly before a term or group.
    Scope(String),
    /// `name(`, a function call; the token covers the name and the `(`.
    Call(String),
}

/// Characters that end a bare word.
fn ends_word(c: char) -> bool {
    c.is_whitespace() || matches!(c, '(' | ')' | ',' | '"')
}

pub(crate) fn lex(src: &str) -> Result<Vec<Token>, FilterError> {
    let mut toks = Vec::new();
    let mut it = src.char_indices().peekable();
    while let Some(&(start, c)) = it.peek() {
        if c.is_whitespace() {
            it.next();
            continue;
        }
        let simple = match c {
            '(' => Some(Tok::LParen),
            ')' => Some(Tok::RParen),
            ',' => Some(Tok::Comma),
            _ => None,
        };
        if let Some(kind) = simple {
            it.next();
            toks.push(Token {
                kind,
                start,
                end: start + 1,
            });
            continue;
        }
        let (kind, end) = match c {
            '"' => lex_phrase(src, start)?,
            '/' => lex_regex(src, start)?,
            '@' => lex_list(src, start)?,
            ':' => {
                return Err(FilterError::new(
                    start,
                    1,
                    "expected a field name before ':'",
                ));
            }
            _ => lex_word(src, start)?,
        };
        toks.push(Token { kind, start, end });
        while it.peek().is_some_and(|&(i, _)| i < end) {
            it.next();
        }
    }
    Ok(toks)
}

/// Reads a delimited literal starting at the delimiter `src[start]`, with `\`
/// escaping the delimiter; other escapes are kept as written (for regexes) or
/// reduced to the escaped character when `unescape_all` (for phrases).
fn delimited(src: &str, start: usize, delim: char, unescape_all: bool) -> Option<(String, usize)> {
    let mut text = String::new();
    let mut chars = src[start + 1..].char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            c if c == delim => return Some((text, start + 1 + i + 1)),
            '\\' => match chars.next() {
                Some((_, d)) if d == delim || (unescape_all && d == '\\') => text.push(d),
                Some((_, d)) => {
                    text.push('\\');
                    text.push(d);
                }
                None => text.push('\\'),
            },
            c => text.push(c),
        }
    }
    None
}

fn lex_phrase(src: &str, start: usize) -> Result<(Tok, usize), FilterError> {
    let Some((text, mut end)) = delimited(src, start, '"', true) else {
        return Err(FilterError::new(
            start,
            src.len() - start,
            "unclosed quote: expected a closing '\"'",
        ));
    };
    if text.trim().is_empty() {
        return Err(FilterError::new(
            start,
            end - start,
            "empty phrase: expected text between the quotes",
        ));
    }
    let prefix = src[end..].starts_with('*');
    if prefix {
        end += 1;
    }
    Ok((Tok::Phrase { text, prefix }, end))
}

fn lex_regex(src: &str, start: usize) -> Result<(Tok, usize), FilterError> {
    let Some((text, end)) = delimited(src, start, '/', false) else {
        return Err(FilterError::new(
            start,
            src.len() - start,
            "unclosed regular expression: expected a closing '/'",
        ));
    };
    if text.is_empty() {
        return Err(FilterError::new(
            start,
            end - start,
            "empty regular expression",
        ));
    }
    let flags = src[end..]
        .find(|c: char| !c.is_alphanumeric())
        .unwrap_or(src.len() - end);
    match &src[end..end + flags] {
        "" => Ok((
            Tok::Regex {
                text,
                case_sensitive: false,
            },
            end,
        )),
        "c" => Ok((
            Tok::Regex {
                text,
                case_sensitive: true,
            },
            end + 1,
        )),
        other => Err(FilterError::new(
            end,
            flags,
            format!("unknown regular expression flag '{other}' (known: c, case-sensitive)"),
        )),
    }
}

fn is_name_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_' || c == '-'
}

fn lex_list(src: &str, start: usize) -> Result<(Tok, usize), FilterError> {
    let rest = &src[start + 1..];
    let len = rest.find(|c: char| !is_name_char(c)).unwrap_or(rest.len());
    if len == 0 {
        return Err(FilterError::new(
            start,
            1,
            "expected a term list name after '@', e.g. @places",
        ));
    }
    Ok((Tok::List(rest[..len].to_string()), start + 1 + len))
}

fn lex_word(src: &str, start: usize) -> Result<(Tok, usize), FilterError> {
    let rest = &src[start..];
    let len = rest.find(ends_word).unwrap_or(rest.len());
    let word = &rest[..len];
    let end = start + len;
    // `name:` is a field scope when the name is all letters; other colons
    // (`10:30`, timestamps) belong to the word.
    if let Some(colon) = word.find(':')
        && colon > 0
        && word[..colon].bytes().all(|b| b.is_ascii_alphabetic())
    {
        let name = &word[..colon];
        if scope_by_name(name).is_none() {
            return Err(unknown_scope(name, start));
        }
        return Ok((Tok::Scope(name.to_string()), start + colon + 1));
    }
    if rest[len..].starts_with('(') && !word.ends_with('*') {
        return Ok((Tok::Call(word.to_string()), end + 1));
    }
    if let Some(star) = word.find('*') {
        if star + 1 != word.len() {
            return Err(FilterError::new(
                start + star,
                1,
                "'*' may only end a term (a prefix wildcard like diplomat*)",
            ));
        }
        if star == 0 {
            return Err(FilterError::new(
                start,
                1,
                "a wildcard needs a prefix before '*', e.g. diplomat*",
            ));
        }
        return Ok((
            Tok::Word {
                text: word[..star].to_string(),
                prefix: true,
            },
            end,
        ));
    }
    Ok((
        Tok::Word {
            text: word.to_string(),
            prefix: false,
        },
        end,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(src: &str) -> Vec<Tok> {
        lex(src)
            .map(|v| v.into_iter().map(|t| t.kind).collect())
            .unwrap_or_default()
    }

    fn word(s: &str, prefix: bool) -> Tok {
        Tok::Word {
            text: s.into(),
            prefix,
        }
    }

    #[test]
    fn lexes_every_token_kind() {
        assert_eq!(
            kinds(
                r#"title:("K-pop" or diplomat*) atleast(2, @ne_asia) /kim\s+jong\/un/ "foreign min"*"#
            ),
            vec![
                Tok::Scope("title".into()),
                Tok::LParen,
                Tok::Phrase {
                    text: "K-pop".into(),
                    prefix: false
                },
                word("or", false),
                word("diplomat", true),
                Tok::RParen,
                Tok::Call("atleast".into()),
                word("2", false),
                Tok::Comma,
                Tok::List("ne_asia".into()),
                Tok::RParen,
                Tok::Regex {
                    text: r"kim\s+jong/un".into(),
                    case_sensitive: false
                },
                Tok::Phrase {
                    text: "foreign min".into(),
                    prefix: true
                },
            ]
        );
    }

    #[test]
    fn spans_are_byte_offsets() {
        let toks = lex("한국 \"a\\\"b\"").unwrap_or_default();
        assert_eq!((toks[0].start, toks[0].end), (0, 6));
        assert_eq!((toks[1].start, toks[1].end), (7, 13));
        assert_eq!(
            toks[1].kind,
            Tok::Phrase {
                text: "a\"b".into(),
                prefix: false
            }
        );
    }

    #[test]
    fn lexical_errors_point_at_the_problem() {
        let e = lex(r#"a "open"#).err();
        assert_eq!(
            e.map(|e| (e.offset, e.expected.contains("unclosed quote"))),
            Some((2, true))
        );
        let e = lex("a /kim").err();
        assert_eq!(e.map(|e| e.offset), Some(2));
        let e = lex("dip*lomat").err();
        assert_eq!(e.map(|e| (e.offset, e.len)), Some((3, 1)));
        let e = lex("a * b").err();
        assert_eq!(e.map(|e| e.offset), Some(2));
        let e = lex("@ x").err();
        assert_eq!(e.map(|e| e.offset), Some(0));
        let e = lex(r#"a """#).err();
        assert_eq!(e.map(|e| (e.offset, e.len)), Some((2, 2)));
        let e = lex(":x").err();
        assert_eq!(e.map(|e| e.offset), Some(0));
    }
}

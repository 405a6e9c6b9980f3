//! Parses tokens into a syntax tree. Precedence, loosest first: `or`, `and`
//! (also implied by juxtaposition), `not`; a field scope (`title:`) binds to the
//! term, parenthesised group or call right after it. Scopes are resolved here,
//! so every leaf of the tree knows the fields it searches.

use chrono::{DateTime, NaiveDate, TimeDelta, Utc};

use super::ast::{Ast, FieldSet, Need, Span, TermSrc, TimeCond, scope_by_name};
use super::error::FilterError;
use super::lexer::{Tok, Token, lex, unknown_scope};

const FUNCTIONS: &str = "any, all, atleast, about, newer, older, after, before";
const MAX_DEPTH: usize = 64;

pub(crate) fn parse(src: &str) -> Result<Ast, FilterError> {
    let toks = lex(src)?;
    let mut p = Parser {
        toks,
        pos: 0,
        src,
        src_len: src.len(),
        depth: 0,
    };
    if p.toks.is_empty() {
        return Err(FilterError::new(
            0,
            src.len(),
            "empty rule: expected a term, e.g. any(@places)",
        ));
    }
    let ast = p.or(FieldSet::TEXT)?;
    match p.peek() {
        None => Ok(ast),
        Some(t) => Err(match t.kind {
            Tok::RParen => FilterError::new(t.start, 1, "unexpected ')': there is no '(' to close"),
            Tok::Comma => FilterError::new(
                t.start,
                1,
                "unexpected ',' outside any(), all() or atleast()",
            ),
            _ => FilterError::new(
                t.start,
                t.end - t.start,
                "expected 'and', 'or' or the end of the rule",
            ),
        }),
    }
}

struct Parser<'s> {
    toks: Vec<Token>,
    pos: usize,
    src: &'s str,
    src_len: usize,
    depth: usize,
}

fn is_kw(t: &Token, kw: &str) -> bool {
    matches!(&t.kind, Tok::Word { text, prefix: false } if text.eq_ignore_ascii_case(kw))
}

impl Parser<'_> {
    fn peek(&self) -> Option<&Token> {
        self.toks.get(self.pos)
    }

    fn next(&mut self) -> Option<Token> {
        let t = self.toks.get(self.pos).cloned();
        self.pos += 1;
        t
    }

    /// The span of the next token, or an empty span at the end of the rule.
    fn here(&self) -> (usize, usize) {
        self.peek()
            .map_or((self.src_len, 0), |t| (t.start, t.end - t.start))
    }

    fn err_here(&self, expected: impl Into<String>) -> FilterError {
        let (at, len) = self.here();
        FilterError::new(at, len, expected)
    }

    fn or(&mut self, scope: FieldSet) -> Result<Ast, FilterError> {
        let mut parts = vec![self.and(scope)?];
        while self.peek().is_some_and(|t| is_kw(t, "or")) {
            self.next();
            if self.at_operand_end() {
                return Err(self.err_here("expected a term after 'or'"));
            }
            parts.push(self.and(scope)?);
        }
        Ok(combine(parts, Ast::Or))
    }

    /// True where an operand cannot start: end, ')', ',', or a binary keyword.
    fn at_operand_end(&self) -> bool {
        self.peek().is_none_or(|t| {
            matches!(t.kind, Tok::RParen | Tok::Comma) || is_kw(t, "or") || is_kw(t, "and")
        })
    }

    fn and(&mut self, scope: FieldSet) -> Result<Ast, FilterError> {
        let mut parts = vec![self.not(scope)?];
        loop {
            if self.peek().is_some_and(|t| is_kw(t, "and")) {
                self.next();
                if self.at_operand_end() {
                    return Err(self.err_here("expected a term after 'and'"));
                }
            } else if self.at_operand_end() {
                break;
            }
            parts.push(self.not(scope)?);
        }
        Ok(combine(parts, Ast::And))
    }

    fn not(&mut self, scope: FieldSet) -> Result<Ast, FilterError> {
        let Some(t) = self.peek().filter(|t| is_kw(t, "not")) else {
            return self.primary(scope);
        };
        let start = t.start;
        self.next();
        if self.at_operand_end() {
            return Err(self.err_here("expected a term after 'not'"));
        }
        self.enter()?;
        let inner = self.not(scope)?;
        self.depth -= 1;
        let end = inner.span().1;
        Ok(Ast::Not(Box::new(inner), (start, end)))
    }

    fn enter(&mut self) -> Result<(), FilterError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(self.err_here(format!(
                "rule nested too deeply (more than {MAX_DEPTH} levels)"
            )));
        }
        Ok(())
    }

    fn primary(&mut self, scope: FieldSet) -> Result<Ast, FilterError> {
        let Some(t) = self.next() else {
            return Err(FilterError::new(
                self.src_len,
                0,
                "expected a term, '(' or 'not'",
            ));
        };
        let span = (t.start, t.end);
        match t.kind {
            Tok::Word { text, prefix } => {
                Ok(Ast::Term(TermSrc::Literal { text, prefix }, scope, span))
            }
            Tok::Phrase { text, prefix } => {
                Ok(Ast::Term(TermSrc::Literal { text, prefix }, scope, span))
            }
            Tok::Regex {
                text,
                case_sensitive,
            } => Ok(Ast::Term(
                TermSrc::Regex {
                    pattern: text,
                    case_sensitive,
                },
                scope,
                span,
            )),
            Tok::List(name) => Ok(Ast::List(name, scope, span)),
            Tok::LParen => {
                self.enter()?;
                let inner = self.or(scope)?;
                self.depth -= 1;
                let end = self.close(t.start)?;
                Ok(inner.widen((t.start, end)))
            }
            Tok::Scope(name) => {
                let Some(inner_scope) = scope_by_name(&name) else {
                    return Err(unknown_scope(&name, t.start));
                };
                if self.at_operand_end() {
                    return Err(self.err_here(format!("expected a term or '(' after '{name}:'")));
                }
                if self.peek().is_some_and(|t| is_kw(t, "not")) {
                    return Err(
                        self.err_here(format!("put 'not' before the scope: not {name}:..."))
                    );
                }
                self.enter()?;
                let inner = self.primary(inner_scope)?;
                self.depth -= 1;
                if let Ast::Time(..) = inner {
                    return Err(FilterError::new(
                        t.start,
                        t.end - t.start,
                        "a field scope cannot apply to a date condition",
                    ));
                }
                let end = inner.span().1;
                Ok(inner.widen((t.start, end)))
            }
            Tok::Call(name) => self.call(&name, t.start, scope),
            Tok::RParen => Err(FilterError::new(t.start, 1, "expected a term before ')'")),
            Tok::Comma => Err(FilterError::new(t.start, 1, "expected a term before ','")),
        }
    }

    /// Consumes the `)` closing the `(` at `open`.
    fn close(&mut self, open: usize) -> Result<usize, FilterError> {
        match self.peek() {
            Some(t) if t.kind == Tok::RParen => {
                let end = t.end;
                self.next();
                Ok(end)
            }
            None => {
                let (line, col) = FilterError::new(open, 1, "").line_col(self.src);
                let at = if self.src.contains('\n') {
                    format!("line {line}, column {col}")
                } else {
                    format!("column {col}")
                };
                Err(FilterError::new(
                    self.src_len,
                    0,
                    format!("expected ')' or a term (to close the '(' at {at})"),
                ))
            }
            Some(_) => Err(self.err_here("expected ')' or a term")),
        }
    }

    fn call(&mut self, name: &str, start: usize, scope: FieldSet) -> Result<Ast, FilterError> {
        let lower = name.to_ascii_lowercase();
        let need = match lower.as_str() {
            "any" => Need::Any,
            "all" => Need::All,
            "atleast" => Need::AtLeast(self.count_arg()?),
            "about" => return self.about(name, start, scope),
            "newer" | "older" | "after" | "before" => return self.time(&lower, start),
            _ => {
                return Err(FilterError::new(
                    start,
                    name.len(),
                    format!(
                        "unknown function '{name}(' (known: {FUNCTIONS}); put a space before '(' to start a group"
                    ),
                ));
            }
        };
        let (args, end) = self.args(name, start, scope)?;
        Ok(Ast::Count(need, args, (start, end)))
    }

    /// `about(a, @list, ...)`: terms and lists only, and no field scope,
    /// since the call itself decides where it looks (title, then the text).
    fn about(&mut self, name: &str, start: usize, scope: FieldSet) -> Result<Ast, FilterError> {
        if scope != FieldSet::TEXT {
            return Err(FilterError::new(
                start,
                name.len(),
                "about() looks at the title and the text itself: remove the field scope before it",
            ));
        }
        let (args, end) = self.args(name, start, scope)?;
        for arg in &args {
            match arg {
                Ast::Term(_, fs, span) | Ast::List(_, fs, span) if *fs != FieldSet::TEXT => {
                    return Err(FilterError::new(
                        span.0,
                        span.1 - span.0,
                        "about() looks at the title and the text itself: remove this field scope",
                    ));
                }
                Ast::Term(..) | Ast::List(..) => {}
                other => {
                    let (s, e) = other.span();
                    return Err(FilterError::new(
                        s,
                        e - s,
                        "about() takes terms and @lists, e.g. about(@sport, \"box office\")",
                    ));
                }
            }
        }
        Ok(Ast::About(args, (start, end)))
    }

    /// The comma-separated operands of a call and the end of its `)`.
    fn args(
        &mut self,
        name: &str,
        start: usize,
        scope: FieldSet,
    ) -> Result<(Vec<Ast>, usize), FilterError> {
        self.enter()?;
        let mut args = Vec::new();
        loop {
            if self
                .peek()
                .is_none_or(|t| matches!(t.kind, Tok::RParen | Tok::Comma))
            {
                let what = if args.is_empty() {
                    "expected a term or @list"
                } else {
                    "expected a term after ','"
                };
                return Err(self.err_here(what));
            }
            args.push(self.or(scope)?);
            match self.peek() {
                Some(t) if t.kind == Tok::Comma => {
                    self.next();
                }
                _ => break,
            }
        }
        self.depth -= 1;
        let end = self.close(start + name.len())?;
        Ok((args, end))
    }

    /// The `N,` that starts `atleast(N, ...)`.
    fn count_arg(&mut self) -> Result<usize, FilterError> {
        let n = match self.peek() {
            Some(Token {
                kind:
                    Tok::Word {
                        text,
                        prefix: false,
                    },
                ..
            }) => text.parse::<usize>().ok(),
            _ => None,
        };
        let Some(n) = n else {
            return Err(self.err_here("atleast needs a number first, e.g. atleast(2, @places)"));
        };
        if n == 0 {
            return Err(self.err_here("the number in atleast() must be 1 or more"));
        }
        self.next();
        match self.peek() {
            Some(t) if t.kind == Tok::Comma => {
                self.next();
                Ok(n)
            }
            _ => Err(self.err_here("expected ',' after the number in atleast()")),
        }
    }

    fn time(&mut self, name: &str, start: usize) -> Result<Ast, FilterError> {
        let (at, len) = self.here();
        let arg = match self.next() {
            Some(Token {
                kind:
                    Tok::Word {
                        text,
                        prefix: false,
                    },
                ..
            }) => text,
            _ => String::new(),
        };
        let cond = if name == "newer" || name == "older" {
            let Some(d) = parse_age(&arg) else {
                return Err(FilterError::new(
                    at,
                    len,
                    format!("expected an age like 30m, 12h, 7d or 2w in {name}()"),
                ));
            };
            if name == "newer" {
                TimeCond::Newer(d)
            } else {
                TimeCond::Older(d)
            }
        } else {
            let Some(d) = parse_date(&arg) else {
                return Err(FilterError::new(
                    at,
                    len,
                    format!("expected a date like 2024-05-01 or 2024-05-01T12:00:00Z in {name}()"),
                ));
            };
            if name == "after" {
                TimeCond::After(d)
            } else {
                TimeCond::Before(d)
            }
        };
        let end = self.close(start + name.len())?;
        Ok(Ast::Time(cond, (start, end)))
    }
}

fn combine(mut parts: Vec<Ast>, make: fn(Vec<Ast>, Span) -> Ast) -> Ast {
    if parts.len() == 1 {
        return parts.remove(0);
    }
    let span = (parts[0].span().0, parts[parts.len() - 1].span().1);
    make(parts, span)
}

/// `30s`, `15m`, `12h`, `7d`, `2w`.
fn parse_age(s: &str) -> Option<TimeDelta> {
    let split = s.find(|c: char| !c.is_ascii_digit())?;
    let n: i64 = s[..split].parse().ok()?;
    let secs = match &s[split..] {
        "s" => 1,
        "m" | "min" => 60,
        "h" => 3600,
        "d" => 86_400,
        "w" => 7 * 86_400,
        _ => return None,
    };
    TimeDelta::try_seconds(n.checked_mul(secs)?)
}

/// `2024-05-01` (midnight UTC) or an RFC 3339 timestamp.
fn parse_date(s: &str) -> Option<DateTime<Utc>> {
    if let Ok(d) = DateTime::parse_from_rfc3339(s) {
        return Some(d.with_timezone(&Utc));
    }
    let d = NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()?;
    Some(d.and_hms_opt(0, 0, 0)?.and_utc())
}

//! The syntax tree of a rule and the vocabulary shared by every stage: item
//! fields and field sets, terms as written, counting requirements and date
//! conditions. Produced by the parser, consumed by the compiler.

use chrono::{DateTime, TimeDelta, Utc};

/// Byte range `(start, end)` of a construct in the rule.
pub(crate) type Span = (usize, usize);

/// The parts of an item a term can be searched in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum Field {
    Title,
    Summary,
    Content,
    Author,
    Category,
    Link,
    Domain,
    Feed,
}

impl Field {
    pub(crate) const ALL: [Field; 8] = [
        Field::Title,
        Field::Summary,
        Field::Content,
        Field::Author,
        Field::Category,
        Field::Link,
        Field::Domain,
        Field::Feed,
    ];

    pub(crate) fn name(self) -> &'static str {
        match self {
            Field::Title => "title",
            Field::Summary => "summary",
            Field::Content => "content",
            Field::Author => "author",
            Field::Category => "category",
            Field::Link => "link",
            Field::Domain => "domain",
            Field::Feed => "feed",
        }
    }
}

/// A set of fields as a bit mask (bit = `Field as u8`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct FieldSet(pub u8);

impl FieldSet {
    /// What unscoped terms search: title, summary and content.
    pub(crate) const TEXT: FieldSet = FieldSet(0b111);

    pub(crate) fn one(f: Field) -> Self {
        FieldSet(1 << f as u8)
    }
    pub(crate) fn has(self, f: Field) -> bool {
        self.0 & (1 << f as u8) != 0
    }
    pub(crate) fn iter(self) -> impl Iterator<Item = Field> {
        Field::ALL.into_iter().filter(move |f| self.has(*f))
    }
}

pub(crate) fn scope_by_name(name: &str) -> Option<FieldSet> {
    if name.eq_ignore_ascii_case("text") {
        return Some(FieldSet::TEXT);
    }
    Field::ALL
        .into_iter()
        .find(|f| f.name().eq_ignore_ascii_case(name))
        .map(FieldSet::one)
}

/// A term as written in the rule or in a term list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum TermSrc {
    /// A word or phrase; `prefix` for a trailing `*`.
    Literal { text: String, prefix: bool },
    /// A regular expression, without its slashes; `case_sensitive` for `/../c`.
    Regex {
        pattern: String,
        case_sensitive: bool,
    },
}

/// How many operands of a call must match.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Need {
    Any,
    All,
    AtLeast(usize),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TimeCond {
    Newer(TimeDelta),
    Older(TimeDelta),
    After(DateTime<Utc>),
    Before(DateTime<Utc>),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Ast {
    And(Vec<Ast>, Span),
    Or(Vec<Ast>, Span),
    Not(Box<Ast>, Span),
    Term(TermSrc, FieldSet, Span),
    /// A bare `@name`: inside a call its terms count one by one, elsewhere it
    /// means `any(@name)`.
    List(String, FieldSet, Span),
    Count(Need, Vec<Ast>, Span),
    /// `about(...)`: the terms are what the item is about (in the title, or
    /// dense in the text), not a passing mention. Operands are terms and lists.
    About(Vec<Ast>, Span),
    Time(TimeCond, Span),
}

impl Ast {
    /// Widens a composite node's span to cover the parentheses or scope around
    /// it, so explanations quote the clause as written. Terms and lists keep
    /// their own span: errors about them point at the term itself.
    pub(crate) fn widen(mut self, to: Span) -> Ast {
        match &mut self {
            Ast::And(_, s)
            | Ast::Or(_, s)
            | Ast::Not(_, s)
            | Ast::Count(_, _, s)
            | Ast::About(_, s)
            | Ast::Time(_, s) => *s = to,
            Ast::Term(..) | Ast::List(..) => {}
        }
        self
    }

    pub(crate) fn span(&self) -> Span {
        match self {
            Ast::And(_, s)
            | Ast::Or(_, s)
            | Ast::Not(_, s)
            | Ast::Term(_, _, s)
            | Ast::List(_, _, s)
            | Ast::Count(_, _, s)
            | Ast::About(_, s)
            | Ast::Time(_, s) => *s,
        }
    }
}

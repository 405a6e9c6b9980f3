//! What a copy of a story carries that is not the story: the lines a scraped
//! page or an outlet adds around it (share buttons, font-size widgets, "Top 10
//! Stories", copyright lines, photo captions, wire sign-offs) and the dateline
//! in front of the first paragraph, which outlets rewrite.
//!
//! Site knowledge is data: the phrase tables below are the whole of it. A line
//! wrongly taken for boilerplate costs little (copies lose the same line); a
//! boilerplate line left in is shared by unrelated stories of one site, so the
//! tables lean towards removal — but only for short lines.

use std::sync::LazyLock;

use aho_corasick::AhoCorasick;

/// Lines longer than this (in characters) are content whatever they contain.
const SHORT_LINE: usize = 200;

/// Phrases that make a short line boilerplate wherever they occur in it
/// (matched against the lower-cased line).
const PHRASES: &[&str] = &[
    // rights
    "copyright",
    "©",
    "all rights reserved",
    "무단전재",
    "무단 전재",
    "재배포 금지",
    "재배포금지",
    "저작권자",
    "無断転載",
    "無断複製",
    "版权所有",
    "未经授权",
    // page widgets
    "share on ",
    "share this",
    "share via",
    "email this",
    "e-mail this",
    "print this",
    "tweet this",
    "font size",
    "text size",
    "글자크기",
    "글씨크기",
    "文字サイズ",
    "go top",
    "back to top",
    "comments (",
    "advertisement",
    "sign up for",
    "subscribe to",
    "follow us on",
    "click here",
    "continue reading",
    "read more",
    // lists of other stories
    "related articles",
    "related stories",
    "related news",
    "top stories",
    "top 10 stories",
    "most viewed",
    "most read",
    "most popular",
    "관련기사",
    "많이 본",
    "関連記事",
    "相关新闻",
    // wire sign-offs
    "reporting by",
    "editing by",
    "writing by",
    "contributed to this report",
];

/// How photo captions start.
const CAPTION_STARTS: &[&str] = &[
    "[photo", "(photo", "photo:", "photo by", "image:", "[사진", "(사진", "사진=", "写真", "▲",
];

/// Credits that end a caption, inside its last parentheses or brackets.
const CREDITS: &[&str] = &[
    "photo",
    "image",
    "getty",
    "epa",
    "afp",
    "reuters",
    "yonhap",
    "xinhua",
    "kyodo",
    "file",
    "연합뉴스",
    "뉴시스",
    "共同",
    "新华",
];

/// [`PHRASES`] in one automaton (ASCII letters in any case; the other
/// scripts' phrases have no case).
static PHRASE_MATCHER: LazyLock<AhoCorasick> = LazyLock::new(|| {
    AhoCorasick::builder()
        .ascii_case_insensitive(true)
        .build(PHRASES)
        .expect("fixed phrases build")
});

/// Whether a line is not part of the story.
pub(crate) fn is_boilerplate(line: &str) -> bool {
    let line = line.trim();
    if !line.chars().any(char::is_alphabetic) {
        return true; // empty, numbers, rules, "-2 -1 0 +1 +2"
    }
    if line.len() > SHORT_LINE * 4 || line.chars().count() > SHORT_LINE {
        return false;
    }
    PHRASE_MATCHER.is_match(line)
        || CAPTION_STARTS
            .iter()
            .any(|p| starts_with_ignore_case(line, p))
        || ends_with_credit(line)
}

fn starts_with_ignore_case(line: &str, prefix: &str) -> bool {
    line.as_bytes()
        .get(..prefix.len())
        .is_some_and(|start| start.eq_ignore_ascii_case(prefix.as_bytes()))
}

/// "… in a photo released by the authorities. (EPA)", "… (Photo: The Times)",
/// "… [Reuters-Yonhap]", "Photo: The Times / File", "…@yna.co.kr (END)".
fn ends_with_credit(line: &str) -> bool {
    let (open, close) = match line.as_bytes().last() {
        Some(b')') => ('(', ')'),
        Some(b']') => ('[', ']'),
        _ => {
            let tail = &line.as_bytes()[line.len().saturating_sub(6)..];
            return tail.eq_ignore_ascii_case(b"/ file");
        }
    };
    let body = &line[..line.len() - close.len_utf8()];
    let Some(start) = body.rfind(open) else {
        return false;
    };
    let credit = body[start + open.len_utf8()..].trim().to_lowercase();
    credit == "ap"
        || credit == "end"
        || credit.starts_with("ap ")
        || CREDITS.iter().any(|c| credit.contains(c))
}

/// How far into a first line [`strip_dateline`] looks for a credit or a
/// dateline's end: past the longest one it takes (20 characters of up to 4
/// bytes and a marker; 80 bytes and a separator).
const HEAD: usize = 128;

/// The first paragraph without its dateline or agency credit: "SEOUL, Nov. 28
/// (Yonhap) -- ", "WASHINGTON (AP) — ", "Hong Kong (CNN Business) ",
/// "(서울=연합뉴스) 홍길동 기자 = ", "【北京共同】". Outlets rewrite these, so two
/// copies agree better without them.
pub(crate) fn strip_dateline(line: &str) -> &str {
    let mut s = line.trim_start();
    // Every marker below counts only near the start (a credit of 20
    // characters, a place of 80 bytes): looking further is wasted on a long
    // first paragraph, and the first occurrence in the head is the first.
    let head = |s: &str| -> usize {
        let mut end = s.len().min(HEAD);
        while !s.is_char_boundary(end) {
            end -= 1;
        }
        end
    };
    for _ in 0..2 {
        match strip_bracketed_credit(s) {
            Some(rest) => s = rest.trim_start(),
            None => break,
        }
    }
    // Every marker and separator below holds one of these bytes ("기", "특",
    // "—", "–", "―", "--", ")"): a first line without any near its start
    // (most of them) has no dateline to cut.
    let h = head(s);
    if !s.as_bytes()[..h]
        .iter()
        .any(|b| matches!(b, 0xEA | 0xED | 0xE2 | b'-' | b')'))
    {
        return s;
    }
    for marker in ["기자 =", "기자=", "특파원 =", "특파원="] {
        if let Some(i) = s[..head(s)].find(marker)
            && s[..i].chars().count() <= 20
        {
            s = s[i + marker.len()..].trim_start();
            break;
        }
    }
    let h = head(s);
    for sep in [" — ", " -- ", " – ", " ― ", " —", "— "] {
        if let Some(i) = s[..h].find(sep)
            && i <= 80
            && looks_like_place(&s[..i])
        {
            return s[i + sep.len()..].trim_start();
        }
    }
    // "Hong Kong (CNN Business) A muddled view…"
    if let Some(i) = s[..h].find(") ")
        && i <= 60
        && s[..i].contains('(')
        && looks_like_place(&s[..=i])
        && s[i + 2..].chars().next().is_some_and(char::is_uppercase)
    {
        return s[i + 2..].trim_start();
    }
    s
}

/// A dateline: one to eight words, each capitalised, a number or uncased (as
/// in CJK): "SEOUL, Nov. 28 (Yonhap)", "ST. JOSEPH, Mich. (AP)", "Indianapolis".
fn looks_like_place(prefix: &str) -> bool {
    let words = prefix.split_whitespace().count();
    (1..=8).contains(&words)
        && prefix.split_whitespace().all(|w| {
            w.chars()
                .find(|c| c.is_alphanumeric())
                .is_none_or(|c| !c.is_lowercase())
        })
}

/// "(서울=연합뉴스)", "【北京共同】", "[엔터미디어=…]", "(CNN)" at the start.
fn strip_bracketed_credit(s: &str) -> Option<&str> {
    let open = s.chars().next()?;
    let close = match open {
        '(' => ')',
        '[' => ']',
        '【' => '】',
        '〔' => '〕',
        '［' => '］',
        _ => return None,
    };
    let end = s.find(close)?;
    let inside = &s[open.len_utf8()..end];
    let short = inside.chars().count() <= 30;
    let credit = inside.contains('=')
        || matches!(open, '【' | '〔')
        || inside
            .chars()
            .all(|c| c.is_uppercase() || c.is_whitespace() || c == '-');
    (short && credit && !inside.trim().is_empty()).then(|| &s[end + close.len_utf8()..])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_furniture_is_boilerplate() {
        for line in [
            "Share on Facebook",
            "-2 -1 0 +1 +2",
            "Top 10 Stories",
            "go top",
            "Copyright (c) 2026 The Summit Times. All rights reserved.",
            "A view of the area on Tuesday, in a photo released by the authorities. (EPA)",
            "[PHOTO] People gather near the site on Sunday. (Reuters-Yonhap)",
            "Officials speak to reporters on Sunday. (Photo courtesy of Newswire Service)",
            "Photo: The Prairie Times / File",
            "This undated photo was provided by a local official. (AP Photo)",
            "(Reporting by Jane Doe; Editing by John Roe)",
            "홍길동 기자 hong@yna.co.kr (END)",
            "<저작권자(c) 연합뉴스, 무단 전재-재배포 금지>",
            "",
            "   ",
        ] {
            assert!(is_boilerplate(line), "{line:?}");
        }
    }

    #[test]
    fn story_lines_are_not() {
        for line in [
            "SEOUL, Nov. 28 (Yonhap) -- The two Koreas held talks on Friday.",
            "The foreign ministers of South Korea and Japan agreed on Saturday to double the number of youth exchange places.",
            "June 9 – West Palm Beach, FL @ Coral Sky Amphitheatre",
            "Staff Reports",
            "先日、不正に改造したiPhoneを販売したとして、20代の男性が逮捕された。",
        ] {
            assert!(!is_boilerplate(line), "{line:?}");
        }
        let long = format!("{} copyright", "word ".repeat(60));
        assert!(!is_boilerplate(&long), "long lines are content");
    }

    #[test]
    fn datelines_are_stripped() {
        let cases = [
            (
                "SEOUL, Nov. 28 (Yonhap) -- The two Koreas met.",
                "The two Koreas met.",
            ),
            ("WASHINGTON (AP) — Officials said.", "Officials said."),
            (
                "ST. JOSEPH, Mich. (AP) — Michigan health authorities",
                "Michigan health authorities",
            ),
            (
                "Indianapolis – Several thousand teachers",
                "Several thousand teachers",
            ),
            (
                "BUSAN, South Korea — The foreign ministers",
                "The foreign ministers",
            ),
            ("Hong Kong (CNN Business) A muddled view", "A muddled view"),
            (
                "(서울=연합뉴스) 홍길동 기자 = 남북이 만났다.",
                "남북이 만났다.",
            ),
            ("【北京共同】日中両政府は", "日中両政府は"),
            (
                "[엔터미디어=소설가 박생강의 옆구리tv] 주말 밤 9시",
                "주말 밤 9시",
            ),
        ];
        for (line, want) in cases {
            assert_eq!(strip_dateline(line), want, "{line:?}");
        }
        for line in [
            "The talks — the first in years — ended on Friday.",
            "Time is not on Adam Schiff’s side.",
            "a lower-case start — is not a dateline",
            "",
        ] {
            assert_eq!(strip_dateline(line), line.trim_start(), "{line:?}");
        }
    }
}

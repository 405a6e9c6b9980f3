//! Tests of the language as a whole: every construct compiled and evaluated
//! on small items. Errors, explanations and fuzzing are in `tests_errors`;
//! the helpers here are shared with it.

use chrono::{DateTime, TimeZone, Utc};

use super::*;

pub(super) fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 28, 12, 0, 0)
        .single()
        .unwrap_or_default()
}

pub(super) fn lists() -> TermLists {
    TermLists::new([
        (
            "ne_asia".to_string(),
            ["Korea*", "Seoul", "Japan", "Tokyo", "한국", "中国", "北京"]
                .map(String::from)
                .to_vec(),
        ),
        (
            "diplomacy".to_string(),
            ["foreign minister*", "summit", "/kim\\s+jong[- ]un/"]
                .map(String::from)
                .to_vec(),
        ),
    ])
}

pub(super) fn item(title: &str, summary: &str) -> ItemView<'static> {
    ItemView {
        title: Box::leak(title.to_string().into_boxed_str()),
        summary: Box::leak(summary.to_string().into_boxed_str()),
        ..ItemView::default()
    }
}

/// Compiles `rule` (panicking with the rendered error if it is wrong).
pub(super) fn rule(src: &str) -> Rules {
    match compile(src, &lists()) {
        Ok(r) => r,
        Err(e) => panic!("{}", e.render(src)),
    }
}

pub(super) fn hit(src: &str, title: &str, summary: &str) -> bool {
    let r = rule(src);
    let it = item(title, summary);
    let verdict = r.matches(&it, now());
    assert_eq!(
        verdict,
        r.explain(&it, now()).matched,
        "explain disagrees for {src:?}"
    );
    verdict
}

pub(super) fn err(src: &str) -> (usize, usize, String) {
    match compile(src, &lists()) {
        Ok(_) => panic!("{src:?} should not compile"),
        Err(e) => (e.offset, e.len, e.expected),
    }
}

#[test]
fn words_are_case_insensitive_whole_words() {
    assert!(hit("korea", "KOREA and Japan", ""));
    assert!(hit("Korea", "Korea's envoy", ""));
    assert!(!hit("korea", "Koreatown restaurant", ""));
    assert!(!hit("korea", "SouthKorea", ""));
    assert!(hit("g7", "G7 partners", "") && !hit("g7", "G70", ""));
}

#[test]
fn prefix_wildcards_need_only_the_start_boundary() {
    assert!(hit("korea*", "Koreatown restaurant", ""));
    assert!(hit("diplomat*", "diplomatic row", ""));
    assert!(!hit("diplomat*", "nondiplomatic", ""));
    assert!(hit("\"foreign minist\"*", "Foreign Ministry says", ""));
}

#[test]
fn phrases_match_across_whitespace_and_case() {
    assert!(hit(
        "\"foreign minister\"",
        "the Foreign\n  Minister met",
        ""
    ));
    assert!(!hit("\"foreign minister\"", "foreign ministers", ""));
    assert!(hit("\"K-pop\"", "A K-pop star", ""));
}

#[test]
fn cjk_terms_match_as_substrings() {
    assert!(hit("한국", "", "한국과 관계 개선"));
    assert!(hit("中国", "", "中国外交部发言人"));
    assert!(hit("外相", "ロシア外相の訪朝", ""));
    // A Latin term next to CJK text still has a word boundary there.
    assert!(hit("korea", "Korea와 일본", ""));
    // Full-width Latin folds to ASCII (NFKC).
    assert!(hit("seoul", "ＳＥＯＵＬ", ""));
}

#[test]
fn boolean_operators_and_precedence() {
    assert!(hit("seoul and tokyo", "Seoul, Tokyo", ""));
    assert!(hit("seoul tokyo", "Seoul, Tokyo", ""));
    assert!(!hit("seoul tokyo", "Seoul only", ""));
    assert!(hit("seoul or tokyo", "Tokyo only", ""));
    assert!(hit("not seoul", "Tokyo", "") && !hit("not seoul", "Seoul", ""));
    // and binds tighter than or; not tighter than and.
    assert!(hit("a b or c", "c", ""));
    assert!(!hit("a (b or c)", "c", ""));
    assert!(hit("not a b", "b", "") && !hit("not a b", "a b", ""));
    assert!(hit("NOT a AND b OR c", "c", ""));
}

#[test]
fn regexes_run_on_folded_text() {
    assert!(hit(r"/kim\s+jong[- ]un/", "KIM JONG-UN visits", ""));
    assert!(hit(r"/kim\s+jong[- ]un/", "Kim  Jong Un visits", ""));
    assert!(!hit(r"/^seoul/", "Tokyo and Seoul", ""));
    assert!(hit(r"/a\/b/", "x a/b y", ""));
    // The c flag: case-sensitive, on the original text.
    assert!(hit(r"/\bUS\b/c", "US envoy visits Seoul", "") && !hit(r"/\bUS\b/c", "told us", ""));
    let cs = TermLists::new([("us".to_string(), vec![r"/\bUS\b/c".to_string()])]);
    let r = compile("@us", &cs).ok();
    assert!(r.is_some_and(
        |r| r.matches(&item("US, Japan", ""), now()) && !r.matches(&item("us", ""), now())
    ));
    let ex = rule(r"title:/\bUS\b/c").explain(&item("The US and Korea", ""), now());
    assert!(
        ex.reasons
            .iter()
            .any(|l| l.contains("title: \"The [US] and Korea\"")),
        "{:?}",
        ex.reasons
    );
}

#[test]
fn field_scopes() {
    assert!(hit("title:seoul", "Seoul", "") && !hit("title:seoul", "", "Seoul"));
    assert!(hit("summary:seoul", "", "Seoul"));
    assert!(hit("seoul", "", "Seoul"));
    assert!(!hit("title:(seoul or tokyo)", "", "Seoul Tokyo"));
    assert!(hit("title:(seoul or summary:tokyo)", "", "Tokyo"));
    let r = rule("content:treaty author:kim category:politics");
    let cats = vec!["World".to_string(), "Politics".to_string()];
    let it = ItemView {
        content: "A treaty.",
        author: "Kim Min-ji",
        categories: &cats,
        ..ItemView::default()
    };
    assert!(r.matches(&it, now()));
    let r = rule("link:youtube domain:bbc.co.uk feed:asia");
    let tags = vec!["asia".to_string()];
    let mut it = ItemView {
        link: "https://www.bbc.co.uk/youtube/1",
        feed_name: "BBC",
        feed_tags: &tags,
        ..ItemView::default()
    };
    assert!(r.matches(&it, now()));
    it.link = "https://bbc.co.uk.example.com/youtube";
    assert!(!r.matches(&it, now()));
    assert!(rule("feed:bbc").matches(
        &ItemView {
            feed_name: "BBC World",
            ..ItemView::default()
        },
        now()
    ));
    assert!(rule("domain:bbc.co.uk").matches(
        &ItemView {
            link: "http://user@BBC.co.uk:8080/x",
            ..ItemView::default()
        },
        now()
    ));
    assert!(rule(r"domain:/^news\./").matches(
        &ItemView {
            link: "https://news.example.org/",
            ..ItemView::default()
        },
        now()
    ));
    assert!(hit("text:seoul", "", "Seoul"));
}

#[test]
fn term_lists_any_all_atleast() {
    assert!(hit("any(@ne_asia)", "Koreans in Japan", ""));
    assert!(hit("@ne_asia", "北京", ""));
    assert!(!hit("any(@ne_asia)", "Paris", ""));
    assert!(hit("atleast(2, @ne_asia)", "Seoul and Tokyo", ""));
    // Distinct terms: Seoul twice counts once.
    assert!(!hit("atleast(2, @ne_asia)", "Seoul, Seoul, Seoul", ""));
    assert!(hit("atleast(3, @ne_asia)", "Seoul", "Tokyo, 中国"));
    assert!(hit("all(seoul, tokyo)", "Seoul Tokyo", "") && !hit("all(seoul, tokyo)", "Seoul", ""));
    assert!(hit("any(\"K-pop\", k-drama)", "k-drama", ""));
    // Mixed operands: a list's terms count one by one, groups count once.
    assert!(hit(
        "atleast(2, @ne_asia, (summit and talks))",
        "Seoul",
        "summit talks"
    ));
    assert!(hit("title:any(@ne_asia)", "Seoul", "") && !hit("title:any(@ne_asia)", "", "Seoul"));
    assert!(hit("any(@diplomacy)", "Kim Jong Un", ""));
}

#[test]
fn date_conditions() {
    let r = rule("newer(7d)");
    let mut it = ItemView {
        published: Some(now() - chrono::TimeDelta::days(2)),
        ..ItemView::default()
    };
    assert!(r.matches(&it, now()));
    assert!(rule("older(36h)").matches(&it, now()));
    assert!(!rule("older(3d)").matches(&it, now()));
    assert!(rule("newer(1w) and not newer(30m)").matches(&it, now()));
    assert!(rule("after(2026-11-01) before(2026-11-27T00:00:00Z)").matches(&it, now()));
    assert!(!rule("after(2026-11-27)").matches(&it, now()));
    it.published = None;
    assert!(!r.matches(&it, now()) && !rule("older(1d)").matches(&it, now()));
}

/// `about()` on an item with `content` as its full text.
fn about(src: &str, title: &str, summary: &str, content: &str) -> bool {
    let r = rule(src);
    let it = ItemView {
        content: Box::leak(content.to_string().into_boxed_str()),
        ..item(title, summary)
    };
    let verdict = r.matches(&it, now());
    assert_eq!(verdict, r.explain(&it, now()).matched, "explain disagrees");
    verdict
}

/// `n` words of filler, none of them a term.
fn filler(n: usize) -> String {
    vec!["the delegation discussed trade"; n.div_ceil(4)].join(" ")
}

#[test]
fn about_holds_in_the_title_or_when_the_terms_dominate_the_text() {
    let sport = r#"about("Asian Games", football, olymp*, 아시안게임, 亚运会, /\bFIFA\b/c)"#;
    // In the title: what the item is about.
    assert!(about(sport, "Korea wins Asian Games football gold", "", ""));
    // One mention in the summary: in passing.
    let passing = "Han met Xi on the sidelines of the Asian Games' opening ceremony in Hangzhou.";
    assert!(!about(sport, "Han Duck-soo meets Xi Jinping", passing, ""));
    // Two mentions are still in passing; three in a short summary fill it.
    assert!(!about(
        sport,
        "Japan edges Korea 2-1",
        "Mitoma scored late in the Asian Games football final.",
        ""
    ));
    assert!(about(
        sport,
        "Japan edges Korea 2-1",
        "Mitoma scored late in the Asian Games football final, the Olympic hopeful's third goal.",
        ""
    ));
    // Three mentions in a long article are a small share of it.
    let long = format!(
        "{passing} {} The football team and Olympic hopefuls also arrived.",
        filler(200)
    );
    assert!(!about(sport, "Han Duck-soo meets Xi Jinping", "", &long));
    let dense = format!(
        "{} Football fans cheered. Olympic hopes. FIFA officials. Asian Games. Football again.",
        filler(150)
    );
    assert!(about(sport, "A night in Hangzhou", "", &dense));
    // Prefixes count whole words; case-sensitive regexes count on the original.
    assert!(!about(sport, "x", "fifa, the Olympiad, olympics", ""));
    assert!(about(sport, "x", "FIFA, the Olympiad, olympics", ""));
    // Korean and Chinese: substrings, words counted by spaces (Korean) or
    // characters (Chinese).
    assert!(!about(
        sport,
        "한중 총리 회담",
        "한덕수 총리는 항저우 아시안게임 개막식을 계기로 시진핑 주석과 회담했다.",
        ""
    ));
    assert!(about(
        sport,
        "한국, 일본 꺾고 결승행",
        "한국 축구 대표팀이 아시안게임 준결승에서 일본을 꺾었다. 아시안게임 3연패에 도전한다. 결승은 아시안게임 마지막 날이다.",
        ""
    ));
    assert!(!about(
        sport,
        "韩国总理会见习近平",
        "韩国总理韩德洙在杭州出席亚运会开幕式期间会见了中国国家主席习近平，双方就两国关系、朝鲜半岛局势等交换了意见。",
        ""
    ));
    assert!(about(
        sport,
        "杭州之夜",
        "亚运会足球决赛在杭州举行，亚运会观众创纪录，亚运会闭幕。",
        ""
    ));
    // As an exclusion: only the items about the topic are dropped.
    let rule = format!("any(@ne_asia) and not {sport}");
    assert!(about(&rule, "Seoul, Tokyo envoys meet", passing, ""));
    assert!(!about(&rule, "Seoul hosts Asian Games qualifier", "", ""));
}

#[test]
fn about_explains_a_passing_mention_and_a_topic() {
    let r = rule("about(football, \"Asian Games\")");
    let passing = item(
        "Han Duck-soo meets Xi Jinping",
        "Han met Xi on the sidelines of the Asian Games' opening ceremony.",
    );
    let e = r.explain(&passing, now());
    assert!(!e.matched);
    assert!(
        e.reasons[0].contains("only mentioned in passing: not in the title, and 1 mention in 12 words of summary and content (needed: 3, and 1 per 50 words): Asian Games"),
        "{:?}",
        e.reasons
    );
    assert!(
        e.reasons[1].contains("summary: \"…met Xi on the sidelines of the [Asian Games]' opening"),
        "{:?}",
        e.reasons
    );
    let e = r.explain(&item("Asian Games football final", ""), now());
    assert!(e.matched);
    assert!(
        e.reasons[0].contains("in the title (football, Asian Games)"),
        "{:?}",
        e.reasons
    );
}

#[test]
fn explanations_list_matched_terms_and_failed_clauses() {
    let r = rule("any(@ne_asia) and summit and not title:tokyo");
    let e = r.explain(&item("Seoul summit", ""), now());
    assert!(e.matched);
    assert_eq!(e.matched_terms, ["Seoul (title)", "summit (title)"]);
    assert!(e.failed_clauses.is_empty());
    let e = r.explain(&item("Tokyo summit in Seoul", ""), now());
    assert!(!e.matched);
    assert_eq!(e.failed_clauses.len(), 1, "{:?}", e.failed_clauses);
    assert!(
        e.failed_clauses[0].starts_with("✗ not title:tokyo — excluded"),
        "{:?}",
        e.failed_clauses
    );
    let e = rule("summit").explain(&item("Seoul talks", ""), now());
    assert_eq!(
        e.failed_clauses,
        ["✗ summit — not found in title, summary, content"]
    );
}

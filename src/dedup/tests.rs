//! Hand-made cases: an outlet's rewrite (several changes at once), teasers,
//! digests, page furniture and templates, and a report of the same event
//! written independently, which must stay apart (Korean, Japanese and Chinese
//! in `tests_cjk`); the encoding, its pinned values, the index. All stories
//! and people are fictional.

use super::tests_cjk::{KO, KO_TITLE};
use super::*;

/// One item: (title, summary, content).
pub(super) type Item = (&'static str, &'static str, String);

fn sig((title, summary, content): &Item) -> Signature {
    Signature::of(title, summary, content)
}

fn verdict(new: &Item, old: &Item) -> Verdict<&'static str> {
    judge(&sig(new), &[("old", &sig(old))])
}

#[track_caller]
pub(super) fn assert_copy(new: &Item, old: &Item) {
    let v = verdict(new, old);
    assert!(
        matches!(v, Verdict::Copy { .. }),
        "expected a copy: {:?}",
        v.reasons(|i| i.to_string())
    );
    // The decision does not depend on which of the two came first.
    let v = verdict(old, new);
    assert!(
        matches!(v, Verdict::Copy { .. }),
        "expected a copy (reversed): {:?}",
        v.reasons(|i| i.to_string())
    );
}

#[track_caller]
pub(super) fn assert_apart(new: &Item, old: &Item) {
    for (a, b) in [(new, old), (old, new)] {
        let v = verdict(a, b);
        assert!(
            matches!(v, Verdict::New { .. }),
            "expected different stories: {:?}",
            v.reasons(|i| i.to_string())
        );
    }
}

pub(super) fn paragraphs(p: &[&str]) -> String {
    p.join("\n\n")
}

const FERRY: [&str; 7] = [
    "BUSAN, South Korea (Newswire) -- A new overnight ferry between Busan and Fukuoka will begin sailing next month, port officials in both cities said on Wednesday, offering students and working-holiday visa holders a cheaper way to cross the Korea Strait.",
    "The 620-passenger Camellia Star will leave Busan's international terminal at 10:30 p.m. three times a week and reach Hakata port the next morning. One-way tickets in shared cabins will cost 59,000 won, about half the lowest airfare on the route in the summer season.",
    "“Young people have been asking for a slower, cheaper way to travel,” said Kim Do-yeon, the head of the Busan Port Authority's passenger division. “A night on the water is also a night they do not pay for a hotel.”",
    "The operator, Hanbada Lines, said it had signed agreements with six universities in the two cities to sell discounted passes to exchange students. Bicycles can be carried free of charge, and the ship has a study lounge that stays open until 2 a.m.",
    "Ferry traffic across the strait collapsed during the pandemic and has recovered only slowly. Fewer than 400,000 passengers made the crossing by sea last year, compared with more than 1.2 million in 2019, according to figures from the Korean maritime ministry.",
    "Officials in Fukuoka said they hoped the new service would bring more visitors to the city's port district, where a market hall and a ferry museum are due to open in the spring. The city will run a shuttle bus from Hakata port to the main railway station timed to the ship's arrival.",
    "Hanbada Lines plans to add a fourth weekly sailing in the summer if bookings are strong, and is studying a route to Shimonoseki for 2028.",
];
const FERRY_TITLE: &str = "Busan and Fukuoka launch overnight ferry for students and workers";

fn ferry() -> Item {
    (FERRY_TITLE, FERRY[0], paragraphs(&FERRY))
}

/// An outlet's rewrite: new headline, a local paragraph and page furniture on
/// top, the dateline rewritten, words changed in two paragraphs, two
/// paragraphs swapped, the last one cut, a copyright line at the end.
fn ferry_rewrite() -> Item {
    let first = "SEOUL, March 4 (Yonhap) -- A new overnight ferry between Busan and Fukuoka will start sailing next month, port officials in both cities announced Wednesday, offering students and working-holiday visa holders a more affordable way to cross the Korea Strait.";
    let local = "In Changwon, where many students take the bus to Busan's port, the news was welcomed. “We get questions about Japan every vacation,” said Park Ji-min, who runs the international office at a local university.";
    let operator = "The operator, Hanbada Lines, said it had reached deals with six universities in the two cities to sell cheaper passes to exchange students. Bicycles travel free of charge, and the ship has a study lounge that stays open until 2 a.m.";
    let content = format!(
        "Share on Facebook\nFont size\n-2 -1 0 +1 +2\n\n{}\n\nCopyright (c) 2026 The Gyeongnam Daily. All rights reserved.\nTop 10 Stories",
        paragraphs(&[
            local, first, FERRY[1], FERRY[2], operator, FERRY[5], FERRY[4]
        ])
    );
    (
        "Overnight ferry to link Busan and Fukuoka from next month",
        local,
        content,
    )
}

/// The same event, written independently: shared names, figures and one quote.
fn ferry_independent() -> Item {
    let p = [
        "Students who shuttle between Korea and Japan on a budget will soon have a new option: a night boat. From next month, Hanbada Lines will run the Camellia Star from Busan to Fukuoka's Hakata port three evenings a week.",
        "The company is pitching the 11-hour crossing at exchange students and young people on working-holiday visas, with shared-cabin fares starting at 59,000 won. Airlines charge roughly twice that on the same route during the summer.",
        "At a briefing in Busan on Wednesday, port authority official Kim Do-yeon said demand had come from young travellers themselves. “A night on the water is also a night they do not pay for a hotel,” she said.",
        "Sea travel between the two countries has not returned to where it was before COVID-19. Last year's passenger numbers were about a third of the 2019 level, ministry data show.",
        "Six universities have agreed to sell discounted passes. In Fukuoka, the city government plans a shuttle bus from the port to Hakata Station and sees the ferry as a boost for a redeveloped waterfront.",
        "The operator said it may add a fourth sailing in summer and is looking at Shimonoseki as a second destination.",
    ];
    (
        "Night boat to Hakata: cheap ferry aims at students crossing the strait",
        p[0],
        paragraphs(&p),
    )
}

#[test]
fn an_outlets_rewrite_is_the_same_story() {
    assert_copy(&ferry_rewrite(), &ferry());
}

#[test]
fn a_teaser_is_the_same_story_as_the_full_text() {
    let teaser = (FERRY_TITLE, FERRY[0], String::new());
    assert_copy(&teaser, &ferry());
    // Under a new headline, the lead alone (40 words) is enough.
    let retitled = ("Ferry news", FERRY[0], String::new());
    assert_copy(&retitled, &ferry());
    // A rewritten dateline and two changed words, under the same headline.
    let reworded = (
        FERRY_TITLE,
        "SEOUL (Yonhap) — A new overnight ferry between Busan and Fukuoka will start sailing next month, port officials in both cities said on Wednesday, offering students and working-holiday visa holders a cheaper way to cross the strait.",
        String::new(),
    );
    assert_copy(&reworded, &ferry());
}

#[test]
fn independent_reports_of_one_event_are_different_stories() {
    assert_apart(&ferry_independent(), &ferry());
    assert_apart(&ferry_independent(), &ferry_rewrite());
    let teaser = (
        "Night boat to Hakata: cheap ferry aims at students crossing the strait",
        ferry_independent().1,
        String::new(),
    );
    assert_apart(&teaser, &ferry());
}

#[test]
fn a_digest_quoting_a_story_does_not_swallow_it() {
    let others = [
        "The central bank kept its policy rate unchanged on Thursday, citing slowing inflation and weak exports, and signalled that a cut could come as early as the summer if prices keep easing.",
        "A magnitude 5.1 earthquake shook the southern coast early on Tuesday, rattling windows in three cities but causing no reported injuries, the weather agency said in a statement.",
        "The national football team named three uncapped players in its squad for next month's qualifiers, including a 19-year-old striker who has scored eleven goals in the second division this season.",
        "Lawmakers passed a bill on Monday that caps the fees delivery apps may charge restaurants at 9.8 percent of each order, after two years of talks between the platforms and small businesses.",
        "Visitors to the national museum can see a newly restored 14th-century map of East Asia from Friday, the first time it has been shown in public since a fire damaged it in 2003.",
    ];
    let digest = (
        "Morning briefing: what you need to know today",
        others[0],
        paragraphs(&[
            others[0], others[1], others[2], others[3], FERRY[0], others[4],
        ]),
    );
    assert_apart(&digest, &ferry());
    // A teaser of a story the digest quotes after its lead.
    let teaser = (FERRY_TITLE, FERRY[0], String::new());
    assert_apart(&teaser, &digest);
}

#[test]
fn generic_short_teasers_are_never_enough() {
    let a = ("Staff Reports", "Staff Reports", String::new());
    let b = (
        "Staff Reports",
        "Staff Reports",
        paragraphs(&["Staff Reports", FERRY[1], FERRY[2]]),
    );
    let c = ("Letters", "To the editor:", String::new());
    let d = (
        "Letters",
        "To the editor:",
        paragraphs(&["To the editor:", FERRY[3]]),
    );
    // Two words of title and two of text that are exactly the other's title
    // and first paragraph are the least that counts…
    assert_copy(&a, &b);
    // …a one-word title is not.
    assert_apart(&c, &d);
    // A same short lead under different titles is not a copy.
    let e = ("Police log for Monday", "Staff Reports", String::new());
    assert_apart(&e, &b);
}

#[test]
fn shared_boilerplate_and_template_paragraphs_do_not_merge_short_stories() {
    let furniture = "Share on Facebook\nFont size\nA view of the area on Sunday, in a photo released by the authorities. (EPA)\n\n";
    let footer = "\n\nCopyright (c) 2026 The Harbor Times. All rights reserved.\nRelated articles";
    let local = "The news drew quick reaction in Riverton, where council member Priya Raman said the community would take the time to understand the details before responding.";
    let one = (
        "Bridge closed",
        local,
        format!(
            "{furniture}{local}\n\nThe old river bridge will close for repairs from Monday for six weeks, the county said.{footer}"
        ),
    );
    let other_local = local
        .replace("Riverton", "Oakdale")
        .replace("Priya Raman", "Tom Ellis");
    let two = (
        "School opens",
        "",
        format!(
            "{furniture}{other_local}\n\nA new primary school with room for 400 pupils opened in the east of the county on Tuesday.{footer}"
        ),
    );
    assert_apart(&one, &two);
}

#[test]
fn the_first_matching_candidate_wins_and_reasons_name_it() {
    let original = ferry();
    let teaser = (FERRY_TITLE, FERRY[0], String::new());
    let v = judge(
        &sig(&ferry_rewrite()),
        &[
            ("independent", &sig(&ferry_independent())),
            ("original", &sig(&original)),
            ("teaser", &sig(&teaser)),
        ],
    );
    let reasons = v.reasons(|i| format!("{i} (wire)"));
    assert!(
        matches!(v, Verdict::Copy { of: "original", .. }),
        "{reasons:?}"
    );
    assert!(
        reasons[0].starts_with("same story as original (wire): 0.")
            && reasons[0].contains("shingles shared"),
        "{reasons:?}"
    );
    // The caller's order decides between stories (oldest first): the full
    // text matches the teaser as well as the original.
    let v = judge(
        &sig(&original),
        &[
            ("teaser", &sig(&teaser)),
            ("rewrite", &sig(&ferry_rewrite())),
        ],
    );
    assert!(matches!(v, Verdict::Copy { of: "teaser", .. }));
    let v = judge(&sig(&ferry_independent()), &[("original", &sig(&original))]);
    let reasons = v.reasons(|i| i.to_string());
    assert!(
        reasons[0].starts_with("new story; closest was original: "),
        "{reasons:?}"
    );
    assert!(
        judge::<&str>(&sig(&original), &[])
            .reasons(|i| i.to_string())
            .is_empty()
    );
}

#[test]
fn items_without_text_never_join() {
    let empty = Signature::of("", "", "");
    assert!(empty.is_empty());
    assert!(empty.keys().is_empty());
    assert!(matches!(
        judge(&empty, &[("x", &empty)]),
        Verdict::New { closest: None }
    ));
    assert!(matches!(
        judge(&sig(&ferry()), &[("x", &empty)]),
        Verdict::New { closest: None }
    ));
}

#[test]
fn signatures_round_trip_and_stay_small() {
    // 40 distinct paragraphs, about 2,000 words: samples are thinned.
    let long = (0..40)
        .map(|i| format!("Part {i}. {}", FERRY[i % FERRY.len()]))
        .collect::<Vec<_>>()
        .join("\n\n");
    for item in [
        ferry(),
        ferry_rewrite(),
        (KO_TITLE, KO[0], String::new()),
        ("t", "", long),
    ] {
        let s = sig(&item);
        let bytes = s.to_bytes();
        assert_eq!(Signature::from_bytes(&bytes), Ok(s.clone()));
        assert!(
            bytes.len() <= 12 + 2 * (32 + 200) + 4 * MAX_SAMPLES,
            "{}",
            bytes.len()
        );
        assert!(!s.keys().is_empty() && s.keys().len() <= 14);
    }
}

#[test]
fn malformed_bytes_are_refused() {
    let bytes = sig(&ferry()).to_bytes();
    assert_eq!(
        Signature::from_bytes(&bytes[..bytes.len() - 1]),
        Err(DecodeError::Malformed("length does not match the header"))
    );
    assert!(Signature::from_bytes(&bytes[..5]).is_err());
    let mut other = bytes.clone();
    other[0] = 2;
    assert_eq!(Signature::from_bytes(&other), Err(DecodeError::Version(2)));
    // Samples out of order.
    let mut swapped = bytes.clone();
    let n = swapped.len();
    let (a, b) = swapped.split_at_mut(n - 4);
    a[n - 8..].swap_with_slice(b);
    assert!(Signature::from_bytes(&swapped).is_err());
    assert!(Signature::from_bytes(&[]).is_err());
}

/// Stored signatures and keys must not change between releases: these
/// values pin the tokeniser, the boilerplate tables, the hash and the encoding.
/// A change here needs a new signature version (and recomputation).
#[test]
fn encoding_and_keys_are_pinned() {
    let s = sig(&ferry());
    let digest = hash::bytes(&s.to_bytes());
    let keys = s.keys();
    assert_eq!(
        (
            s.to_bytes().len(),
            s.shingles,
            s.level,
            format!("{digest:016x}")
        ),
        (740, 267, 1, "7aa067cae1699e9a".to_string())
    );
    let keys: Vec<String> = keys.iter().map(|k| format!("{k:016x}")).collect();
    assert_eq!(
        keys,
        [
            "0f62c0b0d91d43cb",
            "1473b37c1d8c8dbd",
            "153a45d91bc679da",
            "4d39ffbba6df797d",
            "509029d146665117",
            "5d3c828991923d17",
            "712190445a4199ad",
        ]
    );
}

#[test]
fn the_window_time_and_the_entry() {
    let t = |h: i64| DateTime::<Utc>::from_timestamp(1_800_000_000 + h * 3600, 0).unwrap();
    assert_eq!(item_time(Some(t(-5)), t(0)), t(-5));
    assert_eq!(
        item_time(Some(t(5)), t(0)),
        t(0),
        "a future date is not trusted"
    );
    assert_eq!(item_time(None, t(0)), t(0));

    let prefer = vec!["Yonhap".to_string(), "Reuters".to_string()];
    assert_eq!(entry(&prefer, ["AP", "Reuters", "Yonhap", "Reuters"]), 2);
    assert_eq!(entry(&prefer, ["AP", "Reuters"]), 1);
    assert_eq!(
        entry(&prefer, ["AP", "AFP"]),
        0,
        "no preferred copy: the first"
    );
    assert_eq!(entry(&[], ["AP", "AFP"]), 0);
}

#[test]
fn the_index_finds_copies_within_the_window_only() {
    let t = |h: i64| DateTime::<Utc>::from_timestamp(1_800_000_000 + h * 3600, 0).unwrap();
    let window = std::time::Duration::from_secs(72 * 3600);
    let mut index: Index<&str> = Index::new(window);
    let s = sig(&ferry());
    index.insert(t(0), s.clone(), s.keys(), "original");
    let s = sig(&ferry_independent());
    index.insert(t(1), s.clone(), s.keys(), "independent");
    let new = sig(&ferry_rewrite());
    let found = |index: &Index<&'static str>, at: i64| -> Vec<&'static str> {
        let since = t(at) - chrono::Duration::from_std(window).unwrap();
        index
            .candidates(&new.keys(), since)
            .into_iter()
            .map(|(_, e)| e.value)
            .collect()
    };
    assert!(found(&index, 10).contains(&"original"));
    assert!(
        !found(&index, 80).contains(&"original"),
        "older than the window"
    );
    // Far later items push old ones out of memory.
    for h in 0..10 {
        let s = sig(&("x", "", format!("filler {h}")));
        index.insert(t(200 + h), s.clone(), s.keys(), "filler");
    }
    assert_eq!(index.len(), 10);
    assert!(index.get(0).is_none());
}

#[test]
fn hostile_text_is_linear_and_safe() {
    // One 2 MB "word", a 2 MB line of CJK, control characters and lone
    // combining marks: no panic, and fast (linear).
    let word = "a".repeat(2 << 20);
    let cjk = "漢".repeat(700_000);
    let odd = "\u{0}\u{301}\u{200b}\r\n\r\n\t– — -- ( [ 【 】 ) ] ＝ =\n".repeat(10_000);
    let started = std::time::Instant::now();
    for text in [&word, &cjk, &odd] {
        let s = Signature::of(text, text, text);
        let _ = judge(&s, &[(0, &s)]);
        assert!(s.to_bytes().len() < 4096);
    }
    assert!(started.elapsed().as_secs() < 20, "{:?}", started.elapsed());
}

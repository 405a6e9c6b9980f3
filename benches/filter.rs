//! Filter benchmark (issue "The filter language").
//!
//! 1. Throughput of `Rules::matches` with the shipped example filter
//!    (`northeast-asia-diplomacy` in config/tidings.toml), on one thread: ~100,000
//!    synthetic items (title + summary + ~2 KB of content) in English, Korean,
//!    Japanese and Chinese, from news-like sentence pools that include the
//!    filter's places and diplomatic words at realistic rates; prints MB/s.
//! 2. Re-evaluation of a changed filter over the same items stored in a real
//!    SQLite file (the daemon's `Store::reevaluate` path); prints seconds.
//!
//! Run: `cargo bench --bench filter [-- ITEMS]`

use std::hint::black_box;
use std::time::Instant;

use chrono::Utc;
use tidings::filter::ItemView;
use tidings::membership::stored_item_view;
use tidings::model::{Body, NewItem};
use tidings::store::{FeedRef, Refresh, Store};
use tidings::text::prepare;

const EN: &[&str] = &[
    "The foreign ministers of Japan and South Korea met in Seoul on Tuesday to discuss regional security.",
    "Shares in Tokyo rose for a third day as exporters gained on a weaker yen.",
    "Officials said the agreement would take effect next year after ratification by parliament.",
    "The local council approved a new budget for road repairs and school buildings.",
    "Beijing said it firmly opposed any interference in its internal affairs.",
    "Heavy rain is expected across the region through the weekend, forecasters said.",
    "The company reported quarterly profit above analysts' expectations.",
    "Pyongyang's state media said the leader inspected a new factory in the north of the country.",
    "Fans queued overnight outside the stadium for tickets to the final.",
    "The envoy is expected to travel to Moscow later this month for further talks.",
    "Critics said the plan did little to address rising housing costs in the capital.",
    "Researchers published the findings in a peer-reviewed journal on Monday.",
];
const KO: &[&str] = &[
    "한중 외교장관 회담이 베이징에서 열렸다.",
    "서울 아파트 가격이 4주 연속 상승했다고 한국부동산원이 밝혔다.",
    "기상청은 주말 동안 전국에 비가 내릴 것이라고 예보했다.",
    "정부는 내년도 예산안을 국회에 제출했다.",
    "북한은 조선중앙통신을 통해 담화를 발표했다.",
    "프로야구 개막전에 3만 명의 관중이 몰렸다.",
];
const JA: &[&str] = &[
    "日中首脳会談は北京で行われた。",
    "東京株式市場で日経平均株価は反発した。",
    "気象庁は大雨への警戒を呼びかけている。",
    "外務省は韓国大使館に抗議した。",
    "新型スマートフォンの販売が好調だ。",
];
const ZH: &[&str] = &[
    "中国外交部发言人在例行记者会上表示，中方愿同韩方加强合作。",
    "北京国际马拉松今日鸣枪开跑。",
    "国家统计局公布了最新的经济数据。",
    "日本首相在东京会见了来访的美国国务卿。",
    "上海证券交易所股价小幅下跌。",
];

/// General news, most of any feed: no diplomacy, sometimes a place name.
const NEUTRAL: &[&str] = &[
    "The central bank left interest rates unchanged, citing stubborn inflation in services.",
    "A new study found that people who walk 8,000 steps a day live longer on average.",
    "The striker scored twice in the second half to send his club top of the league.",
    "Prices for fresh vegetables in Seoul rose sharply after weeks of heavy rain.",
    "The museum reopened after a two-year renovation with a new wing for modern art.",
    "Police said the suspect was arrested at his home early on Sunday morning.",
    "The startup raised $40 million to expand its delivery service to three more cities.",
    "Engineers are testing a battery that charges in ten minutes and lasts for 500 km.",
    "Tourists crowded the old town of Kyoto as the autumn leaves reached their peak.",
    "The film's director said she wanted to tell a story about her grandmother's village.",
    "Commuters faced delays after a signal failure on the main line into the city.",
    "The festival drew record crowds despite the cold weather and long queues.",
];
const NEUTRAL_KO: &[&str] = &[
    "서울 시내 주요 도로가 출근 시간대에 정체를 빚었다.",
    "가을 단풍이 절정을 맞아 등산객이 몰렸다.",
    "새 스마트폰 판매가 예상을 웃돌았다.",
];
const NEUTRAL_JA: &[&str] = &[
    "東京では週末にかけて晴れの日が続く見込みだ。",
    "新しい駅ビルが来月開業する。",
    "大学入試の出願が始まった。",
];
const NEUTRAL_ZH: &[&str] = &[
    "上海的房价在过去一个月里小幅上涨。",
    "新的地铁线路将于明年开通。",
    "今年的秋粮收购工作全面展开。",
];

/// xorshift: deterministic, dependency-free randomness.
struct Rng(u64);
impl Rng {
    fn next(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n as u64) as usize
    }
}

struct Item {
    title: String,
    summary: String,
    content: String,
}

fn make_item(rng: &mut Rng) -> Item {
    // 70% English, 10% each Korean, Japanese, Chinese, with some English
    // sentences mixed in; 30% from topical (regional, diplomatic) pools, the
    // rest general news.
    let topical = rng.next(10) < 3;
    let pool = match (rng.next(10), topical) {
        (0, true) => KO,
        (0, false) => NEUTRAL_KO,
        (1, true) => JA,
        (1, false) => NEUTRAL_JA,
        (2, true) => ZH,
        (2, false) => NEUTRAL_ZH,
        (_, true) => EN,
        (_, false) => NEUTRAL,
    };
    let pick = |rng: &mut Rng| {
        if rng.next(8) == 0 {
            EN[rng.next(EN.len())]
        } else {
            pool[rng.next(pool.len())]
        }
    };
    let title = pick(rng).trim_end_matches('.').to_string();
    let summary = format!("{} {}", pick(rng), pick(rng));
    let mut content = String::with_capacity(2200);
    while content.len() < 2000 {
        content.push_str(pick(rng));
        content.push(if rng.next(4) == 0 { '\n' } else { ' ' });
    }
    Item {
        title,
        summary,
        content,
    }
}

fn main() -> Result<(), String> {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(100_000);
    let config_path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("config/tidings.toml");
    let config = tidings::config::load(&config_path).map_err(|e| e.to_string())?;
    let output = config
        .outputs
        .iter()
        .find(|o| o.name == "northeast-asia-diplomacy")
        .ok_or("no northeast-asia-diplomacy output")?;
    let rules = output
        .filter
        .clone()
        .ok_or("the example output has no filter")?;
    println!("example filter: {}", rules.automaton_info());

    let mut rng = Rng(0x2545_F491_4F6C_DD1D);
    let items: Vec<Item> = (0..n).map(|_| make_item(&mut rng)).collect();
    let bytes: usize = items
        .iter()
        .map(|i| i.title.len() + i.summary.len() + i.content.len())
        .sum();
    let ascii = items.iter().filter(|i| i.content.is_ascii()).count();
    println!(
        "{n} items, {:.1} MB of text ({:.0}% ASCII-only items)",
        bytes as f64 / 1e6,
        100.0 * ascii as f64 / n as f64
    );

    let now = Utc::now();
    let views: Vec<ItemView> = items
        .iter()
        .map(|i| ItemView {
            title: &i.title,
            summary: &i.summary,
            content: &i.content,
            ..ItemView::default()
        })
        .collect();
    // Warm-up pass (thread-local buffers, caches), then the timed passes.
    let mut matched = views.iter().filter(|v| rules.matches(v, now)).count();
    let mut best = f64::MAX;
    for _ in 0..3 {
        let t = Instant::now();
        matched = views
            .iter()
            .filter(|v| black_box(rules.matches(black_box(v), now)))
            .count();
        best = best.min(t.elapsed().as_secs_f64());
    }
    println!("matched {matched} of {n}");
    // The same, split by script, since folding and searching CJK text costs more.
    for (name, ascii) in [("ASCII-only items", true), ("items with CJK text", false)] {
        let subset: Vec<&ItemView> = views
            .iter()
            .filter(|v| v.content.is_ascii() == ascii)
            .collect();
        let sub_bytes: usize = subset
            .iter()
            .map(|v| v.title.len() + v.summary.len() + v.content.len())
            .sum();
        let (mut m, mut secs) = (0, f64::MAX);
        for _ in 0..3 {
            let t = Instant::now();
            m = subset
                .iter()
                .filter(|v| black_box(rules.matches(black_box(v), now)))
                .count();
            secs = secs.min(t.elapsed().as_secs_f64());
        }
        println!(
            "  {name}: {} items, {m} matched, {:.0} MB/s",
            subset.len(),
            sub_bytes as f64 / 1e6 / secs
        );
    }
    println!(
        "matches: best of 3 passes {best:.3} s = {:.0} MB/s on one thread ({:.2} µs/item)",
        bytes as f64 / 1e6 / best,
        best * 1e6 / n as f64
    );
    reevaluate(&items, &rules)?;
    Ok(())
}

/// Stores the items in a fresh SQLite file (100 feeds) and times re-evaluating
/// the example filter over all of them, as the daemon does when a rule changes.
fn reevaluate(items: &[Item], rules: &tidings::filter::Rules) -> Result<(), String> {
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let store = Store::open(&dir.path().join("bench.db")).map_err(|e| e.to_string())?;
    let now = Utc::now();
    let feeds: Vec<String> = (0..100)
        .map(|f| format!("https://feed{f}.example/rss"))
        .collect();
    let t = Instant::now();
    for (f, chunk) in items.chunks(items.len().div_ceil(100).max(1)).enumerate() {
        let new: Vec<NewItem> = chunk
            .iter()
            .enumerate()
            .map(|(i, it)| NewItem {
                key: format!("guid:{f}-{i}"),
                guid: None,
                link: Some(format!("https://feed{f}.example/{i}")),
                canonical_link: None,
                title: it.title.clone(),
                summary: Some(prepare(&Body::html(it.summary.clone()), None)),
                content: Some(prepare(&Body::html(it.content.clone()), None)),
                authors: vec![],
                author: None,
                categories: vec![],
                published: Some(now),
                updated: None,
                enclosures: vec![],
                content_hash: format!("{f}-{i}"),
                print: None,
            })
            .collect();
        let refresh = Refresh {
            status: 200,
            validators: Default::default(),
            title: None,
            site_link: None,
            items: new,
            filters: vec![],
            matches: vec![],
            full_text: false,
            moved_to: None,
            not_before: None,
            dedup_window_secs: 72 * 3600,
        };
        store
            .record_refresh(
                &FeedRef {
                    url: &feeds[f],
                    name: "bench",
                },
                refresh,
                now,
            )
            .wait()
            .map_err(|e| e.to_string())?;
    }
    println!(
        "stored {} items in {:.1} s",
        items.len(),
        t.elapsed().as_secs_f64()
    );
    let no_tags: Vec<String> = Vec::new();
    let t = Instant::now();
    let (evaluated, matched) = store
        .reevaluate("bench", &feeds, "fingerprint", &|item| {
            rules.matches(&stored_item_view(item, &no_tags), now)
        })
        .map_err(|e| e.to_string())?;
    println!(
        "re-evaluated {evaluated} stored items ({matched} match) in {:.2} s (read the stored text, match, rewrite memberships)",
        t.elapsed().as_secs_f64()
    );
    Ok(())
}

//! Hand-made cases: an outlet's rewrite (several changes at once), teasers,
//! Korean, Japanese and Chinese copies, and reports of the same event written
//! independently, which must stay apart. All stories and people are fictional.

use super::*;

/// One item: (title, summary, content).
type Item = (&'static str, &'static str, String);

fn sig((title, summary, content): &Item) -> Signature {
    Signature::of(title, summary, content)
}

fn verdict(new: &Item, old: &Item) -> Verdict<&'static str> {
    judge(&sig(new), &[("old", &sig(old))])
}

#[track_caller]
fn assert_copy(new: &Item, old: &Item) {
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
fn assert_apart(new: &Item, old: &Item) {
    for (a, b) in [(new, old), (old, new)] {
        let v = verdict(a, b);
        assert!(
            matches!(v, Verdict::New { .. }),
            "expected different stories: {:?}",
            v.reasons(|i| i.to_string())
        );
    }
}

fn paragraphs(p: &[&str]) -> String {
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

const KO: [&str; 6] = [
    "(부산=뉴스와이어) 김민준 기자 = 부산과 일본 후쿠오카를 오가는 야간 여객선이 다음 달 취항한다고 양 도시 항만 당국이 수요일 밝혔다. 유학생과 워킹홀리데이 비자 소지자에게 대한해협을 건너는 저렴한 방법을 제공하겠다는 취지다.",
    "620명이 탈 수 있는 카멜리아스타호는 주 3회 오후 10시 30분 부산국제여객터미널을 출발해 다음 날 아침 하카타항에 도착한다. 다인실 편도 요금은 5만9천원으로, 여름 성수기 같은 노선 최저 항공권 가격의 절반 수준이다.",
    "부산항만공사 여객사업부 김도연 부장은 \"젊은 층이 더 느리고 저렴한 이동 수단을 요구해 왔다\"며 \"배에서 보내는 하룻밤은 숙박비를 아끼는 하룻밤이기도 하다\"고 말했다.",
    "운영사인 한바다라인은 두 도시의 대학 여섯 곳과 교환학생 할인 승선권 판매 협약을 맺었다고 밝혔다. 자전거는 무료로 실을 수 있고, 선내에는 새벽 2시까지 문을 여는 학습 라운지가 있다.",
    "대한해협 뱃길 이용객은 코로나19 대유행 기간 급감한 뒤 더디게 회복하고 있다. 해양수산부 통계에 따르면 지난해 해상으로 해협을 건넌 승객은 40만 명에 못 미쳐 2019년의 120만 명을 크게 밑돌았다.",
    "후쿠오카시 관계자는 새 노선이 봄에 시장과 여객선 박물관이 문을 여는 항구 지역에 더 많은 방문객을 불러올 것으로 기대한다고 말했다.",
];
const KO_TITLE: &str = "부산-후쿠오카 야간 여객선 다음 달 취항…학생·워킹홀리데이 겨냥";

#[test]
fn korean_copies_are_the_same_story() {
    let original = (KO_TITLE, KO[0], paragraphs(&KO));
    // Another agency's dateline, a local paragraph on top, two words changed,
    // the last paragraph cut, the rights line at the end.
    let first = KO[0]
        .replace(
            "(부산=뉴스와이어) 김민준 기자 = ",
            "(서울=연합뉴스) 이서연 기자 = ",
        )
        .replace("밝혔다", "전했다")
        .replace("저렴한", "값싼");
    let local = "경남 지역 대학가에서도 관심이 높다. 창원의 한 대학 국제교류처 관계자는 \"방학마다 일본으로 떠나는 학생이 많아 문의가 이어지고 있다\"고 전했다.";
    let copy = (
        "부산~후쿠오카 밤배 뜬다",
        local,
        format!(
            "{}\n\n<저작권자(c) 연합뉴스, 무단 전재-재배포 금지>",
            paragraphs(&[local, &first, KO[1], KO[2], KO[3], KO[4]])
        ),
    );
    assert_copy(&copy, &original);
    let teaser = (KO_TITLE, KO[0], String::new());
    assert_copy(&teaser, &original);
    assert_copy(&teaser, &copy);
}

#[test]
fn korean_independent_report_is_a_different_story() {
    let original = (KO_TITLE, KO[0], paragraphs(&KO));
    let p = [
        "대학생들 사이에서 일본 여행의 새로운 선택지가 생긴다. 한바다라인은 다음 달부터 카멜리아스타호를 투입해 부산과 후쿠오카 하카타항을 잇는 밤배를 일주일에 세 번 운항한다.",
        "회사 측은 11시간 걸리는 항해를 교환학생과 워킹홀리데이 청년층에 맞췄다. 다인실 요금은 5만9천원부터 시작하며, 여름철 항공권의 절반 가격이다.",
        "수요일 부산에서 열린 설명회에서 김도연 부장은 수요가 젊은 여행객들에게서 나왔다고 설명했다. 그는 \"배에서 보내는 하룻밤은 숙박비를 아끼는 하룻밤이기도 하다\"고 강조했다.",
        "한일 뱃길 승객 수는 아직 코로나19 이전 수준을 되찾지 못했다. 지난해 이용객은 2019년의 3분의 1 정도에 그쳤다.",
        "후쿠오카시는 항구에서 하카타역까지 셔틀버스를 운행할 계획이며, 새 여객선이 재개발된 해안 지역에 활력을 줄 것으로 보고 있다.",
    ];
    let independent = (
        "\"배에서 하룻밤\" 부산~하카타 밤배 뜬다",
        p[0],
        paragraphs(&p),
    );
    assert_apart(&independent, &original);
}

const JA: [&str; 6] = [
    "【福岡共同】韓国・釜山と福岡を結ぶ夜行フェリーが来月就航すると、両市の港湾当局が水曜日に発表した。留学生やワーキングホリデー査証の利用者に、対馬海峡を安く渡る手段を提供する。",
    "定員620人の「カメリアスター」は週3回、午後10時半に釜山国際旅客ターミナルを出発し、翌朝博多港に到着する。相部屋の片道運賃は5万9千ウォンで、夏の繁忙期の同路線の最安航空運賃のおよそ半額となる。",
    "釜山港湾公社旅客事業部の金度妍部長は「若い人たちから、もっとゆっくり安く移動したいという声があった。船の上の一晩は、ホテル代を払わなくていい一晩でもある」と話した。",
    "運航会社のハンバダラインは、両市の六つの大学と交換留学生向けの割引乗船券の販売で協定を結んだ。自転車は無料で持ち込め、船内には午前2時まで開いている学習ラウンジがある。",
    "海峡を渡る船の利用者は新型コロナウイルス流行期に激減し、回復は遅れている。韓国海洋水産省の統計では、昨年の海路の利用者は40万人に届かず、2019年の120万人を大きく下回った。",
    "福岡市の担当者は、春に市場や旅客船博物館が開業する港湾地区への来訪者増加に期待を示した。",
];
const JA_TITLE: &str = "釜山―福岡に夜行フェリー　来月就航、学生や若者向け";

#[test]
fn japanese_copies_are_the_same_story() {
    let original = (JA_TITLE, JA[0], paragraphs(&JA));
    // Another bureau's dateline, a word changed, paragraphs reordered, the
    // last one cut, a rights line, full-width digits.
    let first = JA[0]
        .replace("【福岡共同】", "【ソウル共同】")
        .replace("発表した", "明らかにした");
    let second = JA[1].replace("620", "６２０");
    let copy = (
        JA_TITLE,
        "",
        format!(
            "{}\n\n記事の無断転載を禁じます。",
            paragraphs(&[&first, JA[4], JA[2], &second, JA[3]])
        ),
    );
    assert_copy(&copy, &original);
    let teaser = (JA_TITLE, JA[0], String::new());
    assert_copy(&teaser, &original);
}

#[test]
fn japanese_independent_report_is_a_different_story() {
    let original = (JA_TITLE, JA[0], paragraphs(&JA));
    let p = [
        "日韓を行き来する学生に、新たな選択肢が加わる。ハンバダラインは来月から「カメリアスター」を投入し、釜山と博多港を結ぶ夜行便を週3回運航する。",
        "約11時間の船旅は、交換留学生やワーキングホリデーの若者を主な対象とする。相部屋は5万9千ウォンからで、夏場の航空券の半額ほどだ。",
        "水曜日に釜山で開かれた説明会で、金度妍部長は需要は若い旅行者自身から生まれたと説明した。「船の上の一晩は、ホテル代を払わなくていい一晩でもある」と強調した。",
        "日韓航路の船の利用者は、まだコロナ禍前の水準に戻っていない。昨年の利用者は2019年の約3分の1にとどまった。",
        "福岡市は港から博多駅までシャトルバスを運行する計画で、再開発が進む臨海部の活性化につながると期待している。",
    ];
    let independent = ("博多行き「夜の船」、学生の新たな足に", p[0], paragraphs(&p));
    assert_apart(&independent, &original);
}

#[test]
fn chinese_copies_are_the_same_story() {
    let p = [
        "韩国釜山与日本福冈之间的夜间渡轮将于下月开通，两市港口部门周三表示，此举旨在为留学生和打工度假签证持有者提供一种更便宜的跨海方式。",
        "可载客620人的“山茶花之星”号每周三班，晚上10点30分从釜山国际客运码头出发，次日清晨抵达博多港。多人舱单程票价为5.9万韩元，约为夏季旺季同航线最低机票价格的一半。",
        "运营方韩海航运表示，已与两市六所大学签署协议，向交换生出售优惠船票。自行车可免费携带，船上设有开放至凌晨2点的自习室。",
    ];
    let original = ("釜山至福冈夜间渡轮下月开通", p[0], paragraphs(&p));
    let copy = (
        "釜山福冈夜航渡轮将开通 瞄准留学生",
        p[0],
        format!(
            "{}\n\n版权所有 未经授权不得转载",
            paragraphs(&[p[0], p[2], p[1]])
        ),
    );
    assert_copy(&copy, &original);
    let teaser = ("釜山至福冈夜间渡轮下月开通", p[0], String::new());
    assert_copy(&teaser, &original);
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
            "10bd4f935dd00be9",
            "1473b37c1d8c8dbd",
            "153a45d91bc679da",
            "2d20933afb4109ee",
            "4ce4601bcb7f9708",
            "4d39ffbba6df797d",
            "509029d146665117",
            "50a3335b47bacd13",
            "5d3c828991923d17",
            "712190445a4199ad",
            "75cb0e3791680c51",
            "77b57862559773e1",
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
    index.insert(t(0), sig(&ferry()), "original");
    index.insert(t(1), sig(&ferry_independent()), "independent");
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
        index.insert(t(200 + h), sig(&("x", "", format!("filler {h}"))), "filler");
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

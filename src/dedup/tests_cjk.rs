//! Hand-made Korean, Japanese and Chinese cases: copies (another agency's
//! dateline, local paragraphs, changed words, reordered or cut paragraphs,
//! rights lines, full-width digits, teasers) and independently written
//! reports of the same event. All stories and people are fictional.

use super::tests::{assert_apart, assert_copy, paragraphs};

pub(super) const KO: [&str; 6] = [
    "(부산=뉴스와이어) 김민준 기자 = 부산과 일본 후쿠오카를 오가는 야간 여객선이 다음 달 취항한다고 양 도시 항만 당국이 수요일 밝혔다. 유학생과 워킹홀리데이 비자 소지자에게 대한해협을 건너는 저렴한 방법을 제공하겠다는 취지다.",
    "620명이 탈 수 있는 카멜리아스타호는 주 3회 오후 10시 30분 부산국제여객터미널을 출발해 다음 날 아침 하카타항에 도착한다. 다인실 편도 요금은 5만9천원으로, 여름 성수기 같은 노선 최저 항공권 가격의 절반 수준이다.",
    "부산항만공사 여객사업부 김도연 부장은 \"젊은 층이 더 느리고 저렴한 이동 수단을 요구해 왔다\"며 \"배에서 보내는 하룻밤은 숙박비를 아끼는 하룻밤이기도 하다\"고 말했다.",
    "운영사인 한바다라인은 두 도시의 대학 여섯 곳과 교환학생 할인 승선권 판매 협약을 맺었다고 밝혔다. 자전거는 무료로 실을 수 있고, 선내에는 새벽 2시까지 문을 여는 학습 라운지가 있다.",
    "대한해협 뱃길 이용객은 코로나19 대유행 기간 급감한 뒤 더디게 회복하고 있다. 해양수산부 통계에 따르면 지난해 해상으로 해협을 건넌 승객은 40만 명에 못 미쳐 2019년의 120만 명을 크게 밑돌았다.",
    "후쿠오카시 관계자는 새 노선이 봄에 시장과 여객선 박물관이 문을 여는 항구 지역에 더 많은 방문객을 불러올 것으로 기대한다고 말했다.",
];
pub(super) const KO_TITLE: &str = "부산-후쿠오카 야간 여객선 다음 달 취항…학생·워킹홀리데이 겨냥";

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

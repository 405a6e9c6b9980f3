//! Function words ("stop words") of the languages people read news in, and
//! the share of them in a run of text: prose is full of them, menus, link
//! lists, product grids and captions are not (the jusText signal).
//!
//! Space-delimited languages (en, de, fr, es, it, pt, nl, pl, ru, sv, cs, tr,
//! id) count words from short hand-made lists of their most frequent function
//! words; the page's language is the one whose list matches most of its words.
//! Korean counts words that end in a particle or verb ending; Japanese the
//! share of hiragana (particles, inflections); Chinese the share of the most
//! frequent function characters. Each measure comes with its own thresholds
//! ([`Lang::thresholds`]), since the lists differ in coverage.

use std::collections::HashMap;
use std::sync::OnceLock;

/// A language (or script family) whose prose can be recognised.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Lang {
    En,
    De,
    Fr,
    Es,
    It,
    Pt,
    Nl,
    Pl,
    Ru,
    Sv,
    Cs,
    Tr,
    Id,
    Ko,
    Ja,
    Zh,
}

/// The space-delimited languages, in the order of their bit in [`table`].
const WORD_LANGS: [(Lang, &str); 13] = [
    (Lang::En, EN),
    (Lang::De, DE),
    (Lang::Fr, FR),
    (Lang::Es, ES),
    (Lang::It, IT),
    (Lang::Pt, PT),
    (Lang::Nl, NL),
    (Lang::Pl, PL),
    (Lang::Ru, RU),
    (Lang::Sv, SV),
    (Lang::Cs, CS),
    (Lang::Tr, TR),
    (Lang::Id, ID),
];

const EN: &str =
    "the of and to a an in is it that for was on are as with he she they at be this have
from or by but not what all were we when your can said there which do their if will up out about
into them then these so some her would him has had been who its now did could our over any how
more also after than other its only very just where because those both each through while before
being between should under you i his me my us no such may most many even much been then here
own same again off down why against during without within upon per via whether though although
does doing having am isn aren wasn weren yet still another every";

const DE: &str = "der die das und in zu den von mit ist des sich dem nicht ein eine als auch es an
auf für im dass daß er sie wir ich so wie aus bei nach oder um aber noch wird werden hat haben
sind war kann nur vor zur zum über einer einen eines einem diese dieser dieses diesem diesen man
am durch wenn bis mehr schon sein ihre ihr ihren ihrem ihrer seine seiner seinen seinem was wurde
wurden sehr hier da doch unter ob dann also immer wieder gegen ohne sowie vom ins muss müssen soll
sollen können kein keine keinen alle allen viele jetzt dabei damit denn weil gibt du uns euch dich
mich mir dir ihm ihn ihnen wo wer welche welcher welches beim seit waren worden habe hatte hatten
sei wäre würde würden bereits etwa zwischen während jedoch nun selbst ebenso darauf dafür dazu";

const FR: &str =
    "le la les l de des du d un une et à en est que qu qui dans pour pas au aux sur par
plus il elle ils elles ne n se s ce c cette ces cet son sa ses leur leurs avec sont ont a été être
avoir fait mais ou comme on nous vous je j tout tous toute toutes y sans aussi entre très peut où
si même dont bien encore alors après avant depuis lors ainsi sous chez lui eux était étaient sera
seront aurait avait avaient fut notre nos votre vos mon ma mes ton ta tes car donc puis quand
quelque quelques autre autres celui celle ceux celles cela ça ceci dès selon parce contre vers";

const ES: &str = "de la que el en y a los del se las por un para con no una su al lo como más pero
sus le ya o este porque esta entre cuando muy sin sobre también me hasta hay donde quien desde todo
nos durante todos uno les ni contra otros ese eso ante ellos e esto mí antes algunos qué unos yo
otro otras otra él tanto esa estos mucho quienes nada muchos cual poco ella estar estas algunas
algo nosotros es son fue ha han era ser está están será sido había tiene tienen puede pueden
según mientras sino cada aunque donde tras hacia";

const IT: &str = "di a da in con su per tra fra il lo la i gli le l un uno una e ed è che non del
dello della dei degli delle al allo alla ai agli alle dal dallo dalla dai dagli dalle nel nello
nella nei negli nelle sul sullo sulla sui sugli sulle si come più ma anche o se sono ha hanno era
erano essere stato stata stati questo questa questi queste quello quella quelli quelle loro suo
sua suoi sue cui dove quando perché molto già ancora tutto tutti tutte ci ne mi ti vi c d dell
nell all dall sull un' è siamo siete può possono fa fanno dopo prima senza verso sempre però
quindi mentre così solo";

const PT: &str = "de a o que e do da em um para é com não uma os no se na por mais as dos como mas
foi ao ele das tem à seu sua ou ser quando muito há nos já está eu também só pelo pela até isso ela
entre era depois sem mesmo aos ter seus quem nas me esse eles estão você tinha foram essa num nem
suas meu às minha têm numa pelos elas havia seja qual será nós tenho lhe deles essas esses pelas
este fosse dele são pode podem sobre ainda onde assim cada nesta neste desta deste";

const NL: &str =
    "de het een en van in is dat op te zijn voor met die niet aan er om ook als dan maar
bij of uit nog wordt door naar heeft over hij ze zij we wij ik je jij u hun haar dit deze was werd
worden kan moet zal al tot geen meer wel zo wat hoe waar wie omdat toen nu daar hier tegen tussen
na onder veel hebben had waren kunnen zou zouden dus men zich mijn ons onze jullie iets alle";

const PL: &str = "i w z na się nie do to że jest o a jak po co od za przez dla ale tak są być jego
jej ich jako już czy tym tego który która które którzy którego której lub oraz także też może był
była było były będzie tylko przy pod nad bez ten ta te tej tych go mu je ja ty on ona ono my wy oni
sobie jednak gdy jeśli aby żeby bardzo jeszcze ze we u tu tam gdzie kiedy więc można jeden jedna
każdy tych tymi tę tą swoje swój swoich";

const RU: &str =
    "и в не на что с по как а он она они это к но из у за от о для же так все то бы его
ее её их был была было были быть есть уже или только при до мы вы я ты также когда если чтобы где
который которые которая которого которых этот эта эти этого этом того тем том чем после под над
между без очень может ещё еще со во ли нет да вот ни него нее неё них нас вас меня мне себя свой
своих также даже будет будут";

const SV: &str = "och i att det som en på är av för med till den har de inte om ett han men var jag
sig från vi så kan man när år säger hon under också efter eller nu sin där vid mot ska skulle
kommer ut får finns vara hade alla andra mycket än här då sedan över bara in blir upp även vad
få två vill ha många hur mer går sitt olika vara";

const CS: &str =
    "a v se na je že s z o do to i k jako pro by ve ale za po jsou jeho není tak jak byl
která který které které bylo byla byly jsem jsme od při už jen také když ten ta tu tím mezi aby
nebo její jejich však ještě může bude podle před než tato tento toto";

const TR: &str = "ve bir bu da de için ile olarak çok daha gibi en o ama ne var kadar sonra ise ki
olan her şey mi mı değil veya göre olduğu yeni ilk iki bunu bu şu onun bunun diye hem ancak";

const ID: &str = "yang dan di ini itu dengan untuk dari dalam tidak ke akan pada juga ada oleh
atau adalah karena saat sudah bisa mereka kami kita ia dia telah harus lebih seperti hanya
tersebut bahwa para namun masih saja sebagai jika";

/// Chinese characters that are function words or very frequent grammar.
const ZH_CHARS: &str = "的了是在和有不这也就都而与及被把对从为上中个们到说要会以将于之其等但并或又很还着过地得所由该此它他她我你一";

/// Final syllables of Korean words that carry a particle or a verb ending.
const KO_FINALS: &str =
    "은는이가을를에의로와과도만서다고며면지요게해한할된될던인있었했으니까며나랑께야";

/// Korean words that are function words on their own.
const KO_WORDS: &str = "그리고 그러나 하지만 또한 및 등 것 수 더 그 이 저 때문에 위해 통해 대한 따라 같은 있는 없는 있다 없다 한다 했다 된다";

fn table() -> &'static HashMap<&'static str, u16> {
    static T: OnceLock<HashMap<&'static str, u16>> = OnceLock::new();
    T.get_or_init(|| {
        let mut m: HashMap<&'static str, u16> = HashMap::new();
        for (bit, (_, words)) in WORD_LANGS.iter().enumerate() {
            for w in words.split_whitespace() {
                *m.entry(w).or_default() |= 1 << bit;
            }
        }
        for w in KO_WORDS.split_whitespace() {
            m.entry(w).or_default();
        }
        m
    })
}

fn is_hangul(c: char) -> bool {
    ('\u{AC00}'..='\u{D7A3}').contains(&c)
}

fn is_hiragana(c: char) -> bool {
    ('\u{3041}'..='\u{309F}').contains(&c)
}

fn is_katakana(c: char) -> bool {
    ('\u{30A0}'..='\u{30FF}').contains(&c)
}

fn is_han(c: char) -> bool {
    ('\u{4E00}'..='\u{9FFF}').contains(&c) || ('\u{3400}'..='\u{4DBF}').contains(&c)
}

/// Script counts of a text, used to pick the measure.
#[derive(Debug, Default, Clone, Copy)]
struct Scripts {
    hangul: usize,
    kana: usize,
    hiragana: usize,
    han: usize,
    other_letters: usize,
}

fn scripts(text: &str) -> Scripts {
    let mut s = Scripts::default();
    for c in text.chars() {
        if is_hangul(c) {
            s.hangul += 1;
        } else if is_hiragana(c) {
            s.kana += 1;
            s.hiragana += 1;
        } else if is_katakana(c) {
            s.kana += 1;
        } else if is_han(c) {
            s.han += 1;
        } else if c.is_alphabetic() {
            s.other_letters += 1;
        }
    }
    s
}

/// Words of `text` (lower-cased), split on anything that is not a letter or
/// digit (so elisions such as French `l'homme` give `l` and `homme`).
fn for_each_word(text: &str, mut f: impl FnMut(&str)) {
    let mut buf = String::new();
    for w in text.split(|c: char| !c.is_alphanumeric()) {
        if w.is_empty() {
            continue;
        }
        if w.chars().any(char::is_uppercase) {
            buf.clear();
            buf.extend(w.chars().flat_map(char::to_lowercase));
            f(&buf);
        } else {
            f(w);
        }
    }
}

/// The language of a page, guessed from (a sample of) its text.
pub(crate) fn detect(text: &str) -> Lang {
    let s = scripts(text);
    let cjk = s.hangul + s.kana + s.han;
    if cjk > s.other_letters / 2 {
        return if s.hangul >= s.kana + s.han {
            Lang::Ko
        } else if s.kana * 10 >= s.han {
            Lang::Ja
        } else {
            Lang::Zh
        };
    }
    let t = table();
    let mut hits = [0usize; WORD_LANGS.len()];
    for_each_word(text, |w| {
        if let Some(&mask) = t.get(w) {
            for (i, h) in hits.iter_mut().enumerate() {
                if mask & (1 << i) != 0 {
                    *h += 1;
                }
            }
        }
    });
    let best = (0..hits.len()).max_by_key(|&i| (hits[i], usize::MAX - i));
    best.map_or(Lang::En, |i| WORD_LANGS[i].0)
}

impl Lang {
    /// `(low, high)`: a text whose stop-word density is at least `high` reads
    /// as prose; below `low`, it does not (jusText's two thresholds).
    pub(crate) fn thresholds(self) -> (f32, f32) {
        match self {
            Lang::En | Lang::De | Lang::Fr | Lang::Es | Lang::It | Lang::Pt | Lang::Nl => {
                (0.25, 0.30)
            }
            Lang::Sv => (0.22, 0.27),
            Lang::Pl | Lang::Ru | Lang::Cs => (0.15, 0.20),
            Lang::Tr | Lang::Id => (0.12, 0.16),
            Lang::Ko => (0.40, 0.50),
            Lang::Ja => (0.20, 0.25),
            Lang::Zh => (0.08, 0.12),
        }
    }

    fn bit(self) -> Option<u16> {
        WORD_LANGS
            .iter()
            .position(|(l, _)| *l == self)
            .map(|i| 1 << i)
    }
}

/// Stop-word density of `text` for a page in `lang`, with the measure that
/// fits the text's own script (an English quote on a Korean page is measured
/// as English). Returns the density and the language whose measure was used.
pub(crate) fn density(text: &str, lang: Lang) -> (f32, Lang) {
    let s = scripts(text);
    let cjk = s.hangul + s.kana + s.han;
    if cjk > 0 && cjk >= s.other_letters {
        if s.hangul >= s.kana + s.han {
            return (korean(text), Lang::Ko);
        }
        if s.kana * 10 >= s.han || lang == Lang::Ja {
            return (s.hiragana as f32 / (s.kana + s.han).max(1) as f32, Lang::Ja);
        }
        let n = text.chars().filter(|c| ZH_CHARS.contains(*c)).count();
        return (n as f32 / s.han.max(1) as f32, Lang::Zh);
    }
    let lang = if matches!(lang, Lang::Ko | Lang::Ja | Lang::Zh) {
        Lang::En
    } else {
        lang
    };
    let bit = lang.bit().unwrap_or(1);
    let t = table();
    let (mut words, mut stops) = (0usize, 0usize);
    for_each_word(text, |w| {
        words += 1;
        if t.get(w).is_some_and(|m| m & bit != 0) {
            stops += 1;
        }
    });
    if words == 0 {
        return (0.0, lang);
    }
    (stops as f32 / words as f32, lang)
}

/// Share of Korean words that end in a particle or verb ending, or are
/// function words themselves.
fn korean(text: &str) -> f32 {
    let t = table();
    let (mut words, mut hits) = (0usize, 0usize);
    for w in text.split(|c: char| !c.is_alphanumeric()) {
        if !w.chars().any(is_hangul) {
            continue;
        }
        words += 1;
        let last = w.chars().last().unwrap_or(' ');
        if KO_FINALS.contains(last) || t.contains_key(w) {
            hits += 1;
        }
    }
    if words == 0 {
        0.0
    } else {
        hits as f32 / words as f32
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn prose(text: &str, lang: Lang) -> bool {
        let (d, l) = density(text, lang);
        d >= l.thresholds().1
    }

    #[test]
    fn detects_languages() {
        assert_eq!(
            detect("The minister said that the talks would continue on Friday in the capital."),
            Lang::En
        );
        assert_eq!(
            detect(
                "Die Ministerin sagte, dass die Gespräche am Freitag in der Hauptstadt weitergehen."
            ),
            Lang::De
        );
        assert_eq!(
            detect(
                "Le ministre a déclaré que les discussions se poursuivraient vendredi dans la capitale."
            ),
            Lang::Fr
        );
        assert_eq!(
            detect("El ministro dijo que las conversaciones continuarán el viernes en la capital."),
            Lang::Es
        );
        assert_eq!(
            detect("Il ministro ha detto che i colloqui continueranno venerdì nella capitale."),
            Lang::It
        );
        assert_eq!(
            detect("Minister powiedział, że rozmowy będą kontynuowane w piątek w stolicy."),
            Lang::Pl
        );
        assert_eq!(
            detect("Министр сказал, что переговоры продолжатся в пятницу в столице."),
            Lang::Ru
        );
        assert_eq!(
            detect("장관은 회담이 금요일에 수도에서 계속될 것이라고 말했다."),
            Lang::Ko
        );
        assert_eq!(
            detect("大臣は、協議が金曜日に首都で続けられると述べた。"),
            Lang::Ja
        );
        assert_eq!(detect("部长表示，会谈将于周五在首都继续进行。"), Lang::Zh);
    }

    #[test]
    fn prose_is_dense_menus_are_not() {
        let cases: &[(&str, Lang)] = &[
            (
                "The minister said that the talks with the delegation would continue on Friday, and that both sides were close to an agreement on the main points.",
                Lang::En,
            ),
            (
                "Die Ministerin sagte, dass die Gespräche mit der Delegation am Freitag weitergehen und dass beide Seiten sich in den wichtigsten Punkten schon nahe seien.",
                Lang::De,
            ),
            (
                "Le ministre a déclaré que les discussions avec la délégation se poursuivraient vendredi et que les deux parties étaient proches d'un accord sur les points principaux.",
                Lang::Fr,
            ),
            (
                "Il ministro ha detto che i colloqui con la delegazione continueranno venerdì e che le due parti sono vicine a un accordo sui punti principali.",
                Lang::It,
            ),
            (
                "O ministro disse que as conversas com a delegação vão continuar na sexta-feira e que os dois lados estão perto de um acordo sobre os pontos principais.",
                Lang::Pt,
            ),
            (
                "De minister zei dat de gesprekken met de delegatie vrijdag worden voortgezet en dat beide partijen dicht bij een akkoord zijn over de belangrijkste punten.",
                Lang::Nl,
            ),
            (
                "Minister powiedział, że rozmowy z delegacją będą kontynuowane w piątek i że obie strony są już bardzo blisko porozumienia w najważniejszych sprawach.",
                Lang::Pl,
            ),
            (
                "Министр сказал, что переговоры с делегацией продолжатся в пятницу и что обе стороны уже очень близки к соглашению по главным вопросам.",
                Lang::Ru,
            ),
            (
                "장관은 대표단과의 회담이 금요일에도 계속될 것이며 양측이 주요 쟁점에 대해 합의에 가까워졌다고 말했다.",
                Lang::Ko,
            ),
            (
                "大臣は、代表団との協議は金曜日も続けられ、双方は主要な論点について合意に近づいていると述べた。",
                Lang::Ja,
            ),
            (
                "部长表示，与代表团的会谈将于周五继续进行，双方在主要问题上已经接近达成一致。",
                Lang::Zh,
            ),
        ];
        for (text, lang) in cases {
            assert!(
                prose(text, *lang),
                "not prose: {text} {:?}",
                density(text, *lang)
            );
        }
        let menus: &[(&str, Lang)] = &[
            (
                "Home News Sport Business Weather Contact Privacy Policy",
                Lang::En,
            ),
            (
                "Startseite Politik Wirtschaft Sport Kultur Impressum Datenschutz",
                Lang::De,
            ),
            (
                "Accueil Actualités Sport Économie Culture Contact Mentions légales",
                Lang::Fr,
            ),
            ("홈 뉴스 정치 경제 사회 국제 스포츠 연예", Lang::Ko),
            ("ホーム ニュース 政治 経済 国際 スポーツ エンタメ", Lang::Ja),
            ("首页 新闻 政治 经济 国际 体育 娱乐", Lang::Zh),
        ];
        for (text, lang) in menus {
            assert!(
                !prose(text, *lang),
                "prose: {text} {:?}",
                density(text, *lang)
            );
        }
    }
}

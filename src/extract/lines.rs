//! Text patterns of boilerplate lines: share-button rows, font-size widgets,
//! photo credits, "read more"/"related" labels, newsletter pitches, bylines
//! and date lines, copyright notices. Only short lines are ever matched.

/// Words of a share-button row ("Facebook Twitter Kakao Mail Link share button").
const SHARE_WORDS: &[&str] = &[
    "facebook",
    "twitter",
    "x",
    "kakao",
    "kakaotalk",
    "kakaostory",
    "naver",
    "band",
    "line",
    "mail",
    "email",
    "e",
    "link",
    "copy",
    "url",
    "share",
    "shares",
    "sharing",
    "button",
    "print",
    "whatsapp",
    "pinterest",
    "pint",
    "pin",
    "linkedin",
    "reddit",
    "tumblr",
    "telegram",
    "flipboard",
    "messenger",
    "sms",
    "weibo",
    "wechat",
    "vk",
    "google",
    "plus",
    "on",
    "via",
    "this",
    "article",
    "story",
    "tweet",
    "comment",
    "comments",
    "save",
    "send",
    "close",
    "baixar",
    "download",
    "subscribe",
    "rss",
    "feed",
    "instagram",
    "youtube",
    "tiktok",
    "threads",
    "bluesky",
    "mastodon",
    "hatena",
    "pocket",
    "snapchat",
    "viber",
    "skype",
    "the",
    "to",
    "and",
    "or",
    "follow",
    "us",
];

/// Labels that introduce related/recirculation lists or page furniture
/// (compared lower-case, trailing punctuation stripped).
const LABELS: &[&str] = &[
    "related",
    "related articles",
    "related stories",
    "related news",
    "related posts",
    "related coverage",
    "related content",
    "related links",
    "related topics",
    "read more",
    "read next",
    "more",
    "more stories",
    "more news",
    "more from",
    "see more",
    "see also",
    "also read",
    "read also",
    "don't miss",
    "don’t miss",
    "dont miss",
    "recommended",
    "recommended for you",
    "recommended stories",
    "you may also like",
    "you might also like",
    "you may like",
    "top stories",
    "top 10 stories",
    "most read",
    "most popular",
    "most viewed",
    "trending",
    "trending now",
    "popular",
    "latest",
    "latest news",
    "latest stories",
    "what to read next",
    "editor's picks",
    "editors' picks",
    "more on this story",
    "more to explore",
    "advertisement",
    "sponsored",
    "sponsored content",
    "comments",
    "leave a comment",
    "leave a reply",
    "share",
    "share this",
    "share this article",
    "share this story",
    "tags",
    "topics",
    "go top",
    "back to top",
    "top",
    "print",
    "print article",
    "order reprints",
    "text size",
    "font size",
    "caption",
    "close",
    "image",
    "photo",
    "video",
    "sign up",
    "subscribe",
    "newsletter",
    "follow us",
    "trending topics",
    "about the author",
    "loading",
];

/// Labels (lower-case, prefix match) that head a related/recirculation or
/// comment section: the whole section they head is boilerplate.
const SECTION_LABELS: &[&str] = &[
    "related",
    "read more",
    "read next",
    "more stories",
    "more from",
    "more on this",
    "you may also like",
    "you might also like",
    "you may like",
    "you might like",
    "recommended",
    "most read",
    "most popular",
    "most viewed",
    "top stories",
    "top 10",
    "also read",
    "don't miss",
    "don’t miss",
    "what to read next",
    "comments",
    "leave a comment",
    "leave a reply",
    "join the discussion",
    "other stories",
    "more news",
    "latest news",
    "popular posts",
    "recent posts",
    "trending",
];

/// True when a heading's text announces a related-content or comment section.
pub(crate) fn is_section_label(s: &str) -> bool {
    let k = label_key(s);
    let k = k.trim_start_matches(|c: char| c.is_ascii_digit() || c == ' ');
    s.chars().count() <= 50 && SECTION_LABELS.iter().any(|l| k.starts_with(l))
}

/// Prefixes (lower-case) of short boilerplate lines.
const PREFIXES: &[&str] = &[
    "photo:",
    "photo by",
    "photo credit",
    "photos:",
    "photograph:",
    "photograph by",
    "photographs by",
    "image:",
    "(image:",
    "image copyright",
    "image caption",
    "image source",
    "image credit",
    "media caption",
    "media playback",
    "credit:",
    "(credit:",
    "picture:",
    "pictured:",
    "file photo",
    "©",
    "(c) ",
    "all rights reserved",
    "read more:",
    "read more ",
    "read also:",
    "also read:",
    "see more:",
    "see also:",
    "related:",
    "more:",
    "don't miss:",
    "don’t miss:",
    "click here to",
    "ⓕ",
    "font size",
    "font-size",
    "text size",
    "image 1 of",
    "want more stories",
    "get the latest",
    "get breaking news",
    "sign up for",
    "sign up to",
    "subscribe to",
    "subscribe for",
    "follow us on",
    "follow him on",
    "follow her on",
    "share this",
    "share on",
    "have a tip?",
    "this article originally appeared",
    "this story originally appeared",
    "this post originally appeared",
    "watch:",
    "watch the video",
    "listen:",
    "recommended:",
    "top 10 stories",
    "go top",
    "back to top",
    "loading...",
    "we use cookies",
    "by clicking",
    "already a subscriber",
    "already have an account",
    "reporting by",
    "editing by",
    "additional reporting by",
    "written by",
    "related post:",
    "related posts:",
    "related article:",
    "related story:",
    "related reading:",
    "related content:",
    "more on this:",
    "if you enjoyed this article",
    "if you liked this article",
    "support our journalism",
    "become a member",
    "join now",
    "continue reading",
];

/// Suffixes (lower-case) of caption/credit lines.
const SUFFIXES: &[&str] = &[
    "getty images",
    "getty images)",
    "(ap photo)",
    "ap photo)",
    "afp photo)",
    "shutterstock",
    "shutterstock)",
    "istock)",
    "istockphoto)",
    "file photo)",
    "(reuters)",
    "reuters photo)",
    "all rights reserved.",
    "all rights reserved",
];

/// Maximum length (chars) of a line tested against [`PREFIXES`]/[`SUFFIXES`].
const SHORT_LINE: usize = 220;

fn words(s: &str) -> Vec<String> {
    s.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| w.to_lowercase())
        .collect()
}

/// Normalises a line for label comparison.
pub(crate) fn label_key(s: &str) -> String {
    let t = s
        .trim()
        .trim_end_matches([':', '.', '!', '»', '›', '>', '→', '|', '-', ' ', '…'])
        .trim();
    t.trim_start_matches(['»', '›', '>', '|', '-', ' ', '■', '▶', '▲'])
        .to_lowercase()
}

/// True when the (squashed) line is a label introducing a related list or
/// page furniture.
pub(crate) fn is_label(s: &str) -> bool {
    s.chars().count() <= 40 && LABELS.contains(&label_key(s).as_str())
}

/// True when a short line is a share-button row.
pub(crate) fn is_share_row(s: &str) -> bool {
    let w = words(s);
    if w.is_empty() || w.len() > 20 {
        return false;
    }
    let hits = w
        .iter()
        .filter(|x| SHARE_WORDS.contains(&x.as_str()))
        .count();
    let strong = w
        .iter()
        .filter(|x| {
            matches!(
                x.as_str(),
                "facebook"
                    | "twitter"
                    | "kakao"
                    | "kakaotalk"
                    | "whatsapp"
                    | "pinterest"
                    | "linkedin"
                    | "reddit"
                    | "telegram"
                    | "share"
                    | "email"
                    | "mail"
            )
        })
        .count();
    strong >= 1 && hits * 10 >= w.len() * 7 && (strong >= 2 || w.len() <= 3)
}

/// True for a font-size widget ("ⓕ font-size -2 -1 0 +1 +2", "A A A").
pub(crate) fn is_font_widget(s: &str) -> bool {
    let l = s.to_lowercase();
    if l.chars().count() > 60 {
        return false;
    }
    (l.contains("font") && (l.contains("size") || l.contains("+1") || l.contains("-1")))
        || l.contains("text size")
        || l.contains("-2 -1 0 +1 +2")
        || l.split_whitespace().all(|w| {
            matches!(
                w,
                "a" | "a+" | "a-" | "+" | "-" | "ⓕ" | "가" | "가+" | "가-"
            )
        })
}

/// True for a short byline ("By Jane Doe", "By Jane Doe - 11/18/19 11:04 PM EST").
pub(crate) fn is_byline(s: &str) -> bool {
    let t = s.trim();
    (t.starts_with("By ") || t.starts_with("BY ") || t.starts_with("by ") || t == "By")
        && t.chars().count() <= 90
        && !t.ends_with('.')
        && t.split_whitespace().count() <= 12
}

const MONTHS: &[&str] = &[
    "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
];

const WEEKDAYS: &[&str] = &["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

/// True for a short date/time line ("Updated 5:27 am CST, Wednesday, November 20, 2019").
pub(crate) fn is_date_line(s: &str) -> bool {
    let t = s.trim();
    if t.chars().count() > 90 || t.ends_with('.') && !t.ends_with("m.") {
        return false;
    }
    let w = words(t);
    if w.is_empty() || w.len() > 16 {
        return false;
    }
    let has_year = w.iter().any(|x| {
        x.len() == 4
            && (x.starts_with("19") || x.starts_with("20"))
            && x.chars().all(|c| c.is_ascii_digit())
    });
    let lt = t.to_lowercase();
    let has_time = lt.contains("a.m.")
        || lt.contains("p.m.")
        || w.iter().any(|x| {
            matches!(
                x.as_str(),
                "am" | "pm" | "est" | "edt" | "cst" | "gmt" | "utc" | "kst" | "bst" | "ist" | "et"
            )
        });
    let has_month = w
        .iter()
        .any(|x| MONTHS.iter().any(|m| x.starts_with(m) && x.len() <= 9));
    let has_slash_date = t
        .split_whitespace()
        .any(|x| x.matches('/').count() == 2 && x.chars().any(|c| c.is_ascii_digit()));
    let kw = w.iter().any(|x| {
        matches!(
            x.as_str(),
            "updated"
                | "published"
                | "posted"
                | "modified"
                | "original"
                | "edited"
                | "입력"
                | "수정"
        )
    });
    let datey = (has_year && has_month)
        || has_slash_date
        || (has_time && (has_month || has_year))
        || (kw && (has_year || has_time || has_month));
    // Most words must be date words: "Nov. 5, 2019: Trump visits Louisiana"
    // (a timeline entry) is content.
    let date_words = w
        .iter()
        .filter(|x| {
            x.chars().all(|c| c.is_ascii_digit())
                || MONTHS.iter().any(|m| x.starts_with(m) && x.len() <= 9)
                || WEEKDAYS.iter().any(|d| x.starts_with(d) && x.len() <= 9)
                || matches!(
                    x.as_str(),
                    "am" | "pm"
                        | "a"
                        | "p"
                        | "m"
                        | "est"
                        | "edt"
                        | "cst"
                        | "cdt"
                        | "pst"
                        | "pdt"
                        | "gmt"
                        | "utc"
                        | "kst"
                        | "bst"
                        | "ist"
                        | "et"
                        | "cet"
                        | "at"
                        | "on"
                        | "updated"
                        | "published"
                        | "posted"
                        | "modified"
                        | "original"
                        | "edited"
                        | "last"
                        | "first"
                        | "입력"
                        | "수정"
                        | "by"
                )
        })
        .count();
    datey && date_words * 10 >= w.len() * 6
}

/// Nouns of a shop's cart, wish list or item, lower-case (en, de, fr, es, it, pt,
/// nl, pl, ru, sv).
const CART_NOUNS: &[&str] = &[
    "cart",
    "basket",
    "bag",
    "wishlist",
    "wish list",
    "warenkorb",
    "einkaufswagen",
    "merkzettel",
    "wunschliste",
    "panier",
    "carrito",
    "cesta",
    "carrello",
    "carrinho",
    "winkelwagen",
    "verlanglijst",
    "koszyk",
    "koszyka",
    "корзин",
    "varukorg",
    "item",
    "product",
    "artikel",
    "produkt",
    "produit",
    "artículo",
    "producto",
    "articolo",
    "prodotto",
    "produto",
];

/// Verbs of adding to it.
const CART_VERBS: &[&str] = &[
    "add",
    "added",
    "hinzugefügt",
    "hinzufügen",
    "gelegt",
    "legen",
    "ajout",
    "añadi",
    "añadido",
    "agregad",
    "aggiunt",
    "adicionad",
    "toegevoegd",
    "toevoegen",
    "dodan",
    "dodaj",
    "добав",
    "lagts",
    "lägg",
];

/// True for a shop's cart or wish-list notice or button ("Der Artikel wurde
/// erfolgreich in den Warenkorb gelegt", "Added to your cart").
pub(crate) fn is_cart_notice(s: &str) -> bool {
    if s.chars().count() > 100 || s.split_whitespace().count() > 10 {
        return false;
    }
    let l = s.to_lowercase();
    let word_at = |w: &str| {
        l.match_indices(w).any(|(i, _)| {
            l[..i]
                .chars()
                .next_back()
                .is_none_or(|c| !c.is_alphanumeric())
        })
    };
    CART_NOUNS.iter().any(|n| word_at(n)) && CART_VERBS.iter().any(|v| word_at(v))
}

/// Words that open an author's sign-off ("x Franzi", "Euer Hans", "Liebe
/// Grüße, Anna"), in the languages the stop-word lists cover.
const SIGN_OFF_OPENERS: &[&str] = &[
    "x",
    "xx",
    "xxx",
    "xo",
    "xoxo",
    "euer",
    "eure",
    "dein",
    "deine",
    "lg",
    "liebe grüße",
    "liebste grüße",
    "viele grüße",
    "herzliche grüße",
    "beste grüße",
    "cheers",
    "love",
    "best wishes",
    "yours",
    "bises",
    "bisous",
    "besos",
    "un abrazo",
    "abrazos",
    "saludos",
    "un saluto",
    "saluti",
    "baci",
    "beijos",
    "abraços",
    "groetjes",
    "liefs",
    "pozdrawiam",
    "pozdrowienia",
    "hälsningar",
    "kram",
];

/// Endings of a sign-off by the editors ("XX, Die Redaktion").
const SIGN_OFF_ENDINGS: &[&str] = &[
    "die redaktion",
    "eure redaktion",
    "the editors",
    "the team",
    "das team",
    "euer team",
    "la rédaction",
    "la redacción",
    "la redazione",
    "a redação",
    "de redactie",
    "redakcja",
];

/// True for a short closing line of the author or the editors ("x Franzi",
/// "Euer HansEhrlich", "XX, Die Redaktion"): part of the text, although it
/// looks like the short unpunctuated lines that trail an article.
pub(crate) fn is_sign_off(s: &str) -> bool {
    let t = s.trim();
    if t.chars().count() > 40 || t.ends_with('.') || t.split_whitespace().count() > 5 {
        return false;
    }
    let l = t.to_lowercase();
    let opener = SIGN_OFF_OPENERS.iter().any(|o| {
        l.strip_prefix(o)
            .is_some_and(|rest| rest.starts_with([' ', ',', '!', '\u{a0}']) && rest.len() > 1)
    });
    opener || SIGN_OFF_ENDINGS.iter().any(|e| l.ends_with(e))
}

/// True when a short line is boilerplate by its text alone.
pub(crate) fn is_boiler_line(s: &str) -> bool {
    let n = s.chars().count();
    if n == 0 {
        return false;
    }
    if is_label(s) || is_font_widget(s) {
        return true;
    }
    if n > SHORT_LINE {
        return false;
    }
    let l = s.trim().to_lowercase();
    if PREFIXES.iter().any(|p| l.starts_with(p)) || SUFFIXES.iter().any(|p| l.ends_with(p)) {
        return true;
    }
    if l.contains('©') || l.contains('ⓒ') || l.contains("all rights reserved") {
        return true;
    }
    // Reproduction notices (Korean, Japanese, Chinese footers).
    if [
        "무단전재",
        "재배포금지",
        "재배포 금지",
        "無断転載",
        "無断複製",
        "版权所有",
        "版權所有",
        "未经授权",
    ]
    .iter()
    .any(|p| l.contains(p))
    {
        return true;
    }
    // Korean photo credits: "[사진=MBC]", "(사진=연합뉴스)", "사진 제공=...".
    if [
        "[사진",
        "(사진",
        "사진=",
        "사진 =",
        "사진제공",
        "사진 제공",
        "[사진제공",
    ]
    .iter()
    .any(|p| l.starts_with(p))
    {
        return true;
    }
    // "Copyright 2019 The Times" / "Copyright (c) ..." but not "Copyright law ...".
    if let Some(rest) = l.strip_prefix("copyright") {
        let rest = rest.trim_start();
        if rest.starts_with("(c)") || rest.starts_with("19") || rest.starts_with("20") {
            return true;
        }
    }
    if (l.ends_with(')')
        && (l.contains("(image:")
            || l.contains("(photo:")
            || l.contains("(picture:")
            || l.contains("(credit:")))
        || l.starts_with("(photo")
        || l.starts_with("[photo")
    {
        return true;
    }
    is_share_row(s) || is_byline(s) || is_date_line(s) || is_cart_notice(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_korea_times_furniture() {
        assert!(is_boiler_line("ⓕ font-size -2 -1 0 +1 +2"));
        assert!(is_boiler_line("Facebook share button"));
        assert!(is_boiler_line(
            "Kakao share button Mail share button Link share button"
        ));
        assert!(is_boiler_line("Top 10 Stories"));
        assert!(is_boiler_line("go top"));
        assert!(is_boiler_line(
            "Updated 5:27 am CST, Wednesday, November 20, 2019"
        ));
        assert!(is_boiler_line("By Justine Coleman - 11/18/19 11:04 PM EST"));
        assert!(is_boiler_line("Photo: Hau Dinh, AP"));
        assert!(is_boiler_line("Protesters wore masks (Image: GETTY )"));
        assert!(is_boiler_line("[사진=MBC, SBS]"));
        assert!(is_boiler_line(
            "저작권자 ⓒ 엔터미디어, 무단전재 및 재배포금지"
        ));
    }

    #[test]
    fn keeps_timeline_entries() {
        assert!(!is_boiler_line("Nov. 5, 2019: Trump visits Louisiana"));
        assert!(is_boiler_line("Nov. 20, 2019, 9:28 AM UTC"));
        assert!(is_boiler_line("PUBLISHED: 10:48, Tue, Nov 19, 2019"));
        assert!(is_boiler_line("Updated at 1:23 p.m."));
    }

    #[test]
    fn recognises_cart_notices() {
        for s in [
            "Der Artikel wurde erfolgreich in den Warenkorb gelegt.",
            "Der Artikel wurde erfolgreich zum Merkzettel hinzugefügt.",
            "Added to your cart",
            "Add to basket",
            "Produit ajouté au panier",
            "Añadido al carrito",
            "Der Artikel wurde erfolgreich hinzugefügt.",
        ] {
            assert!(is_cart_notice(s), "{s}");
        }
        for s in [
            "Der Warenkorb-Abbruch kostet Händler jedes Jahr Milliarden.",
            "She packed her bag and left for the airport.",
            "Shoppers added more to their baskets in December than ever before, the survey found.",
        ] {
            assert!(!is_cart_notice(s), "{s}");
        }
    }

    #[test]
    fn recognises_sign_offs() {
        for s in [
            "x Franzi",
            "Euer HansEhrlich",
            "XX, Die Redaktion",
            "Liebe Grüße, Anna",
            "Cheers, Tom",
            "Bisous, Claire",
        ] {
            assert!(is_sign_off(s), "{s}");
        }
        for s in [
            "Tags",
            "Jane Doe",
            "X marks the spot.",
            "Love Island returns in June with a new host and new rules",
            "Share this story",
        ] {
            assert!(!is_sign_off(s), "{s}");
        }
    }

    #[test]
    fn keeps_prose() {
        assert!(!is_boiler_line(
            "By the end of the year, the company had sold more than a million units and expanded abroad."
        ));
        assert!(!is_boiler_line(
            "The minister said the talks would continue on Friday."
        ));
        assert!(!is_boiler_line(
            "Share prices fell sharply on Tuesday after the announcement of weak results."
        ));
        assert!(!is_boiler_line(
            "He shared the video on Twitter and Facebook, where it was viewed millions of times."
        ));
        assert!(!is_boiler_line(
            "Copyright law in the EU was last overhauled in 2019."
        ));
        assert!(!is_boiler_line(
            "Advertisement revenue fell five percent in the quarter."
        ));
        assert!(is_boiler_line("Copyright 2019 The Associated Press"));
        assert!(is_boiler_line("Advertisement"));
    }
}

//! Article extraction: golden pages, one test per class of boilerplate, charsets.

mod pages {

    use tidings::extract::{Article, ExtractError, SiteRule, article};

    fn fixture(name: &str) -> String {
        let p = format!("{}/tests/fixtures/pages/{name}", env!("CARGO_MANIFEST_DIR"));
        std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{p}: {e}"))
    }

    fn run(name: &str) -> Article {
        let url = url::Url::parse("https://news.example.com/2026/11/story.html").unwrap();
        article(&fixture(name), &url, &[]).unwrap_or_else(|e| panic!("{name}: {e}"))
    }

    fn assert_has(a: &Article, needles: &[&str]) {
        for n in needles {
            assert!(
                a.text.contains(n),
                "missing article text {n:?} in:\n{}",
                a.text
            );
        }
    }

    fn assert_lacks(a: &Article, needles: &[&str]) {
        for n in needles {
            assert!(
                !a.text.contains(n),
                "boilerplate {n:?} survived in:\n{}",
                a.text
            );
            assert!(
                !a.html.contains(n),
                "boilerplate {n:?} survived in html:\n{}",
                a.html
            );
        }
    }

    /// Every `<p>` paragraph is a separate block in the text.
    fn paragraphs(a: &Article) -> Vec<&str> {
        a.text.split("\n\n").collect()
    }

    #[test]
    fn koreatimes_style_golden() {
        let a = run("koreatimes-style.html");
        if std::env::var_os("BLESS").is_some_and(|v| v == "1") {
            let p = format!(
                "{}/tests/fixtures/pages/koreatimes-style.expected.txt",
                env!("CARGO_MANIFEST_DIR")
            );
            std::fs::write(&p, format!("{}\n", a.text)).unwrap();
        }
        let expected = fixture("koreatimes-style.expected.txt");
        assert_eq!(a.text.trim(), expected.trim());
        assert_eq!(paragraphs(&a).len(), 6);
        assert_lacks(
            &a,
            &[
                "font-size",
                "ⓕ",
                "share button",
                "Korea Times photo",
                "Top 10 Stories",
                "Won falls",
                "go top",
                "Copyright",
                "Related",
                "Comments",
                "Line 9",
                "In photos",
                "#subway",
                "Privacy",
            ],
        );
        assert_eq!(
            a.title.as_deref(),
            Some("Seoul extends late-night subway service on three lines")
        );
        assert_eq!(a.byline.as_deref(), Some("Park Ji-won"));
        assert_eq!(a.published.as_deref(), Some("2026-11-20T09:30:00+09:00"));
        assert_eq!(
            a.lead_image.as_deref(),
            Some("https://news.example.com/upload/2026/11/subway_night.jpg")
        );
    }

    #[test]
    fn koreatimes_style_html_is_sanitized() {
        let a = run("koreatimes-style.html");
        for bad in [
            "<script",
            "<style",
            "onclick",
            "javascript:",
            "pixel.gif",
            "<iframe",
            "class=",
        ] {
            assert!(!a.html.contains(bad), "{bad} in html:\n{}", a.html);
        }
        assert!(
            a.html
                .contains("src=\"https://news.example.com/upload/2026/11/subway_night.jpg\"")
        );
        assert!(a.html.contains("<p>Seoul will keep three"));
    }

    #[test]
    fn related_teasers_inside_container() {
        let a = run("related-teasers.html");
        assert_has(
            &a,
            &[
                "Residents of four river towns",
                "The regional weather office",
                "Emergency officials opened",
                "never with the water this high",
                "Schools in the affected districts",
            ],
        );
        assert_lacks(
            &a,
            &[
                "Levee repairs were delayed",
                "home insurance covers",
                "emergency shelters across",
                "Flood timeline",
                "Opinion: we need",
                "More from Valley Post",
                "Council approves",
            ],
        );
        assert_eq!(paragraphs(&a).len(), 5);
    }

    #[test]
    fn captions_and_credits() {
        let a = run("captions.html");
        assert_has(
            &a,
            &[
                "Divers surveying",
                "The wreck lies",
                "Researchers believe",
                "The team plans",
            ],
        );
        assert_lacks(
            &a,
            &[
                "Amphorae lying",
                "A diver measures",
                "Photo by Anna Reyes",
                "Marine Heritage Office",
            ],
        );
        assert_eq!(paragraphs(&a).len(), 4);
        // Images themselves stay, with absolute URLs.
        assert!(a.html.contains("https://news.example.com/img/amphorae.jpg"));
    }

    #[test]
    fn share_bars() {
        let a = run("share-bar.html");
        assert_has(
            &a,
            &[
                "The central library",
                "Members can borrow",
                "The project was funded",
                "Librarians said",
            ],
        );
        assert_lacks(
            &a,
            &[
                "Share this article",
                "WhatsApp",
                "Share on Facebook",
                "LinkedIn",
                "window.print",
            ],
        );
        assert_eq!(paragraphs(&a).len(), 4);
    }

    #[test]
    fn comment_threads() {
        let a = run("comments.html");
        assert_has(
            &a,
            &[
                "Basil is one of",
                "The simplest approach",
                "Keep the pots",
                "If the leaves turn pale",
            ],
        );
        assert_lacks(
            &a,
            &[
                "4 Comments",
                "cuttings in water trick",
                "aphids",
                "clip-on lamp",
                "Leave a Reply",
                "Post Comment",
            ],
        );
        assert_eq!(paragraphs(&a).len(), 4);
    }

    #[test]
    fn newsletter_boxes() {
        let a = run("newsletter.html");
        assert_has(
            &a,
            &[
                "The city council voted",
                "The plan prioritizes",
                "Business owners",
                "Work on the first routes",
            ],
        );
        assert_lacks(
            &a,
            &[
                "morning briefing",
                "delivered to your inbox",
                "Sign up",
                "Your email",
            ],
        );
        assert_eq!(paragraphs(&a).len(), 4);
    }

    #[test]
    fn split_body_sections_survive() {
        let a = run("split-sections.html");
        assert_has(
            &a,
            &[
                "Less than a third",
                "An international project",
                "Some of the most useful data",
                "Coordinators say",
                "Autonomous vehicles",
                "The drones still struggle",
                "Crowdsourced soundings",
                "Drones in the dark",
            ],
        );
        assert_lacks(
            &a,
            &[
                "Advertisement",
                "deep-sea mining",
                "Read more",
                "Science Weekly",
            ],
        );
    }

    #[test]
    fn site_rule_body_and_remove() {
        let html = r#"<html><head><title>T</title></head><body>
        <div class="sidebar"><p>This sidebar paragraph is long enough to look like prose to a scorer, it really is quite long indeed.</p></div>
        <div class="odd-body"><p>First real paragraph.</p><div class="promo-x">Buy our mug</div><p>Second real paragraph.</p></div>
        </body></html>"#;
        let rules = vec![
            SiteRule {
                domain: "other.org".into(),
                body: Some(".sidebar".into()),
                remove: vec![],
            },
            SiteRule {
                domain: "example.com".into(),
                body: Some(".odd-body".into()),
                remove: vec![".promo-x".into()],
            },
        ];
        let url = url::Url::parse("https://www.example.com/a").unwrap();
        let a = article(html, &url, &rules).unwrap();
        assert_eq!(a.text, "First real paragraph.\n\nSecond real paragraph.");
        // A rule for another domain does not apply; nor does a suffix that is not a parent domain.
        let url2 = url::Url::parse("https://notexample.com/a").unwrap();
        let b = article(html, &url2, &rules[1..]);
        assert!(b.map(|b| b.text.contains("sidebar")).unwrap_or(true));
    }

    #[test]
    fn site_rule_invalid_selector_falls_back() {
        let url = url::Url::parse("https://news.example.com/a").unwrap();
        let rules = vec![SiteRule {
            domain: "example.com".into(),
            body: Some("div[[".into()),
            remove: vec!["<<".into()],
        }];
        let a = article(&fixture("captions.html"), &url, &rules).unwrap();
        assert!(a.text.contains("Divers surveying"));
    }

    #[test]
    fn no_panics_on_odd_input() {
        let url = url::Url::parse("https://example.com/").unwrap();
        for html in [
            "",
            "<",
            "<html>",
            "\u{0}\u{feff}",
            "<p>short</p>",
            "<table><tr><td><p>x</td></p></table>",
        ] {
            let r = article(html, &url, &[]);
            assert!(r.is_ok() || r.is_err());
        }
        let deep = "<div>".repeat(20_000) + "hello" + &"</div>".repeat(20_000);
        assert!(matches!(
            article(&deep, &url, &[]),
            Err(ExtractError::TooDeep)
        ));
        let ok_deep = "<div>".repeat(200) + &"<p>Some text in a fairly deep tree, long enough to count as a paragraph of prose.</p>".repeat(5) + &"</div>".repeat(200);
        let t = std::time::Instant::now();
        let _ = article(&ok_deep, &url, &[]);
        assert!(
            t.elapsed().as_secs() < 5,
            "deep page took {:?}",
            t.elapsed()
        );
        let big = "<p>word </p>".repeat(1_000_000);
        assert!(matches!(
            article(&big, &url, &[]),
            Err(ExtractError::TooLarge(_))
        ));
        let data = url::Url::parse("data:text/html,hi").unwrap();
        assert!(matches!(
            article("<p>x</p>", &data, &[]),
            Err(ExtractError::BadUrl)
        ));
    }

    #[test]
    fn many_elements_refused() {
        let url = url::Url::parse("https://example.com/").unwrap();
        let html = "<i>a</i>".repeat(150_000);
        assert!(matches!(
            article(&html, &url, &[]),
            Err(ExtractError::TooManyElements(_))
        ));
    }

    #[test]
    fn sanitizer_strips_active_content_and_pixels() {
        let para = "The committee met for six hours on Tuesday and agreed a plan that will change how the port handles freight for the next decade, officials said.";
        let html = format!(
            r#"<html><head><title>Port plan agreed</title></head><body><article>
        <p onclick="steal()">{para}</p>
        <p style="color:red" onmouseover="x()">{para} <a href="javascript:alert(1)">click</a> <a href="/rel/link">relative</a></p>
        <p><img src="/img/port.jpg" alt="port"><img src="/img/px.gif" width="1" height="1"><img src="https://www.google-analytics.com/collect?v=1"><img src="https://stats.example.com/pixel.png?id=9"></p>
        <script>alert(1)</script><style>p{{}}</style><iframe src="https://evil.example/"></iframe>
        <p>{para} <img srcset="/a.jpg 1x, /b.jpg 2x" src="data:image/png;base64,AAAA"></p>
        </article></body></html>"#
        );
        let url = url::Url::parse("https://port.example.org/news/2026/plan.html").unwrap();
        let a = article(&html, &url, &[]).unwrap();
        for bad in [
            "onclick",
            "onmouseover",
            "javascript:",
            "<script",
            "<style",
            "<iframe",
            "px.gif",
            "google-analytics",
            "pixel.png",
            "style=",
            "srcset",
            "data:image",
        ] {
            assert!(!a.html.contains(bad), "{bad} in html:\n{}", a.html);
        }
        assert!(
            a.html
                .contains(r#"src="https://port.example.org/img/port.jpg""#),
            "{}",
            a.html
        );
        assert!(
            a.html
                .contains(r#"href="https://port.example.org/rel/link""#),
            "{}",
            a.html
        );
        assert_eq!(
            a.lead_image.as_deref(),
            Some("https://port.example.org/img/port.jpg")
        );
    }

    #[test]
    fn unlucky_wrapper_class_does_not_lose_the_article() {
        // The article wrapper carries "share"/"comments" classes, and a long
        // comment thread holds more prose than the article.
        let para = |i: usize| {
            format!(
                "<p>Paragraph {i} of the article explains in plain words what the new rules for rental deposits mean for tenants and landlords alike.</p>"
            )
        };
        let comment = |i: usize| {
            format!(
                "<li class=\"comment\"><p>Comment {i}: I have rented for twenty years and have never once got my full deposit back, so this change is very welcome news indeed.</p></li>"
            )
        };
        let html = format!(
            "<html><body><div class=\"post share-enabled has-comments\"><h1>Deposit rules</h1>{}</div><ol class=\"comment-list\">{}</ol></body></html>",
            (1..=4).map(para).collect::<String>(),
            (1..=12).map(comment).collect::<String>()
        );
        let url = url::Url::parse("https://example.com/a").unwrap();
        let a = article(&html, &url, &[]).unwrap();
        for i in 1..=4 {
            assert!(
                a.text.contains(&format!("Paragraph {i} of the article")),
                "{}",
                a.text
            );
        }
        assert!(!a.text.contains("Comment 3:"), "{}", a.text);
    }

    #[test]
    fn split_body_across_layout_columns() {
        // The template closes the article column for a full-width ad and reopens
        // a new column for the rest of the body, with a newsletter box inside.
        let a = run("split-deep.html");
        assert_has(
            &a,
            &[
                "When a mid-sized engineering firm",
                "Neither happened",
                "The firm is one of several hundred",
                "Researchers caution",
                "What comes next",
                "Unions have started",
                "For now, the firm says",
            ],
        );
        assert_lacks(
            &a,
            &[
                "Advertisement",
                "Work Notes",
                "weekly newsletter",
                "The Ledger",
            ],
        );
    }

    #[test]
    fn embedded_tweets_survive() {
        // Regression: embedded posts sit in "social-media-embed" wrappers and carry
        // links (t.co URLs, permalink date); they were dropped as share widgets or
        // for link density, and unwrapping links with `unwrap_node` (which removes
        // the *parent*) deleted the quote's paragraph.
        let p = "<p>Paragraph of ordinary article text, long enough to be considered prose by the scorer, with commas and more words.</p>";
        let tw = r#"<div class="social-media-embed"><blockquote class="twitter-tweet"><p lang="en" dir="ltr">Yes this is real and the state spent nearly half a million dollars on it: <a href="https://t.co/Nc0nKo">https://t.co/Nc0nKo</a></p>— Dianna Anderson (@dianna) <a href="https://twitter.com/dianna/status/1196501054197649413">November 18, 2019</a></blockquote><script async src="https://platform.twitter.com/widgets.js"></script></div>"#;
        let html = format!(
            "<html><body><div class=\"article\">{}{}{}</div><div class=\"share-bar\"><a href=\"#\">Facebook</a><a href=\"#\">Twitter</a></div></body></html>",
            p.repeat(3),
            tw,
            p.repeat(3)
        );
        let url = url::Url::parse("https://example.com/").unwrap();
        let a = article(&html, &url, &[]).unwrap();
        assert!(
            a.text.contains("Yes this is real and the state spent"),
            "{}",
            a.text
        );
        assert!(a.text.contains("Dianna Anderson (@dianna)"), "{}", a.text);
        assert_eq!(
            a.text.matches("Paragraph of ordinary article text").count(),
            6
        );
    }

    #[test]
    fn login_dialog_does_not_outweigh_a_short_text() {
        // Regression: a video page whose text is short, one part of it in a
        // "caption" block, next to a login dialog full of long validation
        // messages. The messages counted as prose, so the caption looked
        // minor and was pruned, and the dialog became the article.
        let msg = |i: usize| {
            format!(
                "<p class=\"error\">Message {i}: this e-mail address does not seem to be right, it must contain an @ and an existing domain such as example.com.</p>"
            )
        };
        let html = format!(
            r#"<html><body><main><article class="video"><h1>Sport stops in New York</h1>
            <div class="item-caption"><p class="item-description">New York is the centre of the pandemic. Sport has come to a standstill as well, and the leagues show their sympathy with the city.</p></div>
            <p>The baseball season was meant to start next week, and the basketball league had already stopped its games on Thursday.</p>
            <p>Players and coaches said they would help hospitals in the city, and several of them gave money to the food banks.</p></article></main>
            <div class="b-dialog x-dialog-login"><div class="registration-modal"><form>{}</form></div></div>
            <footer><a href="/imprint">Imprint</a></footer></body></html>"#,
            (1..=9).map(msg).collect::<String>()
        );
        let url = url::Url::parse("https://video.example.com/sport/ny.html").unwrap();
        let a = article(&html, &url, &[]).unwrap();
        assert!(
            a.text.contains("Sport has come to a standstill"),
            "{}",
            a.text
        );
        assert!(a.text.contains("food banks"), "{}", a.text);
        assert!(!a.text.contains("Message 3"), "{}", a.text);
    }

    #[test]
    fn author_sign_off_survives_the_tail() {
        // Regression: the closing line of a blog post ("x Franzi") is short
        // and unpunctuated like the trailing furniture the tail pruning
        // removes, and went with it.
        let p = "<p>We spent the whole weekend by the lake, and the weather was kinder than the forecast had promised, so we walked around it twice.</p>";
        let html = format!(
            "<html><body><div class=\"post\">{}<p>x Franzi</p><p>Filed under</p></div></body></html>",
            p.repeat(4)
        );
        let url = url::Url::parse("https://blog.example.com/lake").unwrap();
        let a = article(&html, &url, &[]).unwrap();
        assert!(a.text.ends_with("x Franzi"), "{}", a.text);
    }

    #[test]
    fn hidden_gallery_slides_are_part_of_the_article() {
        // Regression: a gallery article shows one slide at a time; the other
        // slides carry class "hidden" and display:none until a script shows
        // them. They were pruned as hidden, and the article was its first slide.
        let slide = |i: usize, shown: bool| {
            let (class, style) = if shown {
                ("gallery-section", "display: block")
            } else {
                ("gallery-section hidden", "display: none")
            };
            format!(
                r#"<div class="{class}" style="{style}"><h2>{i}. Gadget number {i}</h2><p>Slide {i}: this little gadget turns an ordinary evening at home into something to talk about, and it costs less than a dinner for two.</p><p>It comes in three colours, and the maker says that a second version with a longer battery life is on the way for the autumn.</p></div>"#
            )
        };
        let html = format!(
            r#"<html><body><nav><a href="/">Home</a> <a href="/gifts">Gifts</a></nav><main><article><h1>Thirty gadgets</h1><div class="slides">{}</div></article></main><footer><a href="/about">About</a></footer></body></html>"#,
            (1..=6).map(|i| slide(i, i == 1)).collect::<String>()
        );
        let url = url::Url::parse("https://gifts.example.com/thirty").unwrap();
        let a = article(&html, &url, &[]).unwrap();
        for i in 1..=6 {
            assert!(a.text.contains(&format!("Slide {i}:")), "{}", a.text);
        }
    }

    #[test]
    fn post_rendered_from_a_script_template() {
        // Regression: a Blogger-style page ships the post as markup in a
        // `<script type="text/template">`; without scripts the post body is
        // empty and the sidebar's blog description was taken for the article.
        let a = run("blogger-template.html");
        assert_has(
            &a,
            &[
                "The first snow came early this year.",
                "The village spent the weekend clearing the roads.",
                "open the road on Wednesday",
            ],
        );
        assert_lacks(&a, &["I write about life in a small mountain village"]);
    }

    #[test]
    fn dateline_inside_the_first_paragraph_stays() {
        // Regression: `<span class="dateline">` opening the first paragraph
        // was pruned as a metadata block, cutting "KOBE –" off the sentence.
        // (The page names its author, so the Readability port does not take
        // the dateline for the byline.)
        let rest = "<p>The masks, worth forty thousand yen, had been kept in a machine room on the third floor of the hospital, officials said on Tuesday.</p>";
        let html = format!(
            r#"<html><head><meta name="author" content="Staff Writer"></head><body><div class="entry"><p><span class="dateline">KOBE – </span>A total of 6,000 surgical masks have been lost at a hospital in Kobe, it was learned on Tuesday.</p>{}</div><div class="byline">By Staff Writer</div></body></html>"#,
            rest.repeat(3)
        );
        let url = url::Url::parse("https://news.example.com/masks").unwrap();
        let a = article(&html, &url, &[]).unwrap();
        assert!(
            a.text.starts_with("KOBE – A total of 6,000 surgical masks"),
            "{}",
            a.text
        );
    }

    #[test]
    fn link_roll_post_is_not_empty() {
        // Regression: a blog post that is a list of bookmarked links, each
        // with a one-line note, came out as "no article content found":
        // every block is a link, so no container scored and the link-dense
        // layer removed the list. The post's own <article> is the last resort.
        let item = |i: usize| {
            format!(
                r#"<li><p class="link"><a href="https://example.org/{i}">Study number {i} doubts the state's support for the press</a></p><p class="note">via example.org</p></li>"#
            )
        };
        let html = format!(
            r#"<html><body><header><a href="/">My links</a><p class="description">Bookmarks of the week.</p></header>
            <main><article class="post"><h1>Bookmarks for January 23</h1><div class="entry-content"><ul class="linkroll">{}</ul></div></article></main>
            <aside><h2>Archive</h2><ul><li><a href="/2020/01">January</a></li></ul></aside></body></html>"#,
            (1..=4).map(item).collect::<String>()
        );
        let url = url::Url::parse("https://links.example.com/2020/01/23/").unwrap();
        let a = article(&html, &url, &[]).unwrap();
        assert!(a.text.contains("Study number 3 doubts"), "{}", a.text);
        assert!(a.text.contains("via example.org"), "{}", a.text);
        assert!(!a.text.contains("Archive"), "{}", a.text);
    }

    #[test]
    fn random_tag_soup_never_panics() {
        // Deterministic xorshift PRNG: random nesting of tags, attributes that
        // trigger every layer (hidden, share/related classes, links, quotes).
        let mut seed: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut next = move |n: u64| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed % n
        };
        const TAGS: &[&str] = &[
            "div",
            "p",
            "a",
            "span",
            "h2",
            "ul",
            "li",
            "blockquote",
            "figure",
            "figcaption",
            "table",
            "td",
            "section",
            "article",
            "br",
            "img",
            "script",
            "aside",
        ];
        const ATTRS: &[&str] = &[
            "",
            " class=\"share\"",
            " class=\"related-posts\"",
            " hidden",
            " style=\"display:none\"",
            " href=\"javascript:x()\"",
            " class=\"caption\"",
            " id=\"comments\"",
            " src=\"/x.gif\" width=\"1\"",
            " class=\"card\"",
        ];
        const WORDS: &[&str] = &[
            "The", "council", "voted", "on", "Tuesday", "Facebook", "share", "button", "Photo:",
            "©", "By", "Nov.", "2019", "Related", "go top", "\u{200B}", "<", "&amp;", "서울",
            "東京",
        ];
        let url = url::Url::parse("https://example.com/x/y.html").unwrap();
        for _ in 0..300 {
            let mut html = String::from("<html><body>");
            let mut open: Vec<&str> = Vec::new();
            for _ in 0..next(400) {
                match next(4) {
                    0 => {
                        let t = TAGS[next(TAGS.len() as u64) as usize];
                        html.push_str(&format!(
                            "<{t}{}>",
                            ATTRS[next(ATTRS.len() as u64) as usize]
                        ));
                        open.push(t);
                    }
                    1 => {
                        if let Some(t) = open.pop() {
                            html.push_str(&format!("</{t}>"));
                        }
                    }
                    _ => {
                        for _ in 0..next(30) {
                            html.push_str(WORDS[next(WORDS.len() as u64) as usize]);
                            html.push(' ');
                        }
                    }
                }
            }
            let r = article(&html, &url, &[]);
            assert!(
                !matches!(r, Err(ExtractError::Internal)),
                "panic inside extractor on:\n{html}"
            );
            if let Ok(a) = r {
                assert!(!a.html.contains("javascript:") && !a.html.contains("<script"));
            }
        }
    }

    #[test]
    fn results_are_send_and_sync() {
        // The daemon runs extraction in `spawn_blocking` and moves results across threads.
        fn is_send_sync<T: Send + Sync + 'static>() {}
        is_send_sync::<Article>();
        is_send_sync::<ExtractError>();
        is_send_sync::<SiteRule>();
        let h = std::thread::spawn(|| {
            let url = url::Url::parse("https://news.example.com/a").unwrap();
            article(&fixture("captions.html"), &url, &[])
        });
        assert!(h.join().unwrap().is_ok());
    }
}

mod charset {

    use tidings::extract::decode_html;

    const KO: &str = "서울시는 금요일과 토요일 밤 지하철 운행 시간을 새벽 2시까지 연장한다고 밝혔다. 시민들은 환영했다.";
    const JA: &str =
        "東京都は週末の地下鉄の運行時間を午前二時まで延長すると発表した。利用者は歓迎している。";
    const ZH: &str = "北京市政府宣布，周末地铁运营时间将延长至凌晨两点。市民对此表示欢迎。";
    const ZH_TW: &str = "臺北市政府宣布，週末捷運營運時間將延長至凌晨兩點。市民對此表示歡迎。";

    fn encode(text: &str, label: &str) -> Vec<u8> {
        let enc = encoding_rs::Encoding::for_label(label.as_bytes()).unwrap();
        let (b, _, unmappable) = enc.encode(text);
        assert!(!unmappable, "{label} cannot encode the sample");
        b.into_owned()
    }

    fn page(meta: Option<&str>, body: &str) -> String {
        let m = meta
            .map(|c| format!("<meta charset=\"{c}\">"))
            .unwrap_or_default();
        format!(
            "<!DOCTYPE html><html><head>{m}<title>t</title></head><body><p>{body}</p></body></html>"
        )
    }

    fn check_meta(text: &str, label: &str) {
        let bytes = encode(&page(Some(label), text), label);
        let out = decode_html(&bytes, None);
        assert!(out.contains(text), "{label} via meta failed: {out}");
    }

    fn check_header(text: &str, label: &str) {
        let bytes = encode(&page(None, text), label);
        let out = decode_html(&bytes, Some(&format!("text/html; charset={label}")));
        assert!(out.contains(text), "{label} via header failed: {out}");
    }

    #[test]
    fn euc_kr_meta_and_header() {
        check_meta(KO, "euc-kr");
        check_header(KO, "EUC-KR");
        check_header(KO, "ks_c_5601-1987");
    }

    #[test]
    fn shift_jis_meta_and_header() {
        check_meta(JA, "shift_jis");
        check_header(JA, "Shift_JIS");
        check_meta(JA, "euc-jp");
    }

    #[test]
    fn gbk_gb18030_meta_and_header() {
        check_meta(ZH, "gbk");
        check_meta(ZH, "gb2312");
        check_header(ZH, "GB18030");
    }

    #[test]
    fn big5_meta_and_header() {
        check_meta(ZH_TW, "big5");
        check_header(ZH_TW, "Big5");
    }

    #[test]
    fn http_equiv_meta() {
        let html = format!(
            "<html><head><meta http-equiv=\"Content-Type\" content=\"text/html; charset=euc-kr\"></head><body>{KO}</body></html>"
        );
        let out = decode_html(&encode(&html, "euc-kr"), None);
        assert!(out.contains(KO));
    }

    #[test]
    fn header_beats_wrong_meta() {
        // Page re-encoded by a proxy: the header is right, the meta is stale.
        let bytes = encode(&page(Some("iso-8859-1"), KO), "euc-kr");
        let out = decode_html(&bytes, Some("text/html; charset=euc-kr"));
        assert!(out.contains(KO));
    }

    #[test]
    fn unknown_header_label_falls_through_to_meta() {
        let bytes = encode(&page(Some("shift_jis"), JA), "shift_jis");
        let out = decode_html(&bytes, Some("text/html; charset=bogus-charset"));
        assert!(out.contains(JA));
    }

    #[test]
    fn undeclared_is_guessed() {
        let long = KO.repeat(5);
        let out = decode_html(&encode(&page(None, &long), "euc-kr"), None);
        assert!(out.contains(KO), "guess failed: {out}");
        let long = JA.repeat(5);
        let out = decode_html(&encode(&page(None, &long), "shift_jis"), None);
        assert!(out.contains(JA), "guess failed: {out}");
        let out = decode_html(page(None, KO).as_bytes(), None);
        assert!(out.contains(KO));
    }

    #[test]
    fn utf8_bom() {
        let mut b = vec![0xEF, 0xBB, 0xBF];
        b.extend_from_slice(page(None, KO).as_bytes());
        let out = decode_html(&b, None);
        assert!(out.starts_with("<!DOCTYPE") && out.contains(KO));
    }
}

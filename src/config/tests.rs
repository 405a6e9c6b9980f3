use super::*;

fn problems(text: &str) -> Vec<Problem> {
    match parse(text, Path::new("t.toml")) {
        Ok(_) => panic!("expected problems in:\n{text}"),
        Err(ConfigError::Invalid { problems, .. }) => problems,
        Err(e) => panic!("unexpected error {e}"),
    }
}

const GOOD: &str = r#"
[daemon]
database = "data/t.db"
listen = "127.0.0.1:9000"
schedule = "*/5 * * * *"

[[feed]]
url = "https://example.org/rss.xml"
name = "Example"
tags = ["korea"]
schedule = "0 * * * *"

[[feed]]
url = "https://example.com/atom"

[[output]]
name = "all"
title = "Everything"
from = { tags = ["korea"] }
limit = 20
"#;

#[test]
fn the_contract_keys_parse() {
    let c = parse(GOOD, Path::new("/etc/tidings/tidings.toml")).unwrap();
    assert_eq!(c.daemon.database, Path::new("/etc/tidings/data/t.db"));
    assert_eq!(c.daemon.listen.port(), 9000);
    assert_eq!(c.feeds.len(), 2);
    assert_eq!(c.feeds[0].name, "Example");
    assert_eq!(c.feeds[0].schedule.source, "0 * * * *");
    assert_eq!(c.feeds[1].schedule.source, "*/5 * * * *", "daemon default");
    assert_eq!(c.feeds[1].name, "example.com/atom");
    let out = &c.outputs[0];
    assert_eq!((out.name.as_str(), out.limit), ("all", 20));
    let selected: Vec<_> = c.feeds_of(out).map(|f| f.name.as_str()).collect();
    assert_eq!(selected, ["Example"]);
}

#[test]
fn defaults_apply_to_an_empty_file() {
    let c = parse("", Path::new("t.toml")).unwrap();
    assert_eq!(c.daemon.listen.to_string(), "127.0.0.1:8080");
    assert_eq!(c.daemon.database, Path::new("tidings.db"));
    assert_eq!(c.daemon.schedule.source, "*/15 * * * *");
}

#[test]
fn unknown_keys_are_errors_with_line_and_column() {
    let p = problems("[daemon]\nlisten = \"127.0.0.1:1\"\nlistne = \"x\"\n");
    assert_eq!((p[0].line, p[0].column), (3, 1));
    assert!(
        p[0].message.contains("unknown field `listne`"),
        "{}",
        p[0].message
    );
    assert!(p[0].message.contains("expected one of"), "{}", p[0].message);

    let p = problems("[[feed]]\nurl = \"https://a.example/\"\ntitle = \"x\"\n");
    assert_eq!(p[0].line, 3);
}

#[test]
fn every_problem_is_reported_at_once_with_its_position() {
    let text = "[daemon]\nschedule = \"*/15 * * *\"\nlisten = \"localhost\"\n\n[[feed]]\nurl = \"ftp://x.example/\"\n\n[[output]]\nname = \"a b\"\n";
    let p = problems(text);
    let lines: Vec<(usize, usize)> = p.iter().map(|p| (p.line, p.column)).collect();
    assert_eq!(lines, [(3, 10), (2, 12), (6, 7), (9, 8)], "{p:#?}");
    assert!(p[1].message.contains("has 4 fields"));
    assert!(p[2].message.contains("http or https"));
}

#[test]
fn from_must_name_existing_tags_and_feeds() {
    let text = "[[feed]]\nurl = \"https://a.example/\"\ntags = [\"korea\"]\n[[output]]\nname = \"o\"\nfrom = { tags = [\"koera\"], feeds = [\"nope\"] }\n";
    let p = problems(text);
    assert_eq!(p.len(), 2);
    assert!(p[0].message.contains("\"koera\"") && p[0].message.contains("korea"));
    assert_eq!((p[0].line, p[0].column), (6, 18));
    assert!(p[1].message.contains("no feed is named"));
}

#[test]
fn duplicates_are_rejected() {
    let text = "[[feed]]\nurl = \"https://a.example/x\"\n[[feed]]\nurl = \"https://a.example/x\"\n[[output]]\nname = \"o\"\n[[output]]\nname = \"o\"\n";
    let p = problems(text);
    assert_eq!(p.len(), 2);
    assert_eq!(p[0].line, 4);
    assert_eq!(p[1].line, 8);
}

#[test]
fn syntax_errors_are_positioned() {
    let p = problems("[daemon]\nlisten = 127.0.0.1:8080\n");
    assert_eq!(p[0].line, 2);
}

#[test]
fn rendering_shows_the_line_and_a_caret() {
    let err = parse("[daemon]\nschedule = \"bad\"\n", Path::new("c.toml")).unwrap_err();
    let text = err.to_string();
    assert!(text.starts_with("c.toml:2:12: "), "{text}");
    assert!(text.contains("2 | schedule = \"bad\""), "{text}");
    assert!(text.ends_with("  |            ^^^^^"), "{text:?}");
}

#[test]
fn positions_count_characters_not_bytes() {
    let p = problems("[[feed]]\nurl = \"https://a.example/\"\nname = \"한국\"\ntags = [\"\"]\n");
    assert_eq!((p[0].line, p[0].column), (4, 9));
    let p = problems("[[feed]] # 한국\nurl = \"https://a.example/\"\nschedule = \"x\"\n");
    assert_eq!((p[0].line, p[0].column), (3, 12));
}

#[test]
fn dedup_is_on_by_default_with_a_three_day_window() {
    let c = parse(GOOD, Path::new("t.toml")).unwrap();
    assert_eq!(c.daemon.dedup.window, Duration::from_secs(72 * 3600));
    assert!(c.daemon.dedup.prefer.is_empty());
    assert!(c.outputs[0].dedup);
    assert!(c.outputs[0].prefer.is_empty());
}

#[test]
fn dedup_keys_are_read_and_prefer_names_feeds() {
    let text = r#"
[daemon]
dedup_window_hours = 24
prefer = ["Wire", "https://b.example/rss"]

[[feed]]
url = "https://a.example/rss"
name = "Wire"

[[feed]]
url = "https://b.example/rss"
name = "Paper"

[[output]]
name = "all"

[[output]]
name = "every-copy"
dedup = false

[[output]]
name = "paper-first"
prefer = ["Paper"]
"#;
    let c = parse(text, Path::new("t.toml")).unwrap();
    assert_eq!(c.daemon.dedup.window, Duration::from_secs(24 * 3600));
    assert_eq!(
        c.daemon.dedup.prefer,
        ["Wire", "Paper"],
        "URLs become names"
    );
    let by = |n: &str| c.outputs.iter().find(|o| o.name == n).unwrap();
    assert!(by("all").dedup && !by("every-copy").dedup);
    assert_eq!(by("all").prefer, ["Wire", "Paper"], "the daemon's list");
    assert_eq!(by("paper-first").prefer, ["Paper"]);
}

#[test]
fn dedup_mistakes_are_positioned() {
    let text = "[daemon]\ndedup_window_hours = 0\nprefer = [\"Nope\"]\n[[feed]]\nurl = \"https://a.example/\"\n[[output]]\nname = \"o\"\nprefer = [\"Wire\"]\ndedup = \"no\"\n";
    let p = problems(text);
    assert_eq!(p[0].line, 9, "{p:#?}");
    assert!(p[0].message.contains("invalid type"), "{}", p[0].message);
    let p = problems(&text.replace("dedup = \"no\"\n", ""));
    let at: Vec<(usize, usize)> = p.iter().map(|p| (p.line, p.column)).collect();
    assert_eq!(at, [(2, 22), (3, 11), (8, 11)], "{p:#?}");
    assert!(
        p[0].message
            .contains("dedup_window_hours must be between 1 and 720")
    );
    assert!(p[1].message.contains("prefer: no feed is named \"Nope\""));
}

#[test]
fn public_url_becomes_a_base_ending_in_a_slash() {
    let c = parse(
        "[daemon]\npublic_url = \"https://feeds.example.org/tidings\"\n",
        Path::new("t.toml"),
    )
    .unwrap();
    assert_eq!(
        c.daemon.public_url.unwrap().as_str(),
        "https://feeds.example.org/tidings/"
    );
    assert!(
        parse("", Path::new("t.toml"))
            .unwrap()
            .daemon
            .public_url
            .is_none()
    );
}

#[test]
fn a_public_url_that_is_not_a_plain_base_is_rejected_with_its_position() {
    for (value, expected) in [
        ("feeds.example.org", "is not a URL"),
        ("ftp://feeds.example.org/", "http or https"),
        ("https://feeds.example.org/?a=1", "must not have a query"),
        ("https://user@feeds.example.org/", "must not have a query"),
        ("https://feeds.example.org/a&b/", "must not contain"),
    ] {
        let p = problems(&format!(
            "[daemon]\nlisten = \"127.0.0.1:1\"\npublic_url = \"{value}\"\n"
        ));
        assert_eq!((p[0].line, p[0].column), (3, 14), "{value}");
        assert!(p[0].message.contains(expected), "{value}: {}", p[0].message);
    }
}

#[test]
fn server_limits_have_defaults_and_bounds() {
    let d = parse("", Path::new("t.toml")).unwrap().daemon;
    assert_eq!(d.client_timeout, Duration::from_secs(15));
    assert_eq!(d.request_timeout, Duration::from_secs(120));
    assert_eq!(d.max_connections, 1024);
    let p = problems(
        "[daemon]\nclient_timeout_secs = 0\nrequest_timeout_secs = -1\nmax_connections = 2\n",
    );
    let lines: Vec<_> = p.iter().map(|p| (p.line, p.column)).collect();
    assert_eq!(lines, [(2, 23), (3, 24), (4, 19)], "{p:#?}");
    assert!(
        p[2].message
            .contains("max_connections must be between 16 and")
    );
}

#[test]
fn lease_secs_has_a_default_and_bounds() {
    let d = parse("", Path::new("t.toml")).unwrap().daemon;
    assert_eq!(
        d.lease,
        Duration::from_secs(crate::store::DEFAULT_LEASE_SECS)
    );
    let d = parse("[daemon]\nlease_secs = 86400\n", Path::new("t.toml"))
        .unwrap()
        .daemon;
    assert_eq!(d.lease, Duration::from_secs(86_400));
    for bad in ["1", "86401", "-1", "9223372036854775807"] {
        let p = problems(&format!("[daemon]\nlease_secs = {bad}\n"));
        assert_eq!((p[0].line, p[0].column), (2, 14), "{bad}: {p:#?}");
        assert!(
            p[0].message
                .contains("lease_secs must be between 2 and 86400"),
            "{bad}: {}",
            p[0].message
        );
    }
}

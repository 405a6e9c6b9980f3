//! The command line as a user meets it.

use crate::support::*;

fn with_config(args: &[&str], config: &std::path::Path) -> std::process::Output {
    let config = config.to_str().unwrap();
    tidings(&[args, &["--config", config]].concat())
}

#[test]
fn check_reports_every_problem_with_file_line_column() {
    let t = write_config("[daemon]\nlisten = \"127.0.0.1:8080\"\nschedul = \"*/5 * * * *\"\n");
    let out = with_config(&["check"], &t.path);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(&format!(
            "{}:3:1: unknown field `schedul`",
            t.path.display()
        )),
        "{err}"
    );

    let t = write_config(
        "[daemon]\nschedule = \"0 9 * * 9\"\n[[feed]]\nurl = \"not a url\"\n[[output]]\nname = \"x\"\nfrom = { tags = [\"nope\"] }\n",
    );
    let out = with_config(&["check"], &t.path);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    let file = t.path.display().to_string();
    for (pos, what) in [
        ("2:12", "out of range"),
        ("4:7", "is not a URL"),
        ("7:18", "no feed has the tag"),
    ] {
        assert!(
            err.contains(&format!("{file}:{pos}: ")) && err.contains(what),
            "{pos} {what}:\n{err}"
        );
    }
}

#[test]
fn run_refuses_an_invalid_config_with_the_same_messages() {
    let t = write_config("[daemon]\nlisten = \"nowhere\"\n");
    let check = with_config(&["check"], &t.path);
    let run = with_config(&["run"], &t.path);
    assert_eq!(run.status.code(), Some(1));
    let check_err = String::from_utf8_lossy(&check.stderr);
    let run_err = String::from_utf8_lossy(&run.stderr);
    assert!(
        run_err.starts_with(check_err.as_ref()),
        "run:\n{run_err}\ncheck:\n{check_err}"
    );
    assert!(run_err.contains("refusing to start"));
}

#[test]
fn check_accepts_a_valid_config() {
    let t = write_config("[[feed]]\nurl = \"https://a.example/rss\"\n[[output]]\nname = \"all\"\n");
    let out = with_config(&["check"], &t.path);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("ok (1 feeds, 1 outputs"));
}

#[test]
fn the_shipped_config_is_valid() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("config/tidings.toml");
    let config = tidings::config::load(&path).unwrap_or_else(|e| panic!("{e}"));
    assert!(config.feeds.len() >= 8, "a dozen regional news feeds");
    let out = config
        .outputs
        .iter()
        .find(|o| o.name == "northeast-asia-diplomacy")
        .expect("the example output");
    assert!(config.feeds_of(out).count() >= 5);
    assert!(config.outputs.iter().any(|o| o.name == "all"));
    let out = with_config(&["check"], &path);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[tokio::test]
async fn once_prints_a_summary_and_fails_only_for_config_or_database() {
    let server = FeedServer::with_fixtures(&[("korea.xml", "feeds/korea-rss2.xml")]).await;
    let t = write_config(&format!(
        "[daemon]\ndatabase = \"t.db\"\n[[feed]]\nurl = \"{}\"\nname = \"Korea Wire\"\n[[feed]]\nurl = \"{}\"\nname = \"Broken\"\n",
        server.url("korea.xml"),
        server.url("gone.xml")
    ));
    let path = t.path.clone();
    let out = tokio::task::spawn_blocking(move || with_config(&["once"], &path))
        .await
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "a failing feed is not a failing run:\n{stdout}"
    );
    let korea = stdout
        .lines()
        .find(|l| l.starts_with("Korea Wire"))
        .unwrap();
    assert!(
        korea.split_whitespace().collect::<Vec<_>>()[2..5] == ["4", "0", "0"],
        "{stdout}"
    );
    assert!(
        stdout
            .lines()
            .any(|l| l.starts_with("Broken") && l.contains("error: HTTP 404")),
        "{stdout}"
    );
    assert!(stdout.contains("2 feeds polled, 1 failed"), "{stdout}");

    // An unusable database is a failing run.
    let bad = write_config("[daemon]\ndatabase = \"/proc/tidings-cannot-write-here/t.db\"\n");
    let out = tokio::task::spawn_blocking(move || with_config(&["once"], &bad.path))
        .await
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("database"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

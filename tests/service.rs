//! Running as a service: the systemd unit, SIGHUP reload.

use std::process::Command;
use std::time::Duration;

use crate::support::*;

fn systemd_analyze() -> Command {
    let ok = Command::new("systemd-analyze")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(
        ok,
        "systemd-analyze is needed (Debian package systemd; scripts/test.sh installs it)"
    );
    Command::new("systemd-analyze")
}

/// The unit with ExecStart pointing at the binary under test (verify checks it exists).
fn unit_for_test(dir: &std::path::Path) -> std::path::PathBuf {
    let unit = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("systemd/tidings.service"),
    )
    .unwrap();
    let path = dir.join("tidings.service");
    std::fs::write(
        &path,
        unit.replace("/usr/local/bin/tidings", env!("CARGO_BIN_EXE_tidings")),
    )
    .unwrap();
    path
}

#[test]
fn the_unit_verifies_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let out = systemd_analyze()
        .arg("verify")
        .arg(unit_for_test(dir.path()))
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.status.success() && text.trim().is_empty(),
        "systemd-analyze verify:\n{text}"
    );
}

#[test]
fn the_unit_is_sandboxed_to_an_exposure_of_at_most_2() {
    let dir = tempfile::tempdir().unwrap();
    let out = systemd_analyze()
        .args(["security", "--offline=true", "--no-pager"])
        .arg(unit_for_test(dir.path()))
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text
        .lines()
        .find(|l| l.contains("Overall exposure level"))
        .unwrap_or_else(|| panic!("{text}"));
    let score: f64 = line
        .split(':')
        .nth(1)
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap()
        .parse()
        .unwrap();
    assert!(score <= 2.0, "exposure {score} > 2.0:\n{text}");
}

#[tokio::test]
async fn sighup_reloads_feeds_and_outputs_and_rejects_a_broken_config() {
    let server = FeedServer::with_fixtures(&[
        ("korea.xml", "feeds/korea-rss2.xml"),
        ("japan.atom", "feeds/japan-atom.xml"),
    ])
    .await;
    let port = free_port();
    let head = format!(
        "[daemon]\ndatabase = \"t.db\"\nlisten = \"127.0.0.1:{port}\"\nschedule = \"@daily\"\n"
    );
    let korea = format!(
        "[[feed]]\nurl = \"{}\"\ntags = [\"korea\"]\n",
        server.url("korea.xml")
    );
    let japan = format!(
        "[[feed]]\nurl = \"{}\"\ntags = [\"japan\"]\n",
        server.url("japan.atom")
    );
    let t = write_config(&format!("{head}{korea}[[output]]\nname = \"all\"\n"));
    let daemon = Daemon::start(&t.path);
    assert!(eventually(|| async { served_count(port, "all").await == Some(4) }).await);

    // Add a feed and an output, then SIGHUP: the new feed is polled at once and the
    // new output served, by the same listener.
    std::fs::write(
        &t.path,
        format!("{head}{korea}{japan}[[output]]\nname = \"all\"\n[[output]]\nname = \"japan\"\nfrom = {{ tags = [\"japan\"] }}\n"),
    )
    .unwrap();
    daemon.signal("HUP");
    assert!(
        eventually(|| async { served_count(port, "japan").await == Some(3) }).await,
        "the reloaded config's new output serves the new feed"
    );
    assert_eq!(served_count(port, "all").await, Some(7));
    assert_eq!(
        server.hits("korea.xml"),
        1,
        "an unchanged feed keeps its schedule (no extra poll)"
    );

    // A broken config is rejected; the running one stays.
    std::fs::write(
        &t.path,
        format!("{head}{korea}[[output]]\nname = \"all\"\nfilterr = \"x\"\n"),
    )
    .unwrap();
    daemon.signal("HUP");
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        served_count(port, "japan").await,
        Some(3),
        "old config still serving"
    );

    let (status, log) = daemon.stop().await;
    assert_eq!(status.code(), Some(0), "{log}");
    assert!(log.contains("config reloaded"), "{log}");
    assert!(log.contains("config reload rejected"), "{log}");
    assert!(
        log.contains(&format!(
            "{}:10:1: unknown field `filterr`",
            t.path.display()
        )),
        "same message as check:\n{log}"
    );
}

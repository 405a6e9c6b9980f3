//! Running as a service: the systemd unit, SIGHUP reload.

use std::process::{Command, Stdio};
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

async fn served_titles(port: u16, output: &str) -> Option<Vec<String>> {
    let r = client()
        .get(format!("http://127.0.0.1:{port}/feeds/{output}.xml"))
        .send()
        .await
        .ok()?;
    if !r.status().is_success() {
        return None;
    }
    Some(
        served_items(&r.bytes().await.ok()?)
            .into_iter()
            .map(|i| i.1)
            .collect(),
    )
}

async fn wait_for<F: std::future::Future<Output = bool>>(mut f: impl FnMut() -> F) -> bool {
    for _ in 0..100 {
        if f().await {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    false
}

#[tokio::test]
async fn sighup_reloads_feeds_and_outputs_and_rejects_a_broken_config() {
    let server = FeedServer::start().await;
    server.set(
        "korea.xml",
        Resource::feed(fixture("feeds/korea-rss2.xml"), None),
    );
    server.set(
        "japan.atom",
        Resource::feed(fixture("feeds/japan-atom.xml"), None),
    );
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
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
    let mut child = Command::new(env!("CARGO_BIN_EXE_tidings"))
        .args(["run", "--config"])
        .arg(&t.path)
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    assert!(
        wait_for(|| async {
            served_titles(port, "all")
                .await
                .is_some_and(|t| t.len() == 4)
        })
        .await
    );

    // Add a feed and an output, then SIGHUP: the new feed is polled at once and the
    // new output served, by the same listener.
    std::fs::write(&t.path, format!("{head}{korea}{japan}[[output]]\nname = \"all\"\n[[output]]\nname = \"japan\"\nfrom = {{ tags = [\"japan\"] }}\n")).unwrap();
    let hup = || {
        Command::new("kill")
            .args(["-HUP", &child.id().to_string()])
            .status()
            .unwrap()
    };
    assert!(hup().success());
    assert!(
        wait_for(|| async {
            served_titles(port, "japan")
                .await
                .is_some_and(|t| t.len() == 3)
        })
        .await,
        "the reloaded config's new output serves the new feed"
    );
    assert_eq!(served_titles(port, "all").await.unwrap().len(), 7);
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
    assert!(hup().success());
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        served_titles(port, "japan").await.map(|t| t.len()),
        Some(3),
        "old config still serving"
    );

    assert!(
        Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status()
            .unwrap()
            .success()
    );
    let (status, log) = tokio::task::spawn_blocking(move || {
        let status = child.wait().unwrap();
        let mut log = String::new();
        std::io::Read::read_to_string(child.stderr.as_mut().unwrap(), &mut log).unwrap();
        (status, log)
    })
    .await
    .unwrap();
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

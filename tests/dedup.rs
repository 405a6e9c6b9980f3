//! `tidings dedup`: the story de-duplication targets on the shared dev set,
//! scored by its own scorer, and the command's contract (config, stdin, errors).

use std::io::Write;
use std::process::{Command, Stdio};

use crate::support::*;

fn dev(file: &str) -> std::path::PathBuf {
    shared_path(&format!("dedup-dev/{file}"))
}

fn json_lines(bytes: &[u8]) -> Vec<serde_json::Value> {
    String::from_utf8_lossy(bytes)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

#[test]
fn the_dedup_dev_set_meets_its_targets() {
    let items = dev("items.jsonl");
    let out = tidings(&["dedup", "--jsonl", items.to_str().unwrap()]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let input = std::fs::read_to_string(&items).unwrap();
    let lines = json_lines(&out.stdout);
    assert_eq!(lines.len(), input.lines().count(), "one line per item");
    for (line, item) in lines.iter().zip(input.lines()) {
        let item: serde_json::Value = serde_json::from_str(item).unwrap();
        assert_eq!(line["id"], item["id"], "in input order");
        let reasons = line["reasons"].as_array().expect("reasons is an array");
        if line["story"] != line["id"] {
            assert!(
                reasons[0].as_str().unwrap().starts_with("same story as "),
                "a merge is explained: {line}"
            );
        }
    }

    let dir = tempfile::tempdir().unwrap();
    let (pred, scores) = (
        dir.path().join("pred.jsonl"),
        dir.path().join("scores.json"),
    );
    std::fs::write(&pred, &out.stdout).unwrap();
    let scored = Command::new("python3")
        .arg(dev("score.py"))
        .arg("--truth")
        .arg(dev("truth.json"))
        .arg("--pred")
        .arg(&pred)
        .arg("--json")
        .arg(&scores)
        .output()
        .expect("python3 runs the shared scorer");
    assert!(scored.status.success(), "{scored:?}");
    let report = String::from_utf8_lossy(&scored.stdout);
    let s: serde_json::Value = serde_json::from_slice(&std::fs::read(&scores).unwrap()).unwrap();
    assert_eq!(s["missing_ids"], 0, "{report}");
    assert_eq!(s["false_merges"], 0, "no false merges:\n{report}");
    assert_eq!(s["false_merges_related_pairs"], 0, "{report}");
    assert_eq!(s["false_merges_hard_negative_pairs"], 0, "{report}");
    let recall = s["pairwise_recall"].as_f64().unwrap();
    assert!(recall >= 0.99, "pairwise recall {recall} < 0.99:\n{report}");
    let by_variant = s["recall_by_variant"].as_object().unwrap();
    let teasers = by_variant["g"]["recall"].as_f64().unwrap();
    assert!(teasers >= 0.95, "teaser recall {teasers} < 0.95:\n{report}");
    for (variant, r) in by_variant {
        let r = r["recall"].as_f64().unwrap();
        assert!(r >= 0.95, "variant {variant}: recall {r}:\n{report}");
    }
}

/// The dev set's first story: its original and two copies, and an
/// independently written report (a "related" item).
fn sample_items() -> Vec<serde_json::Value> {
    let truth: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dev("truth.json")).unwrap()).unwrap();
    let items = json_lines(&std::fs::read(dev("items.jsonl")).unwrap());
    let story = |i: &serde_json::Value| truth["stories"][i["id"].as_str().unwrap()].clone();
    let first = items[0].clone();
    let mut copies = items[1..].iter().filter(|i| story(i) == story(&first));
    let related = truth["related_pairs"][0][0].as_str().unwrap();
    let related = items.iter().find(|i| i["id"] == related).unwrap().clone();
    vec![
        first.clone(),
        copies.next().unwrap().clone(),
        copies.next().unwrap().clone(),
        related,
    ]
}

fn run_stdin(args: &[&str], input: &str) -> std::process::Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_tidings"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

#[test]
fn dedup_takes_its_window_and_prefer_from_the_config() {
    let mut items = sample_items();
    // The original, then its copies 2 and 25 hours later.
    for (item, (time, feed)) in items.iter_mut().zip([
        ("2026-03-02T10:00:00Z", "Paper"),
        ("2026-03-02T12:00:00Z", "Wire"),
        ("2026-03-03T11:00:00Z", "Paper"),
        ("2026-03-02T13:00:00Z", "Wire"),
    ]) {
        item["published"] = time.into();
        item["feed"] = feed.into();
    }
    let input: String = items.iter().map(|i| format!("{i}\n")).collect();
    let id = |n: usize| items[n]["id"].clone();

    // No config: defaults (72 hours, no preference).
    let out = run_stdin(&["dedup", "--jsonl", "-"], &input);
    assert!(out.status.success(), "{out:?}");
    let lines = json_lines(&out.stdout);
    let stories: Vec<_> = lines.iter().map(|l| l["story"].clone()).collect();
    assert_eq!(stories, [id(0), id(0), id(0), id(3)], "{lines:#?}");
    assert_eq!(lines[0]["reasons"], serde_json::json!([]));
    let reason = lines[1]["reasons"][0].as_str().unwrap();
    assert!(
        reason.starts_with(&format!(
            "same story as {} (Paper): ",
            id(0).as_str().unwrap()
        )),
        "{reason}"
    );

    let config = write_config(
        "[daemon]\ndedup_window_hours = 24\nprefer = [\"Wire\"]\n\
         [[feed]]\nurl = \"https://paper.example/rss\"\nname = \"Paper\"\n\
         [[feed]]\nurl = \"https://wire.example/rss\"\nname = \"Wire\"\n",
    );
    let config = config.path.to_str().unwrap().to_string();
    let out = run_stdin(&["dedup", "--config", &config, "--jsonl", "-"], &input);
    assert!(out.status.success(), "{out:?}");
    let lines = json_lines(&out.stdout);
    let stories: Vec<_> = lines.iter().map(|l| l["story"].clone()).collect();
    // 25 hours is outside a 24-hour window of the original, but the copy from
    // 23 hours before is within it: the story continues through it.
    assert_eq!(stories, [id(0), id(0), id(0), id(3)], "{lines:#?}");
    assert!(
        lines[1]["reasons"][1]
            .as_str()
            .is_some_and(|r| r.contains("entry from now on: \"Wire\"")),
        "the preferred feed's copy stands for the story: {lines:#?}"
    );
    // Without the copy in between, the late copy is a story of its own.
    let late: String = [&items[0], &items[2]]
        .iter()
        .map(|i| format!("{i}\n"))
        .collect();
    let out = run_stdin(&["dedup", "--config", &config, "--jsonl", "-"], &late);
    let lines = json_lines(&out.stdout);
    assert_eq!(lines[1]["story"], id(2), "{lines:#?}");
}

#[test]
fn dedup_fails_on_an_unreadable_line_and_a_bad_config() {
    let items = sample_items();
    let input = format!("{}\n{{\"id\": \"x\", \"title\": 3\n", items[0]);
    let out = run_stdin(&["dedup", "--jsonl", "-"], &input);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        json_lines(&out.stdout).len(),
        1,
        "lines before it are printed"
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("-:2: not a JSON item"), "{err}");

    let out = tidings(&["dedup", "--jsonl", "/nonexistent/items.jsonl"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot read /nonexistent/items.jsonl"));

    let config = write_config("[daemon]\ndedup_window_hours = 0\n");
    let out = tidings(&[
        "dedup",
        "--config",
        config.path.to_str().unwrap(),
        "--jsonl",
        "-",
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains("dedup_window_hours must be between 1 and 720")
    );
}

//! `briefwatch demo`: the real binary runs its offline demo for ten seconds and reports briefs
//! stored, a story merged across both outlets, signed alerts verified by its receiver and a digest
//! mail saved as HTML with a brief's title in it.

use std::time::{Duration, Instant};

use briefwatch::demo::script::BRIEFS;

use super::harness::base_command;

/// The number after `label` on the summary line that starts with it.
fn summary_number(stdout: &str, label: &str) -> u64 {
    let line = stdout
        .lines()
        .find(|l| l.trim_start().starts_with(label))
        .unwrap_or_else(|| panic!("no summary line {label:?}:\n{stdout}"));
    line.trim_start()[label.len()..]
        .split_whitespace()
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no number on {line:?}"))
}

#[test]
fn ten_second_demo_stores_merges_alerts_with_verified_signatures_and_saves_the_digest() {
    let tmp = tempfile::tempdir().unwrap();
    let mut child = base_command()
        .args(["demo", "--duration", "10s"])
        .env("TMPDIR", tmp.path())
        .env_remove("BRIEFWATCH_CONFIG")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(40);
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            child.kill().unwrap();
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "demo failed: {:?}\n{stdout}\n{stderr}",
        out.status
    );
    assert!(
        stderr.trim().is_empty(),
        "daemon logs belong in the log file:\n{stderr}"
    );
    assert!(
        stdout.contains("/ui/"),
        "the dashboard URL is shown:\n{stdout}"
    );
    assert!(summary_number(&stdout, "briefs stored") > 0, "{stdout}");
    assert!(summary_number(&stdout, "stories merged") >= 1, "{stdout}");
    assert!(stdout.contains("now has 2 sources: "), "{stdout}");
    assert!(summary_number(&stdout, "alerts") >= 1, "{stdout}");
    assert!(stdout.contains("signature verified"), "{stdout}");
    assert!(!stdout.contains("SIGNATURE FAILED"), "{stdout}");
    let digest = stdout
        .lines()
        .find_map(|l| l.trim_start().strip_prefix("digest"))
        .map(str::trim)
        .filter(|p| p.ends_with("digest.html"))
        .unwrap_or_else(|| panic!("no digest file in the summary:\n{stdout}"));
    let html = std::fs::read_to_string(digest).unwrap();
    assert!(
        BRIEFS.iter().any(|b| html.contains(b.title)),
        "the digest names no brief of the script:\n{html}"
    );
    assert!(
        std::path::Path::new(digest).starts_with(tmp.path()),
        "{digest} is outside $TMPDIR"
    );
}

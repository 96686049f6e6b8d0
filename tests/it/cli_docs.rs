//! `completions`, `man` and `--version`: generated from the CLI definition, they name the
//! subcommands, and the version carries the git commit of the build.

use super::harness::base_command;

fn stdout_of(args: &[&str]) -> String {
    let out = base_command().args(args).output().unwrap();
    assert!(
        out.status.success(),
        "{args:?}: {:?}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn bash_completions_name_the_subcommands() {
    let script = stdout_of(&["completions", "bash"]);
    for sub in ["demo", "completions", "sources", "briefs"] {
        assert!(script.contains(sub), "{sub} missing from:\n{script}");
    }
    for shell in ["zsh", "fish", "elvish", "powershell"] {
        assert!(
            stdout_of(&["completions", shell]).contains("demo"),
            "{shell}"
        );
    }
}

#[test]
fn man_page_starts_with_th_and_covers_the_whole_command_tree() {
    let page = stdout_of(&["man"]);
    assert!(page.starts_with(".TH "), "{}", &page[..page.len().min(200)]);
    assert!(page.contains("demo"), "no demo in the page");
    assert!(
        page.contains(".SH \"BRIEFWATCH SOURCES LIST\""),
        "nested commands missing"
    );
    assert!(
        page.contains("\\-\\-duration"),
        "the demo's options are missing"
    );
    let dir = tempfile::tempdir().unwrap();
    stdout_of(&["man", "--dir", dir.path().to_str().unwrap()]);
    for name in [
        "briefwatch.1",
        "briefwatch-demo.1",
        "briefwatch-sources-list.1",
    ] {
        let page = std::fs::read_to_string(dir.path().join(name)).unwrap();
        assert!(page.contains(".TH"), "{name}");
    }
}

#[test]
fn version_names_the_package_version_and_the_commit_built() {
    let line = stdout_of(&["--version"]);
    let expected_version = format!("briefwatch {} (commit ", env!("CARGO_PKG_VERSION"));
    assert!(line.starts_with(&expected_version), "{line}");
    let commit = line
        .trim()
        .strip_prefix(&expected_version)
        .and_then(|c| c.strip_suffix(')'))
        .unwrap_or_else(|| panic!("{line}"));
    // Built from this checkout when git is there, else "unknown".
    let head = std::process::Command::new("git")
        .args(["rev-parse", "--short", "HEAD"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned());
    match head {
        Some(head) => assert_eq!(commit, head, "{line}"),
        None => assert_eq!(commit, "unknown", "{line}"),
    }
}

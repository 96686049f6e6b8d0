//! The module map's arrows, checked on the source text: lower layers never name higher ones, and the
//! crates that belong to one module stay in it. A violation names the file and the line.

use std::path::{Path, PathBuf};

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs")
            // Test-only modules (`tests.rs`, `golden_tests.rs`) may read their fixtures.
            && !p.file_name().is_some_and(|n| n.to_string_lossy().ends_with("tests.rs"))
        {
            out.push(p);
        }
    }
}

/// Lines of the files under `src/<under>` (a file or a folder) that contain `needle`.
fn offending(under: &str, needle: &str) -> Vec<String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let target = root.join(under);
    let mut files = Vec::new();
    if target.is_file() {
        files.push(target);
    } else {
        rust_files(&target, &mut files);
    }
    assert!(!files.is_empty(), "nothing found under src/{under}");
    let mut out = Vec::new();
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap();
        for (i, line) in text.lines().enumerate() {
            if line.contains(needle) {
                out.push(format!("{}:{}: {}", f.display(), i + 1, line.trim()));
            }
        }
    }
    out
}

fn assert_none(under: &str, needle: &str, why: &str) {
    let found = offending(under, needle);
    assert!(found.is_empty(), "{why}:\n{}", found.join("\n"));
}

#[test]
fn model_is_plain_data_and_names_no_transform() {
    assert_none(
        "model.rs",
        "crate::transforms",
        "model.rs must not depend on transforms",
    );
    assert_none(
        "model.rs",
        "crate::store",
        "model.rs must not depend on the store",
    );
}

#[test]
fn transforms_do_not_reach_up_into_sources_or_the_store() {
    assert_none(
        "transforms",
        "crate::sources",
        "transforms must not depend on sources",
    );
    assert_none(
        "transforms",
        "crate::store",
        "transforms must not depend on the store",
    );
    assert_none(
        "transforms",
        "std::fs::",
        "transforms do no I/O (file reading is the config stage's)",
    );
    assert_none("decode", "crate::sources", "decode sits below sources");
    assert_none(
        "decode",
        "crate::transforms",
        "decode sits below transforms",
    );
}

#[test]
fn config_does_not_depend_on_the_store() {
    assert_none(
        "config",
        "crate::store",
        "the config module must not depend on the store",
    );
}

#[test]
fn sql_and_http_crates_stay_in_their_modules() {
    for dir in [
        "cli",
        "pipeline",
        "sources",
        "transforms",
        "config",
        "decode",
        "model.rs",
        "app.rs",
        "websub",
    ] {
        assert_none(dir, "rusqlite", "rusqlite is the store's alone");
    }
    for dir in [
        "cli",
        "pipeline",
        "store",
        "transforms",
        "config",
        "decode",
        "model.rs",
        "app.rs",
        "websub",
    ] {
        assert_none(dir, "reqwest", "reqwest is sources/http.rs's alone");
    }
}

#[test]
fn the_server_and_the_json_shapes_do_not_reach_into_the_cli() {
    assert_none(
        "server",
        "crate::cli",
        "the server shares the JSON shapes through views.rs, not the CLI",
    );
    assert_none(
        "views.rs",
        "crate::cli",
        "views.rs sits below the CLI and the server",
    );
    assert_none(
        "views.rs",
        "crate::server",
        "views.rs sits below the CLI and the server",
    );
}

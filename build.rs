//! Build script: records the git commit the binary is built from as `BRIEFWATCH_GIT_COMMIT`
//! (`git rev-parse --short HEAD`), or `unknown` when there is no git or no checkout of this
//! package (a crates.io tarball, a vendored copy); never fails the build.

use std::path::{Path, PathBuf};
use std::process::Command;

fn git(dir: &Path, args: &[&str]) -> Option<String> {
    let out = Command::new("git")
        .args(args)
        .current_dir(dir)
        .output()
        .ok()?;
    if !out.status.success() {
        return None;
    }
    let text = String::from_utf8(out.stdout).ok()?.trim().to_owned();
    (!text.is_empty()).then_some(text)
}

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    let manifest = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").unwrap_or_default());
    // Only this package's own checkout counts, not a repository it happens to be unpacked in.
    let own_checkout = git(&manifest, &["rev-parse", "--show-toplevel"])
        .and_then(|top| Path::new(&top).canonicalize().ok())
        .is_some_and(|top| manifest.canonicalize().is_ok_and(|m| m == top));
    let commit = own_checkout
        .then(|| git(&manifest, &["rev-parse", "--short", "HEAD"]))
        .flatten()
        .filter(|c| c.chars().all(|ch| ch.is_ascii_hexdigit()))
        .unwrap_or_else(|| "unknown".to_owned());
    println!("cargo:rustc-env=BRIEFWATCH_GIT_COMMIT={commit}");
    if !own_checkout {
        return;
    }
    // HEAD moves on checkout and commit; the branch it names moves in refs/ or packed-refs. In a
    // worktree, HEAD is in its own git dir and refs in the common one. Only existing paths are
    // watched (a missing one would rerun this script at every build).
    let dirs = [
        git(&manifest, &["rev-parse", "--git-dir"]),
        git(&manifest, &["rev-parse", "--git-common-dir"]),
    ];
    for dir in dirs.into_iter().flatten() {
        let dir = manifest.join(dir);
        for watched in ["HEAD", "refs/heads", "packed-refs"] {
            let p = dir.join(watched);
            if p.exists() {
                println!("cargo:rerun-if-changed={}", p.display());
            }
        }
    }
}

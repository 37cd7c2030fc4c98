//! Tidy checks that keep the workspace's structure honest: the domain core
//! depends on no web, SQL, HTTP-client or template crate, and every Rust
//! module says what it is for in a `//!` line.

use std::path::{Path, PathBuf};

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

#[test]
fn core_depends_on_no_io_crate() {
    let manifest =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("Cargo.toml"))
            .expect("core Cargo.toml");
    let mut in_dependencies = false;
    let mut offenders = Vec::new();
    for line in manifest.lines() {
        let line = line.trim();
        if line.starts_with('[') {
            in_dependencies = line.contains("dependencies");
            continue;
        }
        if !in_dependencies {
            continue;
        }
        let name = line
            .split(['=', '.', ' '])
            .next()
            .unwrap_or_default()
            .trim();
        for forbidden in [
            "axum", "sqlx", "reqwest", "askama", "tokio", "hyper", "lettre",
        ] {
            if name == forbidden
                || name.starts_with(&format!("{forbidden}-"))
                || name.starts_with(&format!("{forbidden}_"))
            {
                offenders.push(name.to_owned());
            }
        }
    }
    assert!(
        offenders.is_empty(),
        "agora-core must not depend on IO crates, found: {offenders:?}"
    );
}

#[test]
fn every_module_starts_with_a_doc_line() {
    let mut missing = Vec::new();
    let crates = workspace_root().join("crates");
    for entry in std::fs::read_dir(&crates).expect("crates/") {
        let crate_dir = entry.expect("entry").path();
        for sub in ["src", "tests", "benches"] {
            visit(&crate_dir.join(sub), &mut missing);
        }
    }
    assert!(
        missing.is_empty(),
        "these modules lack a `//!` line saying what they are for: {missing:#?}"
    );
}

fn visit(dir: &Path, missing: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            visit(&path, missing);
        } else if path.extension().is_some_and(|ext| ext == "rs") {
            let text = std::fs::read_to_string(&path).unwrap_or_default();
            let first = text
                .lines()
                .find(|line| !line.trim().is_empty())
                .unwrap_or_default();
            if !first.starts_with("//!") {
                missing.push(path);
            }
        }
    }
}

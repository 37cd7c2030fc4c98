//! The analytics commands end to end: `agora gen --out` writes a log, `agora
//! import interactions` loads it once (a re-run adds nothing; a malformed row
//! is refused with its line and column and loads nothing), and the health
//! measures of the imported workspace are the ones an independent plain
//! implementation of the definitions computes from the same CSV files.

use agora_core::accounts::AccountStore;
use agora_core::analytics::InteractionStore;
use agora_core::analytics::health::{Window, health};
use agora_testkit::TempDir;
use agora_testkit::health::{measures, parse_members, parse_rows};

use crate::harness::agora;

fn run(data: &std::path::Path, args: &[&str]) -> (bool, String, String) {
    let output = agora(data).args(args).output().unwrap();
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_generated_log_imports_once_and_measures_as_the_definitions_say() {
    let data = TempDir::new("analytics-cli");
    let csv = data.path().join("csv");
    let csv_dir = csv.to_str().unwrap();
    let (ok, out, err) = run(
        data.path(),
        &[
            "gen",
            "--members",
            "400",
            "--interactions",
            "12000",
            "--seed",
            "5",
            "--days",
            "90",
            "--out",
            csv_dir,
        ],
    );
    assert!(ok, "{err}");
    assert!(out.contains("wrote 12000 interactions"), "{out}");
    let interactions = csv.join("interactions.csv");
    let members = csv.join("members.csv");
    let import = |workspace: &str, file: &std::path::Path| {
        run(
            data.path(),
            &[
                "import",
                "interactions",
                "--workspace",
                workspace,
                "--interactions",
                file.to_str().unwrap(),
                "--members",
                members.to_str().unwrap(),
            ],
        )
    };
    let (ok, out, err) = import("acme", &interactions);
    assert!(ok, "{err}");
    assert!(
        out.contains("added 12000 interactions (0 already imported), 400 members"),
        "{out}"
    );
    assert!(
        err.contains("loaded: 12000 rows"),
        "progress on stderr: {err}"
    );
    let (ok, out, err) = import("acme", &interactions);
    assert!(ok, "{err}");
    assert!(
        out.contains("added 0 interactions (12000 already imported), 0 members"),
        "{out}"
    );

    // A malformed row: refused with its line and column, nothing loaded.
    let text = std::fs::read_to_string(&interactions).unwrap();
    let broken: Vec<String> = text
        .lines()
        .enumerate()
        .map(|(index, line)| {
            if index == 9 {
                let mut fields: Vec<&str> = line.split(',').collect();
                fields[5] = "wave";
                fields.join(",")
            } else {
                line.to_owned()
            }
        })
        .collect();
    let broken_file = data.path().join("broken.csv");
    std::fs::write(&broken_file, broken.join("\n")).unwrap();
    let (ok, _, err) = import("broken", &broken_file);
    assert!(!ok);
    assert!(
        err.contains("interactions line 10, column 6 (kind): \"wave\" is not one of"),
        "{err}"
    );

    // The imported workspace measures as the definitions say, over the same files.
    let url = format!("sqlite://{}", data.path().join("agora.db").display());
    let db = agora_store::Db::connect(&url, agora_store::ConnectOptions::default())
        .await
        .unwrap();
    assert!(
        db.workspace_by_slug("broken").await.unwrap().is_none(),
        "nothing half-loaded"
    );
    let workspace = db.workspace_by_slug("acme").await.unwrap().unwrap();
    let log = db.interaction_log(workspace.id).await.unwrap();
    assert_eq!(log.rows.len(), 12_000);
    let report = serde_json::to_value(health(&log, None, Window::Default).unwrap()).unwrap();
    let expected = measures(
        &parse_rows(&text),
        &parse_members(&std::fs::read_to_string(&members).unwrap()),
        None,
    );
    let mut compared = 0;
    for (pointer, want) in &expected {
        let got = match pointer.strip_suffix('#') {
            Some(array) => report
                .pointer(array)
                .and_then(|items| items.as_array())
                .map(|items| items.len() as f64),
            None => report.pointer(pointer).and_then(|value| value.as_f64()),
        };
        match (got, want) {
            (Some(got), Some(want)) => assert!(
                (got - want).abs() <= 1e-9 * want.abs().max(1.0),
                "{pointer}: {got} vs {want}"
            ),
            (None, None) => {}
            _ => panic!("{pointer}: {got:?} vs {want:?}"),
        }
        compared += 1;
    }
    assert!(compared > 30);
    assert!(
        report["active"]["mau"].as_f64().unwrap() > 50.0,
        "a meaningful log"
    );
}

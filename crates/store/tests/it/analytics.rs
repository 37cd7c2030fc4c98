//! Contract: importing an interaction log, and the compact log the health
//! measures read (warm, and brought up to date incrementally).

use agora_core::Timestamp;
use agora_core::accounts::{AccountStore, Slug};
use agora_core::analytics::health::{Verdict, Window, health};
use agora_core::analytics::import::{
    ImportError, ImportFailure, ImportSourceName, ImportedInteraction, InteractionImportStore,
    InteractionReader, read_member,
};
use agora_core::analytics::{InteractionKind, InteractionStore, NewInteraction};
use agora_store::Db;

use crate::contract;

const T0: Timestamp = Timestamp(1_700_000_000_000);

const MEMBERS: &str = "m1,w,2024-01-01T00:00:00Z,false
m2,w,2024-02-20T00:00:00Z,false
m3,w,2024-01-01T00:00:00Z,false
m4,w,2024-03-04T00:00:00Z,false
s1,w,2023-06-01T00:00:00Z,true";

const LOG: &str = "1,w,g1,m1,,post,1,2024-03-01T10:00:00Z,false
2,w,g1,m2,m1,reply,1,2024-03-01T10:05:00Z,false
3,w,g1,s1,m1,reply,1,2024-03-01T10:06:00Z,true
4,w,g1,m1,m2,reply,1,2024-03-01T10:10:00Z,false
5,w,g2,s1,,post,5,2024-03-02T09:00:00Z,true
6,w,g2,m3,s1,reply,5,2024-03-02T09:30:00Z,false
7,w,g1,m3,,post,7,2024-03-03T08:00:00Z,false
8,w,g1,s1,m3,reply,7,2024-03-03T08:02:00Z,true
9,w,g1,m4,m1,mention,,2024-03-04T12:00:00Z,false
10,w,g2,m4,s1,reaction,,2024-03-05T12:00:00Z,false";

fn rows(text: &str) -> Vec<Result<ImportedInteraction, ImportError>> {
    let mut reader = InteractionReader::default();
    text.lines()
        .enumerate()
        .map(|(index, line)| reader.read(index as u64 + 2, line))
        .collect()
}

async fn import(
    db: &Db,
    workspace: i64,
    text: &str,
) -> Result<agora_core::analytics::import::ImportSummary, ImportFailure> {
    let members: Vec<_> = MEMBERS
        .lines()
        .enumerate()
        .map(|(index, line)| read_member(index as u64 + 2, line).unwrap())
        .collect();
    let mut rows = rows(text).into_iter();
    db.import_interactions(
        workspace,
        &ImportSourceName::parse("test").unwrap(),
        &members,
        &mut rows,
        &mut |_| {},
    )
    .await
}

async fn imports_a_log_once_and_measures_it(db: Db) {
    let workspace = db
        .create_workspace(&Slug::parse("imported").unwrap(), "Imported", false, T0)
        .await
        .unwrap();
    let summary = import(&db, workspace.id, LOG).await.unwrap();
    assert_eq!(
        (
            summary.members_created,
            summary.spaces_created,
            summary.interactions_added
        ),
        (5, 2, 10)
    );
    let log = db.interaction_log(workspace.id).await.unwrap();
    assert_eq!(log.rows.len(), 10);
    let report = health(&log, None, Window::Default).unwrap();
    assert_eq!(report.n_interactions, 10);
    assert_eq!(report.active.mau, 4);
    assert_eq!(
        (
            report.member_to_member.numerator,
            report.member_to_member.denominator
        ),
        (3, 7)
    );
    assert_eq!(
        (
            report.member_authored.numerator,
            report.member_authored.denominator
        ),
        (5, 8)
    );
    assert_eq!(report.member_posts.share, Some(2.0 / 3.0));
    let first = report.first_response;
    assert_eq!(
        (
            first.member_threads,
            first.answered_threads,
            first.peer_first_threads
        ),
        (2, 2, 1)
    );
    assert_eq!(first.ttfr_median_s, Some(210.0));
    assert_eq!(first.ttfr_member_median_s, Some(300.0));
    assert_eq!(first.ttfr_staff_median_s, Some(120.0));
    assert_eq!(
        (
            report.reciprocity.links,
            report.reciprocity.reciprocated_links
        ),
        (2, 2)
    );
    assert_eq!(report.connectivity.lcc_share, Some(0.75));
    assert_eq!(report.verdict.verdict, Verdict::Hybrid);
    // Joined in W and not staff: m2 (replied within 14 days of joining) and m4 (only a mention and a reaction).
    let by_join = report.newcomers_by_join.unwrap();
    assert_eq!((by_join.newcomers, by_join.activated), (2, 1));
    let g1 = log.spaces.iter().position(|space| *space != 0).unwrap();
    let group = health(&log, Some(g1 as u32), Window::Default).unwrap();
    assert!(group.n_interactions > 0);

    // Running the same import again adds nothing.
    let again = import(&db, workspace.id, LOG).await.unwrap();
    assert_eq!(
        (
            again.members_created,
            again.interactions_added,
            again.interactions_skipped
        ),
        (0, 0, 10)
    );
    let same = db.interaction_log(workspace.id).await.unwrap();
    assert_eq!(same.rows.len(), 10);

    // A longer file appends its new rows, and the warm log follows.
    let longer = format!(
        "{LOG}\n11,w,g1,m3,m1,reply,1,2024-03-06T08:00:00Z,false\n12,w,g3,m2,,post,12,2024-03-06T09:00:00Z,false"
    );
    let appended = import(&db, workspace.id, &longer).await.unwrap();
    assert_eq!(
        (appended.interactions_added, appended.spaces_created),
        (2, 1)
    );
    let log = db.interaction_log(workspace.id).await.unwrap();
    assert_eq!(log.rows.len(), 12);
    assert_eq!(log.spaces.len(), 3);
    let report = health(&log, None, Window::Default).unwrap();
    assert_eq!(
        report.end_day,
        Timestamp::from_millis(1_709_683_200_000).day() + 1
    );

    let same = db.interaction_log(workspace.id).await.unwrap();
    assert!(
        std::sync::Arc::ptr_eq(&same, &log),
        "nothing new: the warm copy is shared"
    );

    // A native row recorded late, about an earlier time, joins the warm log in time order.
    let member = log.members[0].id;
    db.record_interactions(&[NewInteraction {
        workspace_id: workspace.id,
        space_id: log.spaces[0],
        actor_id: member,
        target_id: None,
        kind: InteractionKind::Reaction,
        at: Timestamp::from_millis(1_709_200_000_000),
        source: "native".into(),
        actor_is_staff: false,
        thread_id: None,
    }])
    .await
    .unwrap();
    let log = db.interaction_log(workspace.id).await.unwrap();
    assert_eq!(log.rows.len(), 13);
    assert!(log.rows.is_sorted_by_key(|row| row.at));
    assert_eq!(log.rows[0].at, 1_709_200_000);
}
contract!(
    imports_a_log_once_and_measures_it,
    imports_a_log_once_and_measures_it
);

async fn a_malformed_row_loads_nothing(db: Db) {
    let workspace = db
        .create_workspace(&Slug::parse("broken").unwrap(), "Broken", false, T0)
        .await
        .unwrap();
    // 2,500 good rows (several batches), then a bad one.
    let mut text = String::from("1,w,g1,m1,,post,1,2024-03-01T10:00:00Z,false\n");
    for id in 2..=2_500 {
        text.push_str(&format!(
            "{id},w,g1,m2,m1,reaction,,2024-03-01T10:05:00Z,false\n"
        ));
    }
    text.push_str("2501,w,g1,m2,m1,wave,,2024-03-01T10:06:00Z,false\n");
    let error = import(&db, workspace.id, &text).await.unwrap_err();
    match error {
        ImportFailure::Row(error) => assert_eq!((error.line, error.column), (2502, 6)),
        other => panic!("{other}"),
    }
    assert!(
        db.interaction_log(workspace.id)
            .await
            .unwrap()
            .rows
            .is_empty()
    );
    // An actor missing from the members file is refused too.
    let error = import(
        &db,
        workspace.id,
        "1,w,g1,nobody,,post,1,2024-03-01T10:00:00Z,false",
    )
    .await
    .unwrap_err();
    assert!(matches!(error, ImportFailure::Inconsistent(_)), "{error}");
    assert!(
        db.interaction_log(workspace.id)
            .await
            .unwrap()
            .members
            .is_empty()
    );
}
contract!(a_malformed_row_loads_nothing, a_malformed_row_loads_nothing);

async fn a_restart_reads_the_snapshot_and_only_the_rows_after_it(db: Db) {
    let workspace = db
        .create_workspace(&Slug::parse("snapshot").unwrap(), "Snapshot", false, T0)
        .await
        .unwrap();
    let dir = agora_testkit::TempDir::new("snapshots");
    let first: Vec<&str> = LOG.lines().take(8).collect();
    import(&db, workspace.id, &first.join("\n")).await.unwrap();
    db.keep_analytics_snapshots(dir.path().to_path_buf(), 0);
    let log = db.interaction_log(workspace.id).await.unwrap();
    assert_eq!(log.rows.len(), 8);
    db.flush_analytics_snapshots().await;
    let files: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
    assert_eq!(files.len(), 1, "one snapshot for the workspace");

    // Two more rows while "down", and two members merged; the restarted
    // process reads the file and those two rows, and applies the merge.
    import(&db, workspace.id, LOG).await.unwrap();
    let id = |index: usize| log.members[index].id;
    let staff = log.members.iter().find(|m| m.is_staff).unwrap().id;
    {
        use agora_core::identities::IdentityStore;
        db.merge_members(workspace.id, id(0), id(1), "same person", staff, T0)
            .await
            .unwrap();
    }
    let restarted = db.reopened();
    restarted.keep_analytics_snapshots(dir.path().to_path_buf(), 0);
    // A server warms the logs that have a snapshot as it starts.
    assert_eq!(restarted.warm_analytics_from_snapshots().await.unwrap(), 1);
    assert_eq!(restarted.analytics_rows_read(), 2);
    let from_snapshot = restarted.interaction_log(workspace.id).await.unwrap();
    assert_eq!(restarted.analytics_rows_read(), 2, "already warm");
    let from_rows = db.reopened().interaction_log(workspace.id).await.unwrap();
    assert_eq!(from_snapshot.rows, from_rows.rows);
    assert_eq!(from_snapshot.members, from_rows.members);
    assert_eq!(
        from_rows.members.len(),
        4,
        "five members, two of them one person"
    );
    assert_eq!(from_snapshot.spaces, from_rows.spaces);
    assert_eq!(
        health(&from_snapshot, None, Window::Default),
        health(&from_rows, None, Window::Default)
    );

    // A damaged file is ignored: every row is read again, and the answer is the same.
    restarted.flush_analytics_snapshots().await;
    let path = std::fs::read_dir(dir.path())
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let mut bytes = std::fs::read(&path).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 1;
    std::fs::write(&path, &bytes).unwrap();
    let after_damage = db.reopened();
    after_damage.keep_analytics_snapshots(dir.path().to_path_buf(), 0);
    let log = after_damage.interaction_log(workspace.id).await.unwrap();
    assert_eq!(after_damage.analytics_rows_read(), 10);
    assert_eq!(log.rows, from_rows.rows);

    // A snapshot of another database (same workspace id, different rows) is not used.
    after_damage.flush_analytics_snapshots().await;
    let other = agora_testkit::TestDb::sqlite().await;
    let other_workspace = other
        .db
        .create_workspace(&Slug::parse("snapshot").unwrap(), "Snapshot", false, T0)
        .await
        .unwrap();
    assert_eq!(
        other_workspace.id, workspace.id,
        "the same id in both databases"
    );
    let shifted = LOG.replace("2024-03-05T12:00:00Z", "2024-03-05T12:00:01Z");
    import(&other.db, other_workspace.id, &shifted)
        .await
        .unwrap();
    let elsewhere = other.db.reopened();
    elsewhere.keep_analytics_snapshots(dir.path().to_path_buf(), 0);
    let log = elsewhere.interaction_log(other_workspace.id).await.unwrap();
    assert_eq!(elsewhere.analytics_rows_read(), 10);
    assert_eq!(log.rows.last().unwrap().at, 1_709_640_001);
}
contract!(
    a_restart_reads_the_snapshot_and_only_the_rows_after_it,
    a_restart_reads_the_snapshot_and_only_the_rows_after_it
);

async fn clicks_and_follows_are_kept_but_are_not_activity(db: Db) {
    let workspace = db
        .create_workspace(&Slug::parse("passive").unwrap(), "Passive", false, T0)
        .await
        .unwrap();
    let with_passive = format!(
        "{LOG}\n11,w,g1,m2,,click,,2024-03-06T08:00:00Z,false\n12,w,g1,m2,m1,follow,,2024-03-06T09:00:00Z,false\n13,w,g2,m2,,click,,2024-03-07T09:00:00Z,false"
    );
    let summary = import(&db, workspace.id, &with_passive).await.unwrap();
    assert_eq!(summary.interactions_added, 13);
    let log = db.interaction_log(workspace.id).await.unwrap();
    assert_eq!(
        log.rows.len(),
        10,
        "the measures read the ten activity rows"
    );
    let only_activity = agora_testkit::TestDb::sqlite().await;
    let other = only_activity
        .db
        .create_workspace(&Slug::parse("passive").unwrap(), "Passive", false, T0)
        .await
        .unwrap();
    import(&only_activity.db, other.id, LOG).await.unwrap();
    let plain = only_activity.db.interaction_log(other.id).await.unwrap();
    assert_eq!(
        health(&log, None, Window::Default),
        health(&plain, None, Window::Default),
        "clicks and follows change no measure"
    );
    let m2 = log
        .members
        .iter()
        .find(|member| member.joined_at == 1_708_387_200)
        .unwrap()
        .id;
    assert_eq!(
        db.passive_interactions(m2).await.unwrap(),
        vec![(InteractionKind::Click, 2), (InteractionKind::Follow, 1)]
    );
}
contract!(
    clicks_and_follows_are_kept_but_are_not_activity,
    clicks_and_follows_are_kept_but_are_not_activity
);

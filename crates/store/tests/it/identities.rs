//! Contract: identities are unique per network in a workspace; a merge makes
//! the interaction log read the merged member as the kept one (and hides it
//! from the directory), an unmerge gives each their history back; merges
//! happen once; tags and notes round trip.

use agora_core::StoreError;
use agora_core::Timestamp;
use agora_core::accounts::{AccountStore, Slug};
use agora_core::analytics::{InteractionKind, InteractionStore, NewInteraction};
use agora_core::community::{CommunityStore, NewSpace, SpaceKind, Visibility};
use agora_core::identities::IdentityStore;
use agora_core::members::{MemberStore, NewMember};
use agora_store::Db;

use crate::contract;

const T0: Timestamp = Timestamp(1_790_000_000_000);

contract!(merges_and_identities, merges_and_identities);
async fn merges_and_identities(db: Db) {
    let workspace = db
        .create_workspace(&Slug::parse("acme").unwrap(), "Acme", true, T0)
        .await
        .unwrap()
        .id;
    let member = |name: &str, email: Option<&str>| NewMember {
        workspace_id: workspace,
        account_id: None,
        name: name.into(),
        email: email.map(str::to_owned),
        joined_at: T0,
        is_staff: false,
    };
    let ann = db
        .create_member(&member("Ann Rider", Some("ann@example.org")))
        .await
        .unwrap();
    let ann_too = db
        .create_member(&member("ann", Some("ANN@example.org")))
        .await
        .unwrap();
    let bob = db.create_member(&member("Bob", None)).await.unwrap();
    let staff = db
        .create_member(&NewMember {
            is_staff: true,
            ..member("Sam Staff", None)
        })
        .await
        .unwrap();
    let group = db
        .create_space(&NewSpace {
            workspace_id: workspace,
            kind: SpaceKind::Group,
            slug: "riders".into(),
            name: "Riders".into(),
            description: String::new(),
            network: "native".into(),
            visibility: Visibility::Public,
            rules: String::new(),
            created_at: T0,
        })
        .await
        .unwrap();
    let act = |actor, target, minutes: i64| NewInteraction {
        workspace_id: workspace,
        space_id: group.id,
        actor_id: actor,
        target_id: Some(target),
        kind: InteractionKind::Reply,
        at: T0.plus_seconds(minutes * 60),
        source: "native".into(),
        actor_is_staff: false,
        thread_id: None,
    };
    db.record_interactions(&[act(ann, bob, 1), act(ann_too, bob, 2), act(bob, ann_too, 3)])
        .await
        .unwrap();

    db.add_identity(workspace, ann_too, "mastodon", "@ann@velo.social", T0)
        .await
        .unwrap();
    assert!(matches!(
        db.add_identity(workspace, bob, "mastodon", "@ann@velo.social", T0)
            .await,
        Err(StoreError::Conflict(_))
    ));
    let candidates = db.merge_candidates(workspace).await.unwrap();
    assert_eq!(candidates.len(), 3, "staff are not candidates");
    let ann_c = candidates.iter().find(|c| c.id == ann_too).unwrap();
    assert_eq!(
        (
            ann_c.emails.len(),
            ann_c.identities.len(),
            ann_c.spaces.clone()
        ),
        (1, 1, vec![group.id])
    );

    let log = db.interaction_log(workspace).await.unwrap();
    let distinct = |log: &agora_core::analytics::health::InteractionLog| {
        let mut actors: Vec<u32> = log.rows.iter().map(|r| r.actor).collect();
        actors.sort_unstable();
        actors.dedup();
        actors.len()
    };
    assert_eq!(distinct(&log), 3);
    let read = db.analytics_rows_read();
    let n_members = log.members.len();

    let merge = db
        .merge_members(workspace, ann, ann_too, "same e-mail", staff, T0)
        .await
        .unwrap();
    assert!(
        matches!(
            db.merge_members(workspace, bob, ann_too, "", staff, T0)
                .await,
            Err(StoreError::Conflict(_))
        ),
        "a merged member cannot be merged again"
    );
    assert!(
        matches!(
            db.merge_members(workspace, ann_too, bob, "", staff, T0)
                .await,
            Err(StoreError::Conflict(_))
        ),
        "nobody merges into a merged member"
    );
    let log = db.interaction_log(workspace).await.unwrap();
    assert_eq!(distinct(&log), 2, "Ann's two rows are one member now");
    let to_ann = log
        .rows
        .iter()
        .filter(|r| log.members[r.target as usize].id == ann)
        .count();
    assert_eq!(to_ann, 1, "and so are the replies to either");
    assert_eq!(
        log.members.len(),
        n_members - 1,
        "the merged row is no member of its own"
    );
    assert!(log.members.iter().all(|member| member.id != ann_too));
    assert_eq!(
        db.analytics_rows_read(),
        read,
        "a merge is applied to the log in memory, not read again"
    );
    assert_eq!(
        db.identities_of(ann).await.unwrap(),
        vec![("mastodon".to_owned(), "@ann@velo.social".to_owned())]
    );
    assert_eq!(
        db.count_members(workspace).await.unwrap(),
        3,
        "the merged row leaves the directory"
    );
    assert!(
        db.merge_skips(workspace)
            .await
            .unwrap()
            .contains(&(ann, ann_too))
    );
    assert_eq!(db.merges(workspace).await.unwrap()[0].merged_name, "ann");

    assert!(db.unmerge(workspace, merge, T0).await.unwrap());
    assert!(!db.unmerge(workspace, merge, T0).await.unwrap(), "once");
    let log = db.interaction_log(workspace).await.unwrap();
    assert_eq!(distinct(&log), 3, "each has their history back");
    assert_eq!(log.members.len(), n_members);
    assert_eq!(db.analytics_rows_read(), read, "an unmerge too");
    assert!(db.identities_of(ann).await.unwrap().is_empty());
    assert_eq!(db.count_members(workspace).await.unwrap(), 4);

    db.dismiss_suggestion(workspace, (ann_too, ann))
        .await
        .unwrap();
    db.dismiss_suggestion(workspace, (ann, ann_too))
        .await
        .unwrap();
    assert!(
        db.merge_skips(workspace)
            .await
            .unwrap()
            .contains(&(ann, ann_too))
    );

    db.set_member_tags(bob, &["volunteer".into(), "ride-leader".into()])
        .await
        .unwrap();
    db.set_member_tags(bob, &["ride-leader".into()])
        .await
        .unwrap();
    assert_eq!(
        db.member_tags(bob).await.unwrap(),
        vec!["ride-leader".to_owned()]
    );
    db.add_note(bob, staff, "Leads the Sunday loop.", T0)
        .await
        .unwrap();
    let notes = db.notes_of(bob).await.unwrap();
    assert_eq!(
        (notes[0].author_name.as_str(), notes[0].text.as_str()),
        ("Sam Staff", "Leads the Sunday loop.")
    );
}

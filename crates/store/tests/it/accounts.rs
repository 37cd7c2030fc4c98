//! Contract: accounts, workspaces, memberships, sessions, tokens, resets, invitations.

use agora_core::accounts::{AccountStore, DisplayName, Email, NewInvitation, Role, Slug};
use agora_core::members::MemberStore;
use agora_core::{StoreError, Timestamp};
use agora_store::Db;

use crate::contract;

const T0: Timestamp = Timestamp(1_790_000_000_000);

fn email(raw: &str) -> Email {
    Email::parse(raw).unwrap()
}

fn name(raw: &str) -> DisplayName {
    DisplayName::parse(raw).unwrap()
}

contract!(accounts_and_memberships, accounts_and_memberships);
async fn accounts_and_memberships(db: Db) {
    let ada = db
        .create_account(&email("ada@example.org"), &name("Ada"), "hash", T0)
        .await
        .unwrap();
    let duplicate = db
        .create_account(&email("ADA@example.org"), &name("Ada 2"), "hash", T0)
        .await;
    assert!(
        matches!(duplicate, Err(StoreError::Conflict(_))),
        "{duplicate:?}"
    );
    let credentials = db
        .credentials_by_email(&email("ada@example.org"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(credentials.account, ada);
    assert_eq!(credentials.password_hash, "hash");
    assert!(
        db.credentials_by_email(&email("bob@example.org"))
            .await
            .unwrap()
            .is_none()
    );
    assert!(matches!(
        db.account_by_id(9_999).await,
        Err(StoreError::NotFound)
    ));

    let workspace = db
        .create_workspace(&Slug::parse("northwind").unwrap(), "Northwind", false, T0)
        .await
        .unwrap();
    assert_eq!(
        db.workspace_by_slug("northwind").await.unwrap(),
        Some(workspace.clone())
    );
    assert!(db.workspace_by_slug("nope").await.unwrap().is_none());
    assert!(matches!(
        db.create_workspace(&Slug::parse("northwind").unwrap(), "Again", false, T0)
            .await,
        Err(StoreError::Conflict(_))
    ));

    assert_eq!(db.role_in(ada.id, workspace.id).await.unwrap(), None);
    db.upsert_membership(ada.id, workspace.id, Role::Member, T0)
        .await
        .unwrap();
    assert_eq!(
        db.role_in(ada.id, workspace.id).await.unwrap(),
        Some(Role::Member)
    );
    db.upsert_membership(ada.id, workspace.id, Role::Marketer, T0)
        .await
        .unwrap();
    assert_eq!(
        db.role_in(ada.id, workspace.id).await.unwrap(),
        Some(Role::Marketer)
    );
    let memberships = db.memberships_of(ada.id).await.unwrap();
    assert_eq!(memberships.len(), 1);
    assert_eq!(memberships[0].role, Role::Marketer);
    assert_eq!(
        db.memberships_in(workspace.id).await.unwrap()[0].account,
        ada
    );

    // The membership made exactly one member profile, now marked staff.
    assert_eq!(db.count_members(workspace.id).await.unwrap(), 1);
    let members = db.list_members(workspace.id, None, 10).await.unwrap();
    assert!(members.items[0].is_staff);
    assert_eq!(members.items[0].name, "Ada");

    db.set_signup_open(workspace.id, true).await.unwrap();
    assert!(
        db.workspace_by_slug("northwind")
            .await
            .unwrap()
            .unwrap()
            .signup_open
    );
}

contract!(sessions_expire_and_end, sessions_expire_and_end);
async fn sessions_expire_and_end(db: Db) {
    let ada = db
        .create_account(&email("ada@example.org"), &name("Ada"), "hash", T0)
        .await
        .unwrap();
    db.create_session("digest-1", ada.id, T0, T0.plus_seconds(60))
        .await
        .unwrap();
    assert_eq!(
        db.session_account("digest-1", T0.plus_seconds(59))
            .await
            .unwrap(),
        Some(ada.clone())
    );
    assert_eq!(
        db.session_account("digest-1", T0.plus_seconds(60))
            .await
            .unwrap(),
        None,
        "expired"
    );
    assert_eq!(db.session_account("other", T0).await.unwrap(), None);
    db.delete_session("digest-1").await.unwrap();
    assert_eq!(db.session_account("digest-1", T0).await.unwrap(), None);
    db.create_session("digest-2", ada.id, T0, T0.plus_seconds(60))
        .await
        .unwrap();
    db.delete_sessions_of(ada.id).await.unwrap();
    assert_eq!(db.session_account("digest-2", T0).await.unwrap(), None);
}

contract!(api_tokens_are_revocable, api_tokens_are_revocable);
async fn api_tokens_are_revocable(db: Db) {
    let ada = db
        .create_account(&email("ada@example.org"), &name("Ada"), "hash", T0)
        .await
        .unwrap();
    let bob = db
        .create_account(&email("bob@example.org"), &name("Bob"), "hash", T0)
        .await
        .unwrap();
    let token = db
        .create_api_token(ada.id, "ci", "token-digest", "agp_abcd", T0)
        .await
        .unwrap();
    assert_eq!(token.last_used_at, None);
    assert_eq!(
        db.api_token_account("token-digest", T0.plus_seconds(5))
            .await
            .unwrap(),
        Some(ada.clone())
    );
    assert_eq!(
        db.list_api_tokens(ada.id).await.unwrap()[0].last_used_at,
        Some(T0.plus_seconds(5))
    );
    assert!(
        !db.revoke_api_token(bob.id, token.id, T0).await.unwrap(),
        "only the owner revokes"
    );
    assert!(db.revoke_api_token(ada.id, token.id, T0).await.unwrap());
    assert_eq!(
        db.api_token_account("token-digest", T0).await.unwrap(),
        None
    );
    assert!(
        !db.revoke_api_token(ada.id, token.id, T0).await.unwrap(),
        "already revoked"
    );
}

contract!(password_resets_work_once, password_resets_work_once);
async fn password_resets_work_once(db: Db) {
    let ada = db
        .create_account(&email("ada@example.org"), &name("Ada"), "hash", T0)
        .await
        .unwrap();
    db.create_password_reset("reset-1", ada.id, T0, T0.plus_seconds(3600))
        .await
        .unwrap();
    db.create_password_reset("reset-2", ada.id, T0, T0.plus_seconds(3600))
        .await
        .unwrap();
    assert_eq!(
        db.consume_password_reset("reset-1", T0.plus_seconds(10))
            .await
            .unwrap(),
        Some(ada.id)
    );
    assert_eq!(
        db.consume_password_reset("reset-1", T0.plus_seconds(11))
            .await
            .unwrap(),
        None,
        "used"
    );
    assert_eq!(
        db.consume_password_reset("reset-2", T0.plus_seconds(3600))
            .await
            .unwrap(),
        None,
        "expired"
    );
    db.set_password_hash(ada.id, "new-hash").await.unwrap();
    assert_eq!(
        db.credentials_by_email(&email("ada@example.org"))
            .await
            .unwrap()
            .unwrap()
            .password_hash,
        "new-hash"
    );
}

contract!(
    invitations_add_memberships_once,
    invitations_add_memberships_once
);
async fn invitations_add_memberships_once(db: Db) {
    let ada = db
        .create_account(&email("ada@example.org"), &name("Ada"), "hash", T0)
        .await
        .unwrap();
    let bob = db
        .create_account(&email("bob@example.org"), &name("Bob"), "hash", T0)
        .await
        .unwrap();
    let workspace = db
        .create_workspace(&Slug::parse("northwind").unwrap(), "Northwind", false, T0)
        .await
        .unwrap();
    let invitation = db
        .create_invitation(&NewInvitation {
            workspace_id: workspace.id,
            email: &email("bob@example.org"),
            role: Role::Moderator,
            digest: "invite-1",
            invited_by: ada.id,
            created_at: T0,
            expires_at: T0.plus_seconds(100),
        })
        .await
        .unwrap();
    assert_eq!(invitation.workspace_slug, "northwind");
    assert_eq!(
        db.invitation_by_digest("invite-1", T0)
            .await
            .unwrap()
            .map(|i| i.role),
        Some(Role::Moderator)
    );
    assert_eq!(
        db.invitation_by_digest("invite-1", T0.plus_seconds(100))
            .await
            .unwrap(),
        None,
        "expired"
    );
    let accepted = db
        .accept_invitation("invite-1", bob.id, T0.plus_seconds(1))
        .await
        .unwrap();
    assert!(accepted.is_some());
    assert_eq!(
        db.role_in(bob.id, workspace.id).await.unwrap(),
        Some(Role::Moderator)
    );
    assert_eq!(
        db.accept_invitation("invite-1", ada.id, T0.plus_seconds(2))
            .await
            .unwrap(),
        None,
        "used once"
    );
    assert_eq!(
        db.list_invitations(workspace.id).await.unwrap()[0].accepted_at,
        Some(T0.plus_seconds(1))
    );
}

contract!(signin_failures_are_counted, signin_failures_are_counted);
async fn signin_failures_are_counted(db: Db) {
    for second in 0..3 {
        db.record_signin_attempt("ada@example.org", false, T0.plus_seconds(second))
            .await
            .unwrap();
    }
    db.record_signin_attempt("bob@example.org", false, T0)
        .await
        .unwrap();
    assert_eq!(
        db.failed_signins_since("ada@example.org", T0.plus_seconds(-1))
            .await
            .unwrap(),
        3
    );
    assert_eq!(
        db.failed_signins_since("ada@example.org", T0.plus_seconds(1))
            .await
            .unwrap(),
        1,
        "window"
    );
    db.record_signin_attempt("ada@example.org", true, T0.plus_seconds(5))
        .await
        .unwrap();
    assert_eq!(
        db.failed_signins_since("ada@example.org", T0.plus_seconds(-1))
            .await
            .unwrap(),
        0,
        "a success resets"
    );
}

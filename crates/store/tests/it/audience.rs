//! Contract: the audience KPIs read published targets only, in the range,
//! with their campaign, and metrics only once they have been read back; a
//! member's campaign is recorded once, and only a campaign of the workspace.

use agora_core::Timestamp;
use agora_core::accounts::{AccountStore, Slug};
use agora_core::analytics::audience::AudienceStore;
use agora_core::analytics::funnel::AttributionStore;
use agora_core::desk::{DeskStore, NewCampaign, Utm};
use agora_core::members::{MemberStore, NewMember};
use agora_core::posts::{
    AttemptOutcome, AttemptResult, Engagement, NewChannel, NewPost, NewVariant, PostStore,
};
use agora_core::text_limits::Network;
use agora_store::Db;

use crate::contract;

const T0: Timestamp = Timestamp(1_790_000_000_000);

contract!(
    published_posts_carry_their_campaign_and_metrics,
    published_posts_carry_their_campaign_and_metrics
);
async fn published_posts_carry_their_campaign_and_metrics(db: Db) {
    let workspace = db
        .create_workspace(&Slug::parse("acme").unwrap(), "Acme", true, T0)
        .await
        .unwrap()
        .id;
    let author = db
        .create_member(&NewMember {
            workspace_id: workspace,
            account_id: None,
            name: "Mara Marketer".into(),
            email: None,
            joined_at: T0,
            is_staff: true,
        })
        .await
        .unwrap();
    let channel = db
        .create_channel(&NewChannel {
            workspace_id: workspace,
            network: Network::Bluesky,
            name: "@acme.example".into(),
            avatar_url: None,
            base_url: "http://127.0.0.1:1".into(),
            account: String::new(),
            timezone: "UTC".into(),
            sealed_credentials: "v1:abcd:sealed".into(),
            max_chars: 300,
            max_media: 4,
            chars_per_url: 0,
            max_image_bytes: None,
            created_at: T0,
        })
        .await
        .unwrap()
        .id;
    let campaign = db
        .create_campaign(
            &NewCampaign {
                workspace_id: workspace,
                name: "Autumn roast".into(),
                goal: String::new(),
                starts_at: None,
                ends_at: None,
                color: "#aa5500".into(),
                utm: Utm::default(),
            },
            T0,
        )
        .await
        .unwrap();

    // Published at `at` (or left scheduled), engagement read back if given.
    let publish = async |text: &str,
                         campaign_id: Option<i64>,
                         at: Timestamp,
                         published: bool,
                         engagement: Option<Engagement>| {
        let id = db
            .create_post(&NewPost {
                workspace_id: workspace,
                author_id: author,
                variants: vec![NewVariant {
                    channel_id: channel,
                    text: text.into(),
                    content_warning: None,
                    language: None,
                    visibility: None,
                    link_card: None,
                    media: Vec::new(),
                }],
                scheduled_at: Some(at),
                created_at: T0,
                campaign_id,
                hold: false,
            })
            .await
            .unwrap();
        if !published {
            return;
        }
        let target = db.post(workspace, id).await.unwrap().unwrap().targets[0].id;
        let attempt = db.begin_attempt(target, 0, at).await.unwrap().unwrap();
        db.finish_attempt(
            target,
            attempt,
            &AttemptResult {
                outcome: AttemptOutcome::Published,
                request: String::new(),
                http_status: Some(200),
                response: String::new(),
                message: None,
                remote_id: Some(format!("at://{text}")),
                remote_url: Some(format!("https://bsky.app/{text}")),
                next_attempt_at: None,
                finished_at: at,
            },
        )
        .await
        .unwrap();
        if let Some(engagement) = engagement {
            db.record_engagement(target, &engagement).await.unwrap();
        }
    };
    let engagement = Engagement {
        likes: 5,
        shares: 2,
        replies: 1,
        quotes: 0,
        impressions: None,
        reach: None,
        clicks: None,
        read_at: T0,
    };
    publish(
        "measured",
        Some(campaign),
        T0.plus_seconds(60),
        true,
        Some(engagement),
    )
    .await;
    publish("unmeasured", None, T0.plus_seconds(120), true, None).await;
    publish("scheduled", None, T0.plus_seconds(180), false, None).await;
    publish(
        "too-late",
        None,
        T0.plus_seconds(86_400),
        true,
        Some(engagement),
    )
    .await;

    let posts = db
        .published_posts(workspace, T0, T0.plus_seconds(3_600))
        .await
        .unwrap();
    assert_eq!(posts.len(), 2, "{posts:?}");
    assert_eq!(posts[0].text, "measured");
    assert_eq!(posts[0].campaign_id, Some(campaign));
    assert_eq!(posts[0].campaign_name.as_deref(), Some("Autumn roast"));
    assert_eq!(posts[0].network, Network::Bluesky);
    assert_eq!(posts[0].published_at, T0.plus_seconds(60));
    assert_eq!(
        posts[0].remote_url.as_deref(),
        Some("https://bsky.app/measured")
    );
    let metrics = posts[0].metrics.unwrap();
    assert_eq!(
        (
            metrics.likes,
            metrics.shares,
            metrics.replies,
            metrics.quotes
        ),
        (5, 2, 1, 0)
    );
    assert_eq!(metrics.impressions, None, "not reported is not zero");
    assert_eq!(metrics.engagements(), 8);
    assert_eq!(posts[1].text, "unmeasured");
    assert_eq!(posts[1].campaign_id, None);
    assert_eq!(posts[1].metrics, None);

    // A later reading where the network reports impressions and reach: the
    // report takes the latest, and every reading stays in the time series.
    let measured = posts[0].target_id;
    let later = Engagement {
        likes: 9,
        impressions: Some(400),
        reach: Some(250),
        read_at: T0.plus_seconds(86_400),
        ..engagement
    };
    db.record_engagement(measured, &later).await.unwrap();
    let posts = db
        .published_posts(workspace, T0, T0.plus_seconds(3_600))
        .await
        .unwrap();
    let metrics = posts[0].metrics.unwrap();
    assert_eq!(
        (
            metrics.likes,
            metrics.impressions,
            metrics.reach,
            metrics.clicks
        ),
        (9, Some(400), Some(250), None)
    );
    let history = db.engagement_history(measured).await.unwrap();
    assert_eq!(history, vec![engagement, later]);

    let other = db
        .create_workspace(&Slug::parse("other").unwrap(), "Other", true, T0)
        .await
        .unwrap()
        .id;
    assert!(
        db.published_posts(other, T0, T0.plus_seconds(3_600))
            .await
            .unwrap()
            .is_empty()
    );

    // Attribution: once, and only to this workspace's campaign.
    let joined = |name: &str, workspace_id| NewMember {
        workspace_id,
        account_id: None,
        name: name.into(),
        email: None,
        joined_at: T0,
        is_staff: false,
    };
    let ana = db.create_member(&joined("Ana", workspace)).await.unwrap();
    let bo = db.create_member(&joined("Bo", workspace)).await.unwrap();
    let stranger = db.create_member(&joined("Cy", other)).await.unwrap();
    let later = db
        .create_campaign(
            &NewCampaign {
                workspace_id: workspace,
                name: "Winter".into(),
                goal: String::new(),
                starts_at: None,
                ends_at: None,
                color: "#0055aa".into(),
                utm: Utm::default(),
            },
            T0,
        )
        .await
        .unwrap();
    db.attribute_member(workspace, ana, campaign).await.unwrap();
    db.attribute_member(workspace, ana, later).await.unwrap();
    db.attribute_member(other, stranger, campaign)
        .await
        .unwrap();
    let attributed = db.member_campaigns(workspace).await.unwrap();
    assert_eq!(attributed.len(), 1);
    assert_eq!(
        attributed.get(&ana),
        Some(&campaign),
        "the first attribution stays"
    );
    assert!(!attributed.contains_key(&bo));
    assert!(db.member_campaigns(other).await.unwrap().is_empty());
}

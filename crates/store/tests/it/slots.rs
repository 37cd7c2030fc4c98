//! Contract: queue slots round trip and are replaced whole, a queue pauses,
//! a channel's scheduled posts hold their instants, and the engagement
//! samples best time to post reads.

use agora_core::StoreError;
use agora_core::Timestamp;
use agora_core::accounts::{AccountStore, Slug};
use agora_core::members::{MemberStore, NewMember};
use agora_core::posts::{
    AttemptOutcome, AttemptResult, Engagement, NewChannel, NewPost, NewVariant, PostStore,
};
use agora_core::slots::{Slot, SlotStore};
use agora_core::text_limits::Network;
use agora_store::Db;

use crate::contract;

const T0: Timestamp = Timestamp(1_790_000_000_000);

struct Fixture {
    workspace: i64,
    author: i64,
    paris: i64,
    tokyo: i64,
}

async fn fixture(db: &Db) -> Fixture {
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
    let channel = |name: &str, timezone: &str| NewChannel {
        workspace_id: workspace,
        network: Network::Mastodon,
        name: name.into(),
        avatar_url: None,
        base_url: "http://127.0.0.1:1".into(),
        account: String::new(),
        timezone: timezone.into(),
        sealed_credentials: "v1:abcd:sealed".into(),
        max_chars: 500,
        max_media: 4,
        chars_per_url: 23,
        max_image_bytes: None,
        created_at: T0,
    };
    let paris = db
        .create_channel(&channel("@acme@paris", "Europe/Paris"))
        .await
        .unwrap()
        .id;
    let tokyo = db
        .create_channel(&channel("@acme@tokyo", "Asia/Tokyo"))
        .await
        .unwrap()
        .id;
    Fixture {
        workspace,
        author,
        paris,
        tokyo,
    }
}

async fn post(db: &Db, f: &Fixture, channels: &[i64], at: Option<Timestamp>) -> i64 {
    db.create_post(&NewPost {
        workspace_id: f.workspace,
        author_id: f.author,
        variants: channels
            .iter()
            .map(|channel| NewVariant {
                channel_id: *channel,
                text: "Hello".into(),
                content_warning: None,
                language: None,
                visibility: None,
                link_card: None,
                media: Vec::new(),
            })
            .collect(),
        scheduled_at: at,
        created_at: T0,
        campaign_id: None,
        hold: false,
    })
    .await
    .unwrap()
}

contract!(
    slots_round_trip_and_a_queue_pauses,
    slots_round_trip_and_a_queue_pauses
);
async fn slots_round_trip_and_a_queue_pauses(db: Db) {
    let f = fixture(&db).await;
    let queue = db.queue(f.paris).await.unwrap();
    assert_eq!(queue.timezone, "Europe/Paris");
    assert!(!queue.paused);
    assert!(queue.slots.is_empty());

    let monday = Slot::new(0, 9 * 60).unwrap();
    let friday = Slot::new(4, 17 * 60 + 30).unwrap();
    let wednesday = Slot::new(2, 12 * 60).unwrap();
    db.set_queue(f.paris, "Europe/Paris", false, &[friday, monday])
        .await
        .unwrap();
    let queue = db.queue(f.paris).await.unwrap();
    assert_eq!(queue.slots, [monday, friday], "weekday, then time");
    assert!(
        db.queue(f.tokyo).await.unwrap().slots.is_empty(),
        "per channel"
    );

    // Replaced whole; the pause and the timezone go with it.
    db.set_queue(f.paris, "America/New_York", true, &[wednesday])
        .await
        .unwrap();
    let queue = db.queue(f.paris).await.unwrap();
    assert_eq!(queue.slots, [wednesday]);
    assert!(queue.paused);
    assert_eq!(queue.timezone, "America/New_York");
    let channel = db.channel(f.workspace, f.paris).await.unwrap().unwrap();
    assert_eq!(channel.timezone, "America/New_York");
    assert!(!channel.paused, "the queue's pause is not the channel's");

    db.set_queue(f.paris, "Europe/Paris", false, &[])
        .await
        .unwrap();
    let queue = db.queue(f.paris).await.unwrap();
    assert!(queue.slots.is_empty() && !queue.paused);

    assert!(matches!(db.queue(999_999).await, Err(StoreError::NotFound)));
    assert!(matches!(
        db.set_queue(999_999, "UTC", false, &[monday]).await,
        Err(StoreError::NotFound)
    ));
    // A removed channel takes its slots along.
    db.set_queue(f.tokyo, "Asia/Tokyo", false, &[monday])
        .await
        .unwrap();
    db.delete_channel(f.tokyo).await.unwrap();
    assert!(matches!(db.queue(f.tokyo).await, Err(StoreError::NotFound)));
}

contract!(
    a_channels_posts_hold_their_instants,
    a_channels_posts_hold_their_instants
);
async fn a_channels_posts_hold_their_instants(db: Db) {
    let f = fixture(&db).await;
    let (day1, day2) = (T0.plus_seconds(86_400), T0.plus_seconds(2 * 86_400));
    let both = post(&db, &f, &[f.paris, f.tokyo], Some(day1)).await;
    post(&db, &f, &[f.tokyo], Some(day2)).await;
    post(&db, &f, &[f.paris], None).await; // a draft holds nothing
    post(&db, &f, &[f.paris], Some(T0.plus_seconds(-60))).await; // the past
    assert_eq!(db.taken_times(f.paris, T0, None).await.unwrap(), [day1]);
    assert_eq!(
        db.taken_times(f.tokyo, T0, None).await.unwrap(),
        [day1, day2]
    );
    assert_eq!(
        db.taken_times(f.tokyo, T0, Some(both)).await.unwrap(),
        [day2],
        "a post being queued does not hold its own place"
    );
    assert!(
        db.taken_times(f.paris, day1.plus_seconds(1), None)
            .await
            .unwrap()
            .is_empty()
    );
}

/// A post on both channels, published at `at`, with its engagement read back if given.
async fn publish(db: &Db, f: &Fixture, at: Timestamp, engagement: Option<Engagement>) {
    let id = post(db, f, &[f.paris, f.tokyo], Some(at)).await;
    let view = db.post(f.workspace, id).await.unwrap().unwrap();
    for target in view.targets {
        let attempt = db.begin_attempt(target.id, 0, at).await.unwrap().unwrap();
        db.finish_attempt(
            target.id,
            attempt,
            &AttemptResult {
                outcome: AttemptOutcome::Published,
                request: String::new(),
                http_status: Some(200),
                response: String::new(),
                message: None,
                remote_id: Some("1".into()),
                remote_url: None,
                next_attempt_at: None,
                finished_at: at,
            },
        )
        .await
        .unwrap();
        if let Some(engagement) = engagement {
            db.record_engagement(target.id, &engagement).await.unwrap();
        }
    }
}

contract!(
    engagement_samples_are_measured_published_posts,
    engagement_samples_are_measured_published_posts
);
async fn engagement_samples_are_measured_published_posts(db: Db) {
    let f = fixture(&db).await;
    let engagement = Engagement {
        likes: 3,
        shares: 2,
        replies: 1,
        quotes: 4,
        impressions: None,
        reach: None,
        clicks: None,
        read_at: T0,
    };
    publish(&db, &f, T0.plus_seconds(-86_400), Some(engagement)).await;
    publish(&db, &f, T0.plus_seconds(-3_600), None).await; // not measured yet
    publish(&db, &f, T0.plus_seconds(-100 * 86_400), Some(engagement)).await; // too old
    post(&db, &f, &[f.paris], Some(T0.plus_seconds(60))).await; // not out yet

    let mut samples = db
        .engagement_samples(f.workspace, T0.plus_seconds(-7 * 86_400))
        .await
        .unwrap();
    samples.sort_by_key(|s| s.channel_id);
    assert_eq!(samples.len(), 2, "{samples:?}");
    assert_eq!(samples[0].channel_id, f.paris);
    assert_eq!(samples[0].timezone, "Europe/Paris");
    assert_eq!(samples[1].timezone, "Asia/Tokyo");
    assert!(samples.iter().all(|s| s.engagement == 10));
    assert!(
        samples
            .iter()
            .all(|s| s.published_at == T0.plus_seconds(-86_400))
    );
    let other = db
        .create_workspace(&Slug::parse("other").unwrap(), "Other", true, T0)
        .await
        .unwrap()
        .id;
    assert!(
        db.engagement_samples(other, Timestamp(0))
            .await
            .unwrap()
            .is_empty()
    );
}

//! The demo's marketer's desk: two campaigns, a busy calendar for the coming
//! weeks, and posts in every approval state (the workspace asks for
//! approval; the admin approves); and a campaign of last winter, with the
//! posts that went out for it and the members who joined through its link,
//! so the funnel has something to show.

use agora_core::Timestamp;
use agora_core::analytics::funnel::AttributionStore;
use agora_core::calendar::{CalendarQuery, CalendarStore};
use agora_core::desk::NewCampaign;
use agora_core::desk::{Approval, DeskStore, Utm, apply_utm, check_campaign};
use agora_core::members::MemberStore;
use agora_core::pagination::Cursor;
use agora_core::posts::{NewPost, NewVariant, PostStore};
use agora_core::text_limits::Network;
use agora_store::Db;

const DAY: i64 = 86_400_000;
const HOUR: i64 = 3_600_000;

const TEXTS: &[&str] = &[
    "New in the shop: the Northwind gravel frame in sage green. https://northwind.example/gravel #gravel",
    "Sunday ride this week: the lighthouse loop, 55 km, coffee at the port. #sundayriders",
    "Workshop night: bring your wheel, we true it together. Thursday 19:00.",
    "Five things to check before a long ride (a thread from our mechanics). https://northwind.example/blog/checklist",
    "Member story: Ana rode 1,000 km this spring on a second-hand frame we rebuilt. https://northwind.example/stories/ana",
    "Spring sale: 15% off helmets and lights until Sunday. https://northwind.example/spring-sale #spring",
    "Question of the week: what is the one tool you always carry?",
    "Race team update: podium in Angers! Photos on the blog. https://northwind.example/blog/angers",
];

pub async fn seed(
    db: &Db,
    workspace: i64,
    marketer: i64,
    approver: Option<i64>,
    now: Timestamp,
) -> anyhow::Result<()> {
    let campaign = |name: &str, goal: &str, color: &str, utm_campaign: &str, from: i64, to: i64| {
        let day = |offset: i64| {
            now.plus_millis(offset * DAY)
                .to_datetime()
                .format("%Y-%m-%d")
                .to_string()
        };
        check_campaign(
            workspace,
            name,
            goal,
            &day(from),
            &day(to),
            color,
            Utm {
                source: "social".into(),
                medium: "organic".into(),
                campaign: utm_campaign.into(),
            },
        )
        .map_err(|errors| anyhow::anyhow!("demo campaign {name}: {errors:?}"))
    };
    let spring = db
        .create_campaign(
            &campaign(
                "Spring collection",
                "Sell 200 gravel frames",
                "#db2777",
                "spring-collection",
                -10,
                30,
            )?,
            now,
        )
        .await?;
    let season = db
        .create_campaign(
            &campaign(
                "Sunday Riders season",
                "40 new riders in the club",
                "#059669",
                "riders-season",
                -5,
                60,
            )?,
            now,
        )
        .await?;
    winter_drive(db, workspace, &campaign, now).await?;
    let campaigns = db.campaigns(workspace).await?;
    let channels = db.channels(workspace).await?;
    let social: Vec<_> = channels
        .iter()
        .filter(|c| {
            matches!(
                c.network,
                Network::Mastodon | Network::Bluesky | Network::LinkedIn | Network::X
            )
        })
        .collect();
    if social.is_empty() {
        return Ok(());
    }
    // Four weeks ahead: two or three posts a day at local office hours.
    let mut n = 0usize;
    for day in 1..=28i64 {
        for slot in 0..(2 + day % 2) {
            let hour = [9, 12, 17][slot as usize % 3];
            let at = Timestamp((now.0 / DAY + day) * DAY + (hour - 1) * HOUR);
            let text = TEXTS[n % TEXTS.len()];
            let campaign_id = match n % 3 {
                0 => Some(spring),
                1 => Some(season),
                _ => None,
            };
            let utm = campaigns
                .iter()
                .find(|c| Some(c.id) == campaign_id)
                .map(|c| c.utm.clone())
                .unwrap_or_default();
            let picked: Vec<_> = social
                .iter()
                .enumerate()
                .filter(|(i, _)| (n + i).is_multiple_of(2) || social.len() == 1)
                .map(|(_, c)| *c)
                .collect();
            let approval = match n % 9 {
                0 | 4 => Approval::Pending,
                7 => Approval::Rejected,
                _ => Approval::Approved,
            };
            let held = approval != Approval::Approved;
            let post = db
                .create_post(&NewPost {
                    workspace_id: workspace,
                    author_id: marketer,
                    variants: picked
                        .iter()
                        .map(|channel| NewVariant {
                            channel_id: channel.id,
                            text: apply_utm(text, &utm),
                            content_warning: None,
                            language: Some("en".into()),
                            visibility: None,
                            link_card: None,
                            media: Vec::new(),
                        })
                        .collect(),
                    scheduled_at: Some(at),
                    created_at: now.plus_millis(-2 * DAY),
                    campaign_id,
                    hold: held,
                })
                .await?;
            db.record_history(post, marketer, "created", "", now.plus_millis(-2 * DAY))
                .await?;
            db.record_history(
                post,
                marketer,
                "review_requested",
                "",
                now.plus_millis(-2 * DAY),
            )
            .await?;
            match (approval, approver) {
                (Approval::Approved, Some(admin)) => {
                    db.set_approval(post, Approval::Approved, false, false)
                        .await?;
                    db.record_history(post, admin, "approved", "", now.plus_millis(-DAY))
                        .await?;
                }
                (Approval::Rejected, Some(admin)) => {
                    db.set_approval(post, Approval::Rejected, true, false)
                        .await?;
                    db.record_history(
                        post,
                        admin,
                        "rejected",
                        "Please add the price and a photo of the frame.",
                        now.plus_millis(-DAY),
                    )
                    .await?;
                }
                _ => {}
            }
            n += 1;
        }
    }
    // Two drafts without a time, and the workspace asks for approval.
    for text in [
        "Draft: our autumn service menu (prices to confirm).",
        "Draft: thank-you post for the volunteers of the spring clean-up ride.",
    ] {
        db.create_post(&NewPost {
            workspace_id: workspace,
            author_id: marketer,
            variants: vec![NewVariant {
                channel_id: social[0].id,
                text: text.into(),
                content_warning: None,
                language: Some("en".into()),
                visibility: None,
                link_card: None,
                media: Vec::new(),
            }],
            scheduled_at: None,
            created_at: now.plus_millis(-DAY),
            campaign_id: None,
            hold: false,
        })
        .await?;
    }
    db.set_posts_need_approval(workspace, true).await?;
    Ok(())
}

/// "Winter club drive", 115 to 60 days ago: the measured posts of that time
/// are put in it, and every third member who joined then came through its
/// join link (`?utm_campaign=winter-drive`).
async fn winter_drive(
    db: &Db,
    workspace: i64,
    campaign: &impl Fn(&str, &str, &str, &str, i64, i64) -> anyhow::Result<NewCampaign>,
    now: Timestamp,
) -> anyhow::Result<()> {
    let (from, to) = (now.plus_millis(-115 * DAY), now.plus_millis(-60 * DAY));
    let winter = db
        .create_campaign(
            &campaign(
                "Winter club drive",
                "60 new members before spring",
                "#2563eb",
                "winter-drive",
                -115,
                -60,
            )?,
            now,
        )
        .await?;
    let posts = db
        .calendar_posts(
            workspace,
            &CalendarQuery {
                from,
                to,
                channel_id: None,
                campaign_id: None,
                status: None,
                author_id: None,
                limit: 1_000,
            },
        )
        .await?;
    for post in posts {
        db.set_post_campaign(post.id, Some(winter)).await?;
    }
    let mut after = None;
    loop {
        let page = db.list_members(workspace, after, 200).await?;
        for member in &page.items {
            let joined_then = member.joined_at >= from && member.joined_at < to;
            if joined_then && !member.is_staff && member.id % 3 == 0 {
                db.attribute_member(workspace, member.id, winter).await?;
            }
        }
        match page.next_cursor.as_deref().map(Cursor::parse) {
            Some(Ok(next)) => after = Some(next),
            _ => break,
        }
    }
    Ok(())
}

//! The demo's events: past rides with attendance, co-attendance and
//! feedback; upcoming online, in-person and hybrid events; a weekly series;
//! and one full ride with a waitlist (the demo member is going to it).

use agora_core::analytics::{InteractionKind, InteractionStore, NewInteraction};
use agora_core::community::CommunityStore;
use agora_core::events::{
    CheckInMethod, EventInput, EventStore, NewEvent, NewSeries, RsvpChoice, check_event,
    new_check_in_code, new_uid,
};
use agora_core::members::MemberId;
use agora_core::{StoreError, Timestamp};
use agora_store::Db;

const DAY: i64 = 86_400_000;

/// A wall-clock time in Paris `days` from `now` at `hour`:00.
fn paris(now: Timestamp, days: i64, hour: u32) -> String {
    let local = agora_core::posts::utc_to_local(now.plus_millis(days * DAY), "Europe/Paris");
    format!("{}T{hour:02}:00", local.get(..10).unwrap_or("2026-01-01"))
}

struct Plan {
    title: &'static str,
    description: &'static str,
    group: &'static str,
    days: i64,
    hour: u32,
    hours: u32,
    format: &'static str,
    venue: &'static str,
    address: &'static str,
    join_url: &'static str,
    capacity: &'static str,
    rrule: &'static str,
    /// How many group members answer going (past events: and check in).
    n_going: usize,
}

const PLANS: &[Plan] = &[
    Plan {
        title: "Coast loop",
        description: "62 km along the coast, regroup at every village.",
        group: "sunday-riders",
        days: -21,
        hour: 9,
        hours: 4,
        format: "offline",
        venue: "Café du Port",
        address: "1 quai de la Fosse, Nantes",
        join_url: "",
        capacity: "30",
        rrule: "",
        n_going: 24,
    },
    Plan {
        title: "Vineyard hills ride",
        description: "Hilly, 75 km, coffee stop at the halfway village.",
        group: "sunday-riders",
        days: -14,
        hour: 9,
        hours: 5,
        format: "offline",
        venue: "Place du Commerce",
        address: "Nantes",
        join_url: "",
        capacity: "25",
        rrule: "",
        n_going: 20,
    },
    Plan {
        title: "Repair clinic: wheels and spokes",
        description: "Bring a wheel; we true it together.",
        group: "repair-qa",
        days: -7,
        hour: 18,
        hours: 2,
        format: "hybrid",
        venue: "Northwind workshop",
        address: "12 rue de la Paix, Nantes",
        join_url: "https://meet.example/northwind-repair",
        capacity: "12",
        rrule: "",
        n_going: 10,
    },
    Plan {
        title: "Sunday ride to the lighthouse",
        description: "Coffee at 8:45, **wheels rolling at 9**. 55 km, flat, no one dropped.",
        group: "sunday-riders",
        days: 5,
        hour: 9,
        hours: 4,
        format: "offline",
        venue: "Café du Port",
        address: "1 quai de la Fosse, Nantes",
        join_url: "",
        capacity: "12",
        rrule: "",
        n_going: 16,
    },
    Plan {
        title: "Tubeless setup, live",
        description: "Ask anything while we seat a tubeless tyre on camera.",
        group: "repair-qa",
        days: 9,
        hour: 19,
        hours: 1,
        format: "online",
        venue: "",
        address: "",
        join_url: "https://meet.example/northwind-tubeless",
        capacity: "",
        rrule: "",
        n_going: 8,
    },
    Plan {
        title: "Spring season kickoff",
        description: "The year's plan, new routes, and the team kit. On site and streamed.",
        group: "announcements",
        days: 20,
        hour: 18,
        hours: 2,
        format: "hybrid",
        venue: "Northwind HQ",
        address: "3 boulevard Guist'hau, Nantes",
        join_url: "https://meet.example/northwind-kickoff",
        capacity: "80",
        rrule: "",
        n_going: 12,
    },
    Plan {
        title: "Tuesday evening spin",
        description: "One hour, easy pace, lights on.",
        group: "sunday-riders",
        days: 2,
        hour: 19,
        hours: 1,
        format: "offline",
        venue: "Northwind HQ",
        address: "Nantes",
        join_url: "",
        capacity: "20",
        rrule: "FREQ=WEEKLY;COUNT=12",
        n_going: 6,
    },
];

pub async fn seed(
    db: &Db,
    workspace: i64,
    workspace_slug: &str,
    organizer: MemberId,
    demo_member: Option<MemberId>,
    now: Timestamp,
) -> anyhow::Result<()> {
    for plan in PLANS {
        let Some(group) = db.space_by_slug(workspace, plan.group).await? else {
            continue;
        };
        let input = EventInput {
            title: plan.title.into(),
            description: plan.description.into(),
            timezone: "Europe/Paris".into(),
            starts_at: paris(now, plan.days, plan.hour),
            ends_at: paris(now, plan.days, plan.hour + plan.hours),
            format: plan.format.into(),
            join_url: plan.join_url.into(),
            venue: plan.venue.into(),
            address: plan.address.into(),
            capacity: plan.capacity.into(),
            rrule: plan.rrule.into(),
            ..EventInput::default()
        };
        let (details, series) = check_event(&input)
            .map_err(|errors| anyhow::anyhow!("demo event {}: {errors:?}", plan.title))?;
        let created_at = now.plus_millis((plan.days - 10).min(-1) * DAY);
        let event = NewEvent {
            workspace_id: workspace,
            group_id: group.id,
            created_by: organizer,
            uid: new_uid(workspace_slug),
            details,
        };
        let ids = match series {
            Some(series) => {
                db.create_series(
                    &NewSeries {
                        event,
                        rrule: series.rrule,
                        exdates: series.exdates,
                        occurrences: series.occurrences,
                    },
                    created_at,
                )
                .await?
                .1
            }
            None => vec![db.create_event(&event, created_at).await?],
        };
        let mut people: Vec<MemberId> = db
            .group_members(group.id)
            .await?
            .into_iter()
            .filter(|row| row.membership.active && row.membership.member_id != organizer)
            .map(|row| row.membership.member_id)
            .take(plan.n_going)
            .collect();
        if let Some(member) = demo_member
            && plan.days > 0
            && plan.days < 10
        {
            people.insert(0, member);
        }
        let answered_at = created_at.plus_millis(DAY);
        for id in ids.iter().take(2) {
            for member in &people {
                db.rsvp(
                    *id,
                    *member,
                    RsvpChoice::Going,
                    &new_check_in_code(),
                    answered_at,
                )
                .await?;
            }
        }
        if plan.days < 0 {
            attend(
                db,
                workspace,
                group.id,
                ids[0],
                &people,
                now.plus_millis(plan.days * DAY),
            )
            .await?;
        }
    }
    Ok(())
}

/// Checks most of those going in, writes attendance and co-attendance, and
/// leaves feedback.
async fn attend(
    db: &Db,
    workspace: i64,
    space: i64,
    event: i64,
    people: &[MemberId],
    at: Timestamp,
) -> Result<(), StoreError> {
    let mut present = Vec::new();
    for (n, member) in people.iter().enumerate() {
        // One in six does not show up.
        if n % 6 == 5 {
            continue;
        }
        if db.check_in(event, *member, CheckInMethod::Code, at).await? {
            present.push(*member);
        }
    }
    let mut interactions = Vec::new();
    for (n, member) in present.iter().enumerate() {
        interactions.push(NewInteraction {
            workspace_id: workspace,
            space_id: space,
            actor_id: *member,
            target_id: None,
            kind: InteractionKind::CheckIn,
            at,
            source: "native".into(),
            actor_is_staff: false,
            thread_id: None,
        });
        for other in &present[..n] {
            for (actor, target) in [(*member, *other), (*other, *member)] {
                interactions.push(NewInteraction {
                    workspace_id: workspace,
                    space_id: space,
                    actor_id: actor,
                    target_id: Some(target),
                    kind: InteractionKind::CoAttendance,
                    at,
                    source: "native".into(),
                    actor_is_staff: false,
                    thread_id: None,
                });
            }
        }
    }
    db.record_interactions(&interactions).await?;
    let comments = [
        (5, "Perfect pace, great coffee."),
        (4, "Lovely route; the last climb hurt."),
        (5, "Met three people from my street!"),
        (3, "A bit fast for me at the start."),
    ];
    for (member, (rating, comment)) in present.iter().zip(comments) {
        db.save_feedback(event, *member, rating, comment, at.plus_millis(DAY / 2))
            .await?;
    }
    Ok(())
}

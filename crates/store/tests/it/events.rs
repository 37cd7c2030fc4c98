//! Contract: events, a capacity that never over-books under concurrent RSVPs,
//! a first-come-first-served waitlist that promotes, series exceptions,
//! check-in, walk-ins, feedback and feed tokens.

use std::collections::HashSet;

use agora_core::Timestamp;
use agora_core::accounts::{AccountStore, Slug, WorkspaceId};
use agora_core::community::{CommunityStore, NewSpace, SpaceId, SpaceKind, Visibility};
use agora_core::events::{
    CheckInMethod, EventDetails, EventFormat, EventId, EventQuery, EventStore, NewEvent, NewSeries,
    RsvpChoice, RsvpState, new_check_in_code,
};
use agora_core::members::{MemberId, MemberStore, NewMember};
use agora_store::Db;

use crate::contract;

const T0: Timestamp = Timestamp(1_790_000_000_000);
const HOUR: i64 = 3_600_000;

async fn setup(db: &Db) -> (WorkspaceId, SpaceId, MemberId) {
    let workspace = db
        .create_workspace(&Slug::parse("riders").unwrap(), "Riders", true, T0)
        .await
        .unwrap()
        .id;
    let group = db
        .create_space(&NewSpace {
            workspace_id: workspace,
            kind: SpaceKind::Group,
            slug: "rides".into(),
            name: "Rides".into(),
            description: String::new(),
            network: "native".into(),
            visibility: Visibility::Public,
            rules: String::new(),
            created_at: T0,
        })
        .await
        .unwrap()
        .id;
    let organizer = member(db, workspace, "Olga Organizer").await;
    (workspace, group, organizer)
}

async fn member(db: &Db, workspace: WorkspaceId, name: &str) -> MemberId {
    db.create_member(&NewMember {
        workspace_id: workspace,
        account_id: None,
        name: name.into(),
        email: None,
        joined_at: T0,
        is_staff: false,
    })
    .await
    .unwrap()
}

fn details(capacity: Option<i64>) -> EventDetails {
    EventDetails {
        title: "Sunday ride".into(),
        description: "Meet at the café.".into(),
        timezone: "Europe/Paris".into(),
        starts_at: T0.plus_millis(48 * HOUR),
        ends_at: T0.plus_millis(51 * HOUR),
        format: EventFormat::Offline,
        join_url: None,
        venue: "Café du Port".into(),
        address: "Nantes".into(),
        capacity,
        rsvp_deadline: None,
    }
}

async fn event(db: &Db, capacity: Option<i64>) -> (WorkspaceId, SpaceId, MemberId, EventId) {
    let (workspace, group, organizer) = setup(db).await;
    let id = db
        .create_event(
            &NewEvent {
                workspace_id: workspace,
                group_id: group,
                created_by: organizer,
                uid: "ride@riders.agora".into(),
                details: details(capacity),
            },
            T0,
        )
        .await
        .unwrap();
    (workspace, group, organizer, id)
}

contract!(capacity_never_over_books, capacity_never_over_books);
async fn capacity_never_over_books(db: Db) {
    let (workspace, _, _, event) = event(&db, Some(20)).await;
    let mut members = Vec::new();
    for n in 0..200 {
        members.push(member(&db, workspace, &format!("Rider {n}")).await);
    }
    // 200 RSVPs at the same moment.
    let mut tasks = Vec::new();
    for &member in &members {
        let db = db.clone();
        tasks.push(tokio::spawn(async move {
            db.rsvp(event, member, RsvpChoice::Going, &new_check_in_code(), T0)
                .await
                .unwrap()
        }));
    }
    let mut outcomes = Vec::new();
    for task in tasks {
        outcomes.push(task.await.unwrap());
    }
    let going = outcomes
        .iter()
        .filter(|o| o.state == RsvpState::Going)
        .count();
    assert_eq!(going, 20);
    let mut positions: Vec<i64> = outcomes
        .iter()
        .filter(|o| o.state == RsvpState::Waitlisted)
        .map(|o| o.position.unwrap())
        .collect();
    positions.sort_unstable();
    assert_eq!(positions, (1..=180).collect::<Vec<_>>());

    let attendees = db.attendees(event).await.unwrap();
    assert_eq!(attendees.len(), 200);
    let stored = db.event(event).await.unwrap().unwrap();
    assert_eq!((stored.n_going, stored.n_waitlisted), (20, 180));
    // The waitlist is in order of arrival, and everyone going arrived before it.
    let waitlist: Vec<_> = attendees
        .iter()
        .filter(|r| r.state == RsvpState::Waitlisted)
        .collect();
    for (n, rsvp) in waitlist.iter().enumerate() {
        assert_eq!(rsvp.position, Some(n as i64 + 1));
    }
    let codes: HashSet<&str> = attendees.iter().map(|r| r.code.as_str()).collect();
    assert_eq!(codes.len(), 200, "every attendee has their own code");

    // One going member cancels: the first on the waitlist is promoted.
    let leaver = attendees
        .iter()
        .find(|r| r.state == RsvpState::Going)
        .unwrap()
        .member_id;
    let first_waiting = waitlist[0].member_id;
    let second_waiting = waitlist[1].member_id;
    let outcome = db
        .rsvp(event, leaver, RsvpChoice::NotGoing, "UNUSED00", T0)
        .await
        .unwrap();
    assert_eq!(outcome.state, RsvpState::NotGoing);
    assert_eq!(outcome.promoted, vec![first_waiting]);
    let promoted = db.rsvp_of(event, first_waiting).await.unwrap().unwrap();
    assert_eq!(promoted.state, RsvpState::Going);
    let next = db.rsvp_of(event, second_waiting).await.unwrap().unwrap();
    assert_eq!(next.position, Some(1));

    // Coming back puts the leaver at the end of the waitlist.
    let back = db
        .rsvp(event, leaver, RsvpChoice::Going, "UNUSED00", T0)
        .await
        .unwrap();
    assert_eq!(
        (back.state, back.position),
        (RsvpState::Waitlisted, Some(180))
    );

    // Raising the capacity promotes, in order; lowering it below those going is refused.
    let promoted = db
        .update_event(event, &details(Some(25)), T0)
        .await
        .unwrap();
    assert_eq!(promoted.len(), 5);
    assert_eq!(promoted[0], second_waiting);
    assert!(
        db.update_event(event, &details(Some(10)), T0)
            .await
            .is_err()
    );
    let stored = db.event(event).await.unwrap().unwrap();
    assert_eq!((stored.n_going, stored.n_waitlisted), (25, 175));
    assert_eq!(stored.sequence, 1);
}

contract!(answers_check_in_and_feedback, answers_check_in_and_feedback);
async fn answers_check_in_and_feedback(db: Db) {
    let (workspace, _, organizer, event) = event(&db, Some(2)).await;
    let ann = member(&db, workspace, "Ann").await;
    let bob = member(&db, workspace, "Bob").await;
    let cyd = member(&db, workspace, "Cyd").await;
    let walker = member(&db, workspace, "Walker").await;
    assert!(!db.has_gone_to_event(ann).await.unwrap());
    let first = db
        .rsvp(event, ann, RsvpChoice::Going, "ANNCODE2", T0)
        .await
        .unwrap();
    assert_eq!(
        (first.state, first.code.as_str()),
        (RsvpState::Going, "ANNCODE2")
    );
    // Answering again keeps the code and the place.
    let again = db
        .rsvp(event, ann, RsvpChoice::Going, "OTHER222", T0)
        .await
        .unwrap();
    assert_eq!((again.code.as_str(), again.changed), ("ANNCODE2", false));
    db.rsvp(event, bob, RsvpChoice::Interested, "BOBCODE2", T0)
        .await
        .unwrap();
    db.rsvp(event, cyd, RsvpChoice::Going, "CYDCODE2", T0)
        .await
        .unwrap();
    assert!(db.has_gone_to_event(ann).await.unwrap());
    assert!(db.invite(event, walker, "WALKER22", T0).await.unwrap());
    assert!(!db.invite(event, ann, "X2222222", T0).await.unwrap());

    // Check-in by code, once.
    let found = db.rsvp_by_code(event, "ANNCODE2").await.unwrap().unwrap();
    assert_eq!(found.member_id, ann);
    assert!(
        db.check_in(event, ann, CheckInMethod::Code, T0.plus_millis(48 * HOUR))
            .await
            .unwrap()
    );
    assert!(
        !db.check_in(event, ann, CheckInMethod::Code, T0.plus_millis(48 * HOUR))
            .await
            .unwrap()
    );
    // Somebody interested is not checked in; a walk-in is refused when full.
    assert!(
        !db.check_in(event, bob, CheckInMethod::Organizer, T0)
            .await
            .unwrap()
    );
    assert!(!db.walk_in(event, walker, "WALKER22", T0).await.unwrap());
    db.rsvp(event, cyd, RsvpChoice::NotGoing, "CYDCODE2", T0)
        .await
        .unwrap();
    assert!(db.walk_in(event, walker, "WALKER22", T0).await.unwrap());
    let attendees = db.attendees(event).await.unwrap();
    let walker_row = attendees.iter().find(|r| r.member_id == walker).unwrap();
    assert_eq!(walker_row.state, RsvpState::Going);
    assert_eq!(walker_row.check_in_method, Some(CheckInMethod::WalkIn));
    let stored = db.event(event).await.unwrap().unwrap();
    assert_eq!(
        (stored.n_going, stored.n_checked_in, stored.n_interested),
        (2, 2, 1)
    );

    db.save_feedback(event, ann, 5, "Great ride", T0)
        .await
        .unwrap();
    db.save_feedback(event, ann, 4, "Great ride, cold", T0)
        .await
        .unwrap();
    let feedback = db.feedback(event).await.unwrap();
    assert_eq!(feedback.len(), 1);
    assert_eq!(
        (feedback[0].rating, feedback[0].comment.as_str()),
        (4, "Great ride, cold")
    );

    // The personal feed: token by hash, revocable; the events one is going to.
    db.set_feed_token(ann, Some("hash-1"), T0).await.unwrap();
    assert_eq!(
        db.member_by_feed_token("hash-1").await.unwrap(),
        Some((workspace, ann))
    );
    db.set_feed_token(ann, Some("hash-2"), T0).await.unwrap();
    assert_eq!(db.member_by_feed_token("hash-1").await.unwrap(), None);
    assert!(db.has_feed_token(ann).await.unwrap());
    db.set_feed_token(ann, None, T0).await.unwrap();
    assert!(!db.has_feed_token(ann).await.unwrap());
    let mine = db.member_events(ann, T0).await.unwrap();
    assert_eq!(mine.len(), 1);
    assert_eq!(mine[0].1, RsvpState::Going);
    assert!(db.member_events(bob, T0).await.unwrap().is_empty());

    db.notify_event(workspace, ann, organizer, event, "moved to Sunday", T0)
        .await
        .unwrap();
    let notifications = db.notifications(ann, 10).await.unwrap();
    assert_eq!(notifications[0].event_id, Some(event));
    assert_eq!(notifications[0].thread_id, None);
}

contract!(series_and_exceptions, series_and_exceptions);
async fn series_and_exceptions(db: Db) {
    let (workspace, group, organizer) = setup(&db).await;
    let first = details(None);
    let starts: Vec<Timestamp> = (0..3)
        .map(|week| first.starts_at.plus_millis(week * 7 * 24 * HOUR))
        .collect();
    let (series, events) = db
        .create_series(
            &NewSeries {
                event: NewEvent {
                    workspace_id: workspace,
                    group_id: group,
                    created_by: organizer,
                    uid: "weekly@riders.agora".into(),
                    details: first.clone(),
                },
                rrule: "FREQ=WEEKLY;COUNT=3".into(),
                exdates: Vec::new(),
                occurrences: starts.clone(),
            },
            T0,
        )
        .await
        .unwrap();
    assert_eq!(events.len(), 3);
    let occurrences = db.series_events(series).await.unwrap();
    assert_eq!(
        occurrences
            .iter()
            .map(|e| e.details.starts_at)
            .collect::<Vec<_>>(),
        starts
    );
    assert!(occurrences.iter().all(|e| e.uid == "weekly@riders.agora"));
    assert_eq!(occurrences[1].recurrence_id, Some(starts[1]));
    db.cancel_event(events[1], T0).await.unwrap();
    db.cancel_event(events[1], T0).await.unwrap();
    let stored = db.series(series).await.unwrap().unwrap();
    assert_eq!(stored.exdates, vec![starts[1]]);
    assert_eq!(stored.sequence, 1);
    let listed = db
        .list_events(
            workspace,
            &EventQuery {
                group_id: Some(group),
                from: Some(T0),
                ..EventQuery::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(listed.len(), 2, "the cancelled occurrence is not listed");
    let with_cancelled = db
        .list_events(
            workspace,
            &EventQuery {
                include_cancelled: true,
                to: Some(starts[1].plus_millis(1)),
                ..EventQuery::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(with_cancelled.len(), 2);
    assert!(with_cancelled[1].cancelled_at.is_some());
}

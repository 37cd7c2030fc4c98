//! Events, series, RSVPs, check-in, feedback and feed tokens in SQL.
//!
//! Every change to who is going runs in one transaction whose first
//! statement bumps the event's `arrivals` counter. That write takes the
//! event's row lock on PostgreSQL and the database's write lock on SQLite
//! before anything is read, so RSVPs to one event are serialised across
//! processes, the seat count read next is exact, and the counter's value
//! orders the waitlist by arrival.

use agora_core::accounts::WorkspaceId;
use agora_core::events::{
    CheckInMethod, Event, EventDetails, EventFormat, EventId, EventQuery, EventStore, Feedback,
    NewEvent, NewSeries, Rsvp, RsvpChoice, RsvpOutcome, RsvpState, Series, SeriesId,
};
use agora_core::members::MemberId;
use agora_core::{StoreError, Timestamp};
use sqlx::any::AnyRow;

use crate::{Db, get, store_error};

const EVENT_COLUMNS: &str = "e.id, e.workspace_id, w.slug AS workspace_slug, e.group_id, s.slug AS group_slug, s.name AS group_name, \
     e.series_id, e.recurrence_id, e.uid, e.title, e.description, e.timezone, e.starts_at, e.ends_at, e.format, \
     e.join_url, e.venue, e.address, e.capacity, e.rsvp_deadline, e.created_by, e.sequence, e.cancelled_at, \
     e.created_at, e.updated_at, \
     (SELECT COUNT(*) FROM event_rsvps r WHERE r.event_id = e.id AND r.state = 'going') AS n_going, \
     (SELECT COUNT(*) FROM event_rsvps r WHERE r.event_id = e.id AND r.state = 'waitlisted') AS n_waitlisted, \
     (SELECT COUNT(*) FROM event_rsvps r WHERE r.event_id = e.id AND r.state = 'interested') AS n_interested, \
     (SELECT COUNT(*) FROM event_rsvps r WHERE r.event_id = e.id AND r.checked_in_at IS NOT NULL) AS n_checked_in";

const RSVP_COLUMNS: &str = "r.event_id, r.member_id, m.name, COALESCE(m.handle, '') AS handle, r.state, r.arrival, \
     r.code, r.responded_at, r.checked_in_at, r.check_in_method, \
     CASE WHEN r.state = 'waitlisted' THEN (SELECT COUNT(*) FROM event_rsvps w WHERE w.event_id = r.event_id \
       AND w.state = 'waitlisted' AND w.arrival <= r.arrival) END AS position";

fn event_from(row: &AnyRow) -> Result<Event, StoreError> {
    let format: String = get(row, "format")?;
    Ok(Event {
        id: get(row, "id")?,
        workspace_id: get(row, "workspace_id")?,
        workspace_slug: get(row, "workspace_slug")?,
        group_id: get(row, "group_id")?,
        group_slug: get(row, "group_slug")?,
        group_name: get(row, "group_name")?,
        series_id: get(row, "series_id")?,
        recurrence_id: get::<Option<i64>>(row, "recurrence_id")?.map(Timestamp),
        uid: get(row, "uid")?,
        details: EventDetails {
            title: get(row, "title")?,
            description: get(row, "description")?,
            timezone: get(row, "timezone")?,
            starts_at: Timestamp(get(row, "starts_at")?),
            ends_at: Timestamp(get(row, "ends_at")?),
            format: EventFormat::parse(&format)
                .ok_or_else(|| StoreError::Backend(format!("unknown event format {format}")))?,
            join_url: get(row, "join_url")?,
            venue: get(row, "venue")?,
            address: get(row, "address")?,
            capacity: get(row, "capacity")?,
            rsvp_deadline: get::<Option<i64>>(row, "rsvp_deadline")?.map(Timestamp),
        },
        created_by: get(row, "created_by")?,
        sequence: get(row, "sequence")?,
        cancelled_at: get::<Option<i64>>(row, "cancelled_at")?.map(Timestamp),
        created_at: Timestamp(get(row, "created_at")?),
        updated_at: Timestamp(get(row, "updated_at")?),
        n_going: get(row, "n_going")?,
        n_waitlisted: get(row, "n_waitlisted")?,
        n_interested: get(row, "n_interested")?,
        n_checked_in: get(row, "n_checked_in")?,
    })
}

fn rsvp_from(row: &AnyRow) -> Result<Rsvp, StoreError> {
    let state: String = get(row, "state")?;
    Ok(Rsvp {
        event_id: get(row, "event_id")?,
        member_id: get(row, "member_id")?,
        name: get(row, "name")?,
        handle: get(row, "handle")?,
        state: RsvpState::parse(&state)
            .ok_or_else(|| StoreError::Backend(format!("unknown RSVP state {state}")))?,
        position: get(row, "position")?,
        code: get(row, "code")?,
        responded_at: Timestamp(get(row, "responded_at")?),
        checked_in_at: get::<Option<i64>>(row, "checked_in_at")?.map(Timestamp),
        check_in_method: get::<Option<String>>(row, "check_in_method")?
            .as_deref()
            .and_then(CheckInMethod::parse),
    })
}

fn parse_exdates(raw: &str) -> Vec<Timestamp> {
    raw.split(',')
        .filter_map(|part| part.trim().parse::<i64>().ok())
        .map(Timestamp)
        .collect()
}

type Tx<'c> = sqlx::Transaction<'c, sqlx::Any>;

/// Takes the event's lock (see the module doc); answers (arrival number, capacity).
async fn lock_event(tx: &mut Tx<'_>, event: EventId) -> Result<(i64, Option<i64>), StoreError> {
    let row = sqlx::query(
        "UPDATE events SET arrivals = arrivals + 1 WHERE id = $1 RETURNING arrivals, capacity",
    )
    .bind(event)
    .fetch_one(&mut **tx)
    .await
    .map_err(store_error)?;
    Ok((get(&row, "arrivals")?, get(&row, "capacity")?))
}

async fn count_going(tx: &mut Tx<'_>, event: EventId) -> Result<i64, StoreError> {
    let row = sqlx::query(
        "SELECT COUNT(*) AS n FROM event_rsvps WHERE event_id = $1 AND state = 'going'",
    )
    .bind(event)
    .fetch_one(&mut **tx)
    .await
    .map_err(store_error)?;
    get(&row, "n")
}

/// Moves waitlisted members to going, first come first served, while seats are left.
async fn promote(
    tx: &mut Tx<'_>,
    event: EventId,
    capacity: Option<i64>,
    now: Timestamp,
) -> Result<Vec<MemberId>, StoreError> {
    let going = count_going(tx, event).await?;
    let free = match capacity {
        Some(capacity) => capacity - going,
        None => i64::MAX,
    };
    if free <= 0 {
        return Ok(Vec::new());
    }
    let rows = sqlx::query(
        "SELECT member_id FROM event_rsvps WHERE event_id = $1 AND state = 'waitlisted' ORDER BY arrival LIMIT $2",
    )
    .bind(event)
    .bind(free.min(100_000))
    .fetch_all(&mut **tx)
    .await
    .map_err(store_error)?;
    let mut promoted = Vec::with_capacity(rows.len());
    for row in &rows {
        let member: MemberId = get(row, "member_id")?;
        sqlx::query(
            "UPDATE event_rsvps SET state = 'going', responded_at = $3 WHERE event_id = $1 AND member_id = $2",
        )
        .bind(event)
        .bind(member)
        .bind(now.millis())
        .execute(&mut **tx)
        .await
        .map_err(store_error)?;
        promoted.push(member);
    }
    Ok(promoted)
}

async fn insert_event(
    tx: &mut Tx<'_>,
    event: &NewEvent,
    series: Option<(SeriesId, Timestamp)>,
    starts_at: Timestamp,
    ends_at: Timestamp,
    now: Timestamp,
) -> Result<EventId, StoreError> {
    let details = &event.details;
    let row = sqlx::query(
        "INSERT INTO events (workspace_id, group_id, series_id, recurrence_id, uid, title, description, timezone, \
         starts_at, ends_at, format, join_url, venue, address, capacity, rsvp_deadline, created_by, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $18) RETURNING id",
    )
    .bind(event.workspace_id)
    .bind(event.group_id)
    .bind(series.map(|(id, _)| id))
    .bind(series.map(|(_, at)| at.millis()))
    .bind(&event.uid)
    .bind(&details.title)
    .bind(&details.description)
    .bind(&details.timezone)
    .bind(starts_at.millis())
    .bind(ends_at.millis())
    .bind(details.format.as_str())
    .bind(details.join_url.as_deref())
    .bind(&details.venue)
    .bind(&details.address)
    .bind(details.capacity)
    .bind(details.rsvp_deadline.map(Timestamp::millis))
    .bind(event.created_by)
    .bind(now.millis())
    .fetch_one(&mut **tx)
    .await
    .map_err(store_error)?;
    get(&row, "id")
}

impl Db {
    async fn rsvp_row(&self, event: EventId, member: MemberId) -> Result<Option<Rsvp>, StoreError> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {RSVP_COLUMNS} FROM event_rsvps r JOIN members m ON m.id = r.member_id \
             WHERE r.event_id = $1 AND r.member_id = $2"
        )))
        .bind(event)
        .bind(member)
        .fetch_optional(self.pool())
        .await
        .map_err(store_error)?;
        row.as_ref().map(rsvp_from).transpose()
    }

    /// Many events at once, for the benchmark's group feed.
    pub async fn bulk_events(
        &self,
        event: &NewEvent,
        starts: &[Timestamp],
        now: Timestamp,
    ) -> Result<(), StoreError> {
        let _turn = self.write_turn().await;
        let mut tx = self.pool().begin().await.map_err(store_error)?;
        let duration = event.details.ends_at.0 - event.details.starts_at.0;
        for (n, start) in starts.iter().enumerate() {
            let mut one = event.clone();
            one.uid = format!("{n}-{}", event.uid);
            insert_event(
                &mut tx,
                &one,
                None,
                *start,
                start.plus_millis(duration),
                now,
            )
            .await?;
        }
        tx.commit().await.map_err(store_error)
    }
}

impl EventStore for Db {
    async fn create_event(&self, event: &NewEvent, now: Timestamp) -> Result<EventId, StoreError> {
        let _turn = self.write_turn().await;
        let mut tx = self.pool().begin().await.map_err(store_error)?;
        let id = insert_event(
            &mut tx,
            event,
            None,
            event.details.starts_at,
            event.details.ends_at,
            now,
        )
        .await?;
        tx.commit().await.map_err(store_error)?;
        Ok(id)
    }

    async fn create_series(
        &self,
        series: &NewSeries,
        now: Timestamp,
    ) -> Result<(SeriesId, Vec<EventId>), StoreError> {
        let _turn = self.write_turn().await;
        let mut tx = self.pool().begin().await.map_err(store_error)?;
        let exdates: Vec<String> = series
            .exdates
            .iter()
            .map(|at| at.millis().to_string())
            .collect();
        let row = sqlx::query(
            "INSERT INTO event_series (workspace_id, uid, rrule, timezone, first_start, exdates, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
        )
        .bind(series.event.workspace_id)
        .bind(&series.event.uid)
        .bind(&series.rrule)
        .bind(&series.event.details.timezone)
        .bind(series.event.details.starts_at.millis())
        .bind(exdates.join(","))
        .bind(now.millis())
        .fetch_one(&mut *tx)
        .await
        .map_err(store_error)?;
        let series_id: SeriesId = get(&row, "id")?;
        let duration = series.event.details.ends_at.0 - series.event.details.starts_at.0;
        let mut ids = Vec::with_capacity(series.occurrences.len());
        for start in &series.occurrences {
            ids.push(
                insert_event(
                    &mut tx,
                    &series.event,
                    Some((series_id, *start)),
                    *start,
                    start.plus_millis(duration),
                    now,
                )
                .await?,
            );
        }
        tx.commit().await.map_err(store_error)?;
        Ok((series_id, ids))
    }

    async fn event(&self, id: EventId) -> Result<Option<Event>, StoreError> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {EVENT_COLUMNS} FROM events e JOIN spaces s ON s.id = e.group_id JOIN workspaces w ON w.id = e.workspace_id WHERE e.id = $1"
        )))
        .bind(id)
        .fetch_optional(self.pool())
        .await
        .map_err(store_error)?;
        row.as_ref().map(event_from).transpose()
    }

    async fn series(&self, id: SeriesId) -> Result<Option<Series>, StoreError> {
        let row = sqlx::query(
            "SELECT id, uid, rrule, timezone, first_start, exdates, sequence FROM event_series WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(self.pool())
        .await
        .map_err(store_error)?;
        row.map(|row| {
            Ok(Series {
                id: get(&row, "id")?,
                uid: get(&row, "uid")?,
                rrule: get(&row, "rrule")?,
                timezone: get(&row, "timezone")?,
                first_start: Timestamp(get(&row, "first_start")?),
                exdates: parse_exdates(&get::<String>(&row, "exdates")?),
                sequence: get(&row, "sequence")?,
            })
        })
        .transpose()
    }

    async fn series_events(&self, id: SeriesId) -> Result<Vec<Event>, StoreError> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {EVENT_COLUMNS} FROM events e JOIN spaces s ON s.id = e.group_id JOIN workspaces w ON w.id = e.workspace_id \
             WHERE e.series_id = $1 ORDER BY e.starts_at, e.id"
        )))
        .bind(id)
        .fetch_all(self.pool())
        .await
        .map_err(store_error)?;
        rows.iter().map(event_from).collect()
    }

    async fn list_events(
        &self,
        workspace: WorkspaceId,
        query: &EventQuery,
    ) -> Result<Vec<Event>, StoreError> {
        let mut conditions = vec!["e.workspace_id = $1".to_owned()];
        let mut binds: Vec<i64> = Vec::new();
        if let Some(group) = query.group_id {
            binds.push(group);
            conditions.push(format!("e.group_id = ${}", binds.len() + 1));
        }
        if let Some(from) = query.from {
            binds.push(from.millis());
            conditions.push(format!("e.ends_at > ${}", binds.len() + 1));
        }
        if let Some(to) = query.to {
            binds.push(to.millis());
            conditions.push(format!("e.starts_at < ${}", binds.len() + 1));
        }
        if !query.include_cancelled {
            conditions.push("e.cancelled_at IS NULL".to_owned());
        }
        binds.push(if query.limit > 0 { query.limit } else { 1_000 });
        let sql = format!(
            "SELECT {EVENT_COLUMNS} FROM events e JOIN spaces s ON s.id = e.group_id JOIN workspaces w ON w.id = e.workspace_id WHERE {} \
             ORDER BY e.starts_at, e.id LIMIT ${}",
            conditions.join(" AND "),
            binds.len() + 1
        );
        let mut statement = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(workspace);
        for value in binds {
            statement = statement.bind(value);
        }
        let rows = statement
            .fetch_all(self.pool())
            .await
            .map_err(store_error)?;
        rows.iter().map(event_from).collect()
    }

    async fn update_event(
        &self,
        id: EventId,
        details: &EventDetails,
        now: Timestamp,
    ) -> Result<Vec<MemberId>, StoreError> {
        let _turn = self.write_turn().await;
        let mut tx = self.pool().begin().await.map_err(store_error)?;
        lock_event(&mut tx, id).await?;
        let going = count_going(&mut tx, id).await?;
        if let Some(capacity) = details.capacity
            && capacity < going
        {
            return Err(StoreError::Conflict(format!(
                "{going} members are already going: the capacity cannot be lower"
            )));
        }
        sqlx::query(
            "UPDATE events SET title = $2, description = $3, timezone = $4, starts_at = $5, ends_at = $6, format = $7, \
             join_url = $8, venue = $9, address = $10, capacity = $11, rsvp_deadline = $12, sequence = sequence + 1, \
             updated_at = $13 WHERE id = $1",
        )
        .bind(id)
        .bind(&details.title)
        .bind(&details.description)
        .bind(&details.timezone)
        .bind(details.starts_at.millis())
        .bind(details.ends_at.millis())
        .bind(details.format.as_str())
        .bind(details.join_url.as_deref())
        .bind(&details.venue)
        .bind(&details.address)
        .bind(details.capacity)
        .bind(details.rsvp_deadline.map(Timestamp::millis))
        .bind(now.millis())
        .execute(&mut *tx)
        .await
        .map_err(store_error)?;
        let promoted = promote(&mut tx, id, details.capacity, now).await?;
        tx.commit().await.map_err(store_error)?;
        Ok(promoted)
    }

    async fn cancel_event(&self, id: EventId, now: Timestamp) -> Result<(), StoreError> {
        let _turn = self.write_turn().await;
        let mut tx = self.pool().begin().await.map_err(store_error)?;
        let row = sqlx::query(
            "UPDATE events SET cancelled_at = $2, sequence = sequence + 1, updated_at = $2 \
             WHERE id = $1 AND cancelled_at IS NULL RETURNING series_id, recurrence_id",
        )
        .bind(id)
        .bind(now.millis())
        .fetch_optional(&mut *tx)
        .await
        .map_err(store_error)?;
        if let Some(row) = row
            && let (Some(series), Some(recurrence)) = (
                get::<Option<i64>>(&row, "series_id")?,
                get::<Option<i64>>(&row, "recurrence_id")?,
            )
        {
            sqlx::query(
                "UPDATE event_series SET exdates = CASE WHEN exdates = '' THEN $2 ELSE exdates || ',' || $2 END, \
                 sequence = sequence + 1 WHERE id = $1",
            )
            .bind(series)
            .bind(recurrence.to_string())
            .execute(&mut *tx)
            .await
            .map_err(store_error)?;
        }
        tx.commit().await.map_err(store_error)
    }

    async fn rsvp(
        &self,
        event: EventId,
        member: MemberId,
        choice: RsvpChoice,
        code: &str,
        now: Timestamp,
    ) -> Result<RsvpOutcome, StoreError> {
        let _turn = self.write_turn().await;
        let mut tx = self.pool().begin().await.map_err(store_error)?;
        let (arrival, capacity) = lock_event(&mut tx, event).await?;
        let current = sqlx::query(
            "SELECT state, arrival FROM event_rsvps WHERE event_id = $1 AND member_id = $2",
        )
        .bind(event)
        .bind(member)
        .fetch_optional(&mut *tx)
        .await
        .map_err(store_error)?;
        let current: Option<(RsvpState, i64)> = match current {
            Some(row) => {
                let state: String = get(&row, "state")?;
                let kept: i64 = get(&row, "arrival")?;
                RsvpState::parse(&state).map(|state| (state, kept))
            }
            None => None,
        };
        let state = match (choice, current.map(|(state, _)| state)) {
            (RsvpChoice::Going, Some(state @ (RsvpState::Going | RsvpState::Waitlisted))) => state,
            (RsvpChoice::Going, _) => {
                let going = count_going(&mut tx, event).await?;
                if capacity.is_none_or(|capacity| going < capacity) {
                    RsvpState::Going
                } else {
                    RsvpState::Waitlisted
                }
            }
            (other, _) => other.state(),
        };
        let changed = current.map(|(state, _)| state) != Some(state);
        let my_arrival = match current {
            Some((_, kept)) if !changed => kept,
            _ => arrival,
        };
        sqlx::query(
            "INSERT INTO event_rsvps (event_id, member_id, state, arrival, code, responded_at) VALUES ($1, $2, $3, $4, $5, $6) \
             ON CONFLICT (event_id, member_id) DO UPDATE SET state = excluded.state, arrival = excluded.arrival, \
             responded_at = excluded.responded_at",
        )
        .bind(event)
        .bind(member)
        .bind(state.as_str())
        .bind(my_arrival)
        .bind(code)
        .bind(now.millis())
        .execute(&mut *tx)
        .await
        .map_err(store_error)?;
        let promoted = if current.map(|(state, _)| state) == Some(RsvpState::Going) && changed {
            promote(&mut tx, event, capacity, now).await?
        } else {
            Vec::new()
        };
        let row = sqlx::query(
            "SELECT r.code, CASE WHEN r.state = 'waitlisted' THEN (SELECT COUNT(*) FROM event_rsvps w WHERE w.event_id = r.event_id \
             AND w.state = 'waitlisted' AND w.arrival <= r.arrival) END AS position FROM event_rsvps r \
             WHERE r.event_id = $1 AND r.member_id = $2",
        )
        .bind(event)
        .bind(member)
        .fetch_one(&mut *tx)
        .await
        .map_err(store_error)?;
        let outcome = RsvpOutcome {
            state,
            position: get(&row, "position")?,
            code: get(&row, "code")?,
            promoted,
            changed,
        };
        tx.commit().await.map_err(store_error)?;
        Ok(outcome)
    }

    async fn invite(
        &self,
        event: EventId,
        member: MemberId,
        code: &str,
        now: Timestamp,
    ) -> Result<bool, StoreError> {
        let result = sqlx::query(
            "INSERT INTO event_rsvps (event_id, member_id, state, arrival, code, responded_at) VALUES ($1, $2, 'invited', 0, $3, $4) \
             ON CONFLICT (event_id, member_id) DO NOTHING",
        )
        .bind(event)
        .bind(member)
        .bind(code)
        .bind(now.millis())
        .execute(self.pool())
        .await
        .map_err(store_error)?;
        Ok(result.rows_affected() == 1)
    }

    async fn rsvp_of(&self, event: EventId, member: MemberId) -> Result<Option<Rsvp>, StoreError> {
        self.rsvp_row(event, member).await
    }

    async fn attendees(&self, event: EventId) -> Result<Vec<Rsvp>, StoreError> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {RSVP_COLUMNS} FROM event_rsvps r JOIN members m ON m.id = r.member_id WHERE r.event_id = $1 \
             ORDER BY CASE r.state WHEN 'going' THEN 0 WHEN 'waitlisted' THEN 1 WHEN 'interested' THEN 2 \
             WHEN 'invited' THEN 3 ELSE 4 END, r.arrival, r.member_id"
        )))
        .bind(event)
        .fetch_all(self.pool())
        .await
        .map_err(store_error)?;
        rows.iter().map(rsvp_from).collect()
    }

    async fn rsvp_by_code(&self, event: EventId, code: &str) -> Result<Option<Rsvp>, StoreError> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {RSVP_COLUMNS} FROM event_rsvps r JOIN members m ON m.id = r.member_id \
             WHERE r.event_id = $1 AND r.code = $2"
        )))
        .bind(event)
        .bind(code)
        .fetch_optional(self.pool())
        .await
        .map_err(store_error)?;
        row.as_ref().map(rsvp_from).transpose()
    }

    async fn check_in(
        &self,
        event: EventId,
        member: MemberId,
        method: CheckInMethod,
        now: Timestamp,
    ) -> Result<bool, StoreError> {
        let result = sqlx::query(
            "UPDATE event_rsvps SET checked_in_at = $3, check_in_method = $4 \
             WHERE event_id = $1 AND member_id = $2 AND state = 'going' AND checked_in_at IS NULL",
        )
        .bind(event)
        .bind(member)
        .bind(now.millis())
        .bind(method.as_str())
        .execute(self.pool())
        .await
        .map_err(store_error)?;
        Ok(result.rows_affected() == 1)
    }

    async fn walk_in(
        &self,
        event: EventId,
        member: MemberId,
        code: &str,
        now: Timestamp,
    ) -> Result<bool, StoreError> {
        let _turn = self.write_turn().await;
        let mut tx = self.pool().begin().await.map_err(store_error)?;
        let (arrival, capacity) = lock_event(&mut tx, event).await?;
        let current =
            sqlx::query("SELECT state FROM event_rsvps WHERE event_id = $1 AND member_id = $2")
                .bind(event)
                .bind(member)
                .fetch_optional(&mut *tx)
                .await
                .map_err(store_error)?;
        let already_going = match &current {
            Some(row) => get::<String>(row, "state")? == "going",
            None => false,
        };
        if !already_going {
            let going = count_going(&mut tx, event).await?;
            if capacity.is_some_and(|capacity| going >= capacity) {
                return Ok(false);
            }
        }
        sqlx::query(
            "INSERT INTO event_rsvps (event_id, member_id, state, arrival, code, responded_at, checked_in_at, check_in_method) \
             VALUES ($1, $2, 'going', $3, $4, $5, $5, $6) \
             ON CONFLICT (event_id, member_id) DO UPDATE SET state = 'going', \
             checked_in_at = COALESCE(event_rsvps.checked_in_at, excluded.checked_in_at), \
             check_in_method = COALESCE(event_rsvps.check_in_method, excluded.check_in_method)",
        )
        .bind(event)
        .bind(member)
        .bind(arrival)
        .bind(code)
        .bind(now.millis())
        .bind(if already_going {
            CheckInMethod::Organizer.as_str()
        } else {
            CheckInMethod::WalkIn.as_str()
        })
        .execute(&mut *tx)
        .await
        .map_err(store_error)?;
        tx.commit().await.map_err(store_error)?;
        Ok(true)
    }

    async fn save_feedback(
        &self,
        event: EventId,
        member: MemberId,
        rating: i64,
        comment: &str,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO event_feedback (event_id, member_id, rating, comment, created_at) VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (event_id, member_id) DO UPDATE SET rating = excluded.rating, comment = excluded.comment, \
             created_at = excluded.created_at",
        )
        .bind(event)
        .bind(member)
        .bind(rating)
        .bind(comment)
        .bind(now.millis())
        .execute(self.pool())
        .await
        .map_err(store_error)?;
        Ok(())
    }

    async fn feedback(&self, event: EventId) -> Result<Vec<Feedback>, StoreError> {
        let rows = sqlx::query(
            "SELECT f.member_id, m.name, f.rating, f.comment, f.created_at FROM event_feedback f \
             JOIN members m ON m.id = f.member_id WHERE f.event_id = $1 ORDER BY f.created_at DESC",
        )
        .bind(event)
        .fetch_all(self.pool())
        .await
        .map_err(store_error)?;
        rows.iter()
            .map(|row| {
                Ok(Feedback {
                    member_id: get(row, "member_id")?,
                    name: get(row, "name")?,
                    rating: get(row, "rating")?,
                    comment: get(row, "comment")?,
                    created_at: Timestamp(get(row, "created_at")?),
                })
            })
            .collect()
    }

    async fn member_events(
        &self,
        member: MemberId,
        from: Timestamp,
    ) -> Result<Vec<(Event, RsvpState)>, StoreError> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {EVENT_COLUMNS}, rr.state AS rsvp_state FROM event_rsvps rr JOIN events e ON e.id = rr.event_id \
             JOIN spaces s ON s.id = e.group_id JOIN workspaces w ON w.id = e.workspace_id WHERE rr.member_id = $1 AND rr.state IN ('going', 'waitlisted') \
             AND e.ends_at > $2 ORDER BY e.starts_at, e.id LIMIT 1000"
        )))
        .bind(member)
        .bind(from.millis())
        .fetch_all(self.pool())
        .await
        .map_err(store_error)?;
        rows.iter()
            .map(|row| {
                let state: String = get(row, "rsvp_state")?;
                Ok((
                    event_from(row)?,
                    RsvpState::parse(&state).unwrap_or(RsvpState::Going),
                ))
            })
            .collect()
    }

    async fn has_gone_to_event(&self, member: MemberId) -> Result<bool, StoreError> {
        let row = sqlx::query(
            "SELECT COUNT(*) AS n FROM event_rsvps WHERE member_id = $1 AND state = 'going'",
        )
        .bind(member)
        .fetch_one(self.pool())
        .await
        .map_err(store_error)?;
        Ok(get::<i64>(&row, "n")? > 0)
    }

    async fn set_feed_token(
        &self,
        member: MemberId,
        token_hash: Option<&str>,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        let _turn = self.write_turn().await;
        let mut tx = self.pool().begin().await.map_err(store_error)?;
        sqlx::query("DELETE FROM event_feed_tokens WHERE member_id = $1")
            .bind(member)
            .execute(&mut *tx)
            .await
            .map_err(store_error)?;
        if let Some(hash) = token_hash {
            sqlx::query(
                "INSERT INTO event_feed_tokens (member_id, token_hash, created_at) VALUES ($1, $2, $3)",
            )
            .bind(member)
            .bind(hash)
            .bind(now.millis())
            .execute(&mut *tx)
            .await
            .map_err(store_error)?;
        }
        tx.commit().await.map_err(store_error)
    }

    async fn has_feed_token(&self, member: MemberId) -> Result<bool, StoreError> {
        let row = sqlx::query("SELECT COUNT(*) AS n FROM event_feed_tokens WHERE member_id = $1")
            .bind(member)
            .fetch_one(self.pool())
            .await
            .map_err(store_error)?;
        Ok(get::<i64>(&row, "n")? > 0)
    }

    async fn member_by_feed_token(
        &self,
        token_hash: &str,
    ) -> Result<Option<(WorkspaceId, MemberId)>, StoreError> {
        let row = sqlx::query(
            "SELECT m.workspace_id, m.id FROM event_feed_tokens t JOIN members m ON m.id = t.member_id \
             WHERE t.token_hash = $1",
        )
        .bind(token_hash)
        .fetch_optional(self.pool())
        .await
        .map_err(store_error)?;
        row.map(|row| Ok((get(&row, "workspace_id")?, get(&row, "id")?)))
            .transpose()
    }

    async fn notify_event(
        &self,
        workspace: WorkspaceId,
        member: MemberId,
        actor: MemberId,
        event: EventId,
        text: &str,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO notifications (workspace_id, member_id, kind, actor_id, event_id, text, created_at) \
             VALUES ($1, $2, 'event', $3, $4, $5, $6)",
        )
        .bind(workspace)
        .bind(member)
        .bind(actor)
        .bind(event)
        .bind(text)
        .bind(now.millis())
        .execute(self.pool())
        .await
        .map_err(store_error)?;
        Ok(())
    }
}

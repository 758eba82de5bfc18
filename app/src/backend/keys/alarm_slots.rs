//! Bounds on the alarms one instance writes: at most a share per key and
//! period ([`ALARMS_PER_MINUTE`] per decoy and minute; one `key.rate_limited`
//! per key and hour), decided in memory before any database work (a flood
//! costs nothing beyond its answers), and at most [`IN_FLIGHT_MAX`] written
//! at once. The database keeps the bound across instances
//! (`services::decoys`, `services::rate_limited`).
use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};
use sea_orm::sea_query::LockType;
use sea_orm::{ColumnTrait, DbErr, EntityTrait, PaginatorTrait, QueryFilter, QuerySelect};

use crate::backend::audit::Action;
use crate::backend::entities::{api_key, audit_event};
use crate::backend::unit_of_work::Work;

/// Alarms recorded per decoy and minute.
pub const ALARMS_PER_MINUTE: u64 = 60;
/// Alarm writes in flight at once.
pub const IN_FLIGHT_MAX: usize = 8;
/// Decoys remembered before the minutes past are forgotten.
const REMEMBERED: usize = 10_000;

#[derive(Clone, Default)]
pub struct AlarmSlots {
    in_flight: Arc<AtomicUsize>,
    /// Per key: the period (minute or hour since the epoch) and the alarms
    /// taken in it.
    minutes: Arc<Mutex<HashMap<i64, (i64, u64)>>>,
}

/// One alarm write in flight; freed however the write ends.
pub struct Slot(Arc<AtomicUsize>);

impl AlarmSlots {
    /// A slot for an alarm of `key` in `period`, unless the key had its
    /// `share` of this period or every slot is taken.
    pub fn take(&self, key: i64, period: i64, share: u64) -> Option<Slot> {
        let mut minutes = self
            .minutes
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if minutes.len() >= REMEMBERED {
            minutes.retain(|_, (m, _)| *m == period);
        }
        let entry = minutes.entry(key).or_insert((period, 0));
        if entry.0 != period {
            *entry = (period, 0);
        }
        if entry.1 >= share {
            return None;
        }
        // Only an alarm that gets a slot counts against the decoy's share.
        if self.in_flight.fetch_add(1, Ordering::AcqRel) < IN_FLIGHT_MAX {
            entry.1 += 1;
            Some(Slot(self.in_flight.clone()))
        } else {
            self.in_flight.fetch_sub(1, Ordering::AcqRel);
            None
        }
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

/// The database's half of the bound: under the key's row lock (PostgreSQL;
/// SQLite lets one writer in at a time anyway), how many `action` rows the
/// key has had since `since`, so alarms written at once never pass it;
/// `None` when the key is gone.
pub async fn written_since(
    work: &Work,
    key_id: i64,
    action: Action,
    since: DateTime<Utc>,
) -> Result<Option<u64>, DbErr> {
    let exists = api_key::Entity::find_by_id(key_id)
        .lock(LockType::NoKeyUpdate)
        .one(work)
        .await?
        .is_some();
    if !exists {
        return Ok(None);
    }
    let rows = audit_event::Entity::find()
        .filter(audit_event::Column::Action.eq(action.as_str()))
        .filter(audit_event::Column::Target.eq(format!("key:{key_id}")))
        .filter(audit_event::Column::CreatedAt.gt(since))
        .count(work)
        .await?;
    Ok(Some(rows))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_are_bounded_and_come_back() {
        let slots = AlarmSlots::default();
        let taken: Vec<Slot> = (0..IN_FLIGHT_MAX as i64)
            .filter_map(|d| slots.take(d, 1, ALARMS_PER_MINUTE))
            .collect();
        assert_eq!(taken.len(), IN_FLIGHT_MAX);
        assert!(slots.take(100, 1, ALARMS_PER_MINUTE).is_none(), "full");
        assert!(
            slots.take(101, 1, ALARMS_PER_MINUTE).is_none(),
            "a refusal frees nothing it did not take"
        );
        drop(taken);
        let again: Vec<Slot> = (0..IN_FLIGHT_MAX as i64 + 3)
            .filter_map(|d| slots.take(200 + d, 1, ALARMS_PER_MINUTE))
            .collect();
        assert_eq!(again.len(), IN_FLIGHT_MAX);
    }

    #[test]
    fn one_decoy_gets_its_share_of_a_minute_and_no_more() {
        let slots = AlarmSlots::default();
        let mut alarms = 0;
        for _ in 0..ALARMS_PER_MINUTE + 20 {
            if slots.take(7, 5, ALARMS_PER_MINUTE).is_some() {
                alarms += 1;
            }
        }
        assert_eq!(alarms, ALARMS_PER_MINUTE);
        assert!(
            slots.take(8, 5, ALARMS_PER_MINUTE).is_some(),
            "another decoy is not held up"
        );
        assert!(
            slots.take(7, 6, ALARMS_PER_MINUTE).is_some(),
            "the next minute starts afresh"
        );
    }
}

//! A bound on the decoy alarms being written at once (per instance): a flood
//! of decoy uses writes a few alarms at a time and logs the rest, instead of
//! queueing a write per request.
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Alarm writes in flight at once.
pub const IN_FLIGHT_MAX: usize = 8;

#[derive(Clone, Default)]
pub struct AlarmSlots(Arc<AtomicUsize>);

/// One alarm write in flight; freed however the write ends.
pub struct Slot(Arc<AtomicUsize>);

impl AlarmSlots {
    pub fn take(&self) -> Option<Slot> {
        if self.0.fetch_add(1, Ordering::AcqRel) < IN_FLIGHT_MAX {
            Some(Slot(self.0.clone()))
        } else {
            self.0.fetch_sub(1, Ordering::AcqRel);
            None
        }
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_are_bounded_and_come_back() {
        let slots = AlarmSlots::default();
        let taken: Vec<Slot> = (0..IN_FLIGHT_MAX).filter_map(|_| slots.take()).collect();
        assert_eq!(taken.len(), IN_FLIGHT_MAX);
        assert!(slots.take().is_none(), "full");
        assert!(
            slots.take().is_none(),
            "a refusal frees nothing it did not take"
        );
        drop(taken);
        let again: Vec<Slot> = (0..IN_FLIGHT_MAX + 3)
            .filter_map(|_| slots.take())
            .collect();
        assert_eq!(again.len(), IN_FLIGHT_MAX);
    }
}

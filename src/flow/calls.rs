//! The call table: live calls in a slab, found by id through an index, and
//! the timer ids that point back into it.
//!
//! A [`TimerId`] is `slot << 32 | n`, where `n` counts the timers ever armed
//! in that slot (and survives the slot's reuse). So `on_timer` finds its call
//! without a second map, and an id handed out for an earlier call or an
//! earlier timer can never match the timer armed now. Knows nothing of
//! states or protocol.

use std::collections::HashMap;

use super::call::Call;
use super::types::TimerId;

/// A slab index.
pub(crate) type Slot = u32;

#[derive(Default)]
struct Entry {
    /// Timers armed in this slot so far (never reset).
    timers: u32,
    call: Option<Call>,
}

#[derive(Default)]
pub(crate) struct Calls {
    entries: Vec<Entry>,
    free: Vec<Slot>,
    index: HashMap<Box<str>, Slot>,
}

impl Calls {
    pub(crate) fn len(&self) -> usize {
        self.index.len()
    }

    pub(crate) fn find(&self, id: &str) -> Option<Slot> {
        self.index.get(id).copied()
    }

    pub(crate) fn get(&self, slot: Slot) -> Option<&Call> {
        self.entries.get(slot as usize)?.call.as_ref()
    }

    pub(crate) fn get_mut(&mut self, slot: Slot) -> Option<&mut Call> {
        self.entries.get_mut(slot as usize)?.call.as_mut()
    }

    /// Adds a call whose id is not in the table yet.
    pub(crate) fn insert(&mut self, call: Call) -> Slot {
        let key: Box<str> = call.id.as_str().into();
        let slot = match self.free.pop() {
            Some(slot) => slot,
            None => {
                self.entries.push(Entry::default());
                // More than 2^32 simultaneous calls cannot fit in memory.
                Slot::try_from(self.entries.len() - 1).unwrap_or(Slot::MAX)
            }
        };
        if let Some(entry) = self.entries.get_mut(slot as usize) {
            entry.call = Some(call);
        }
        self.index.insert(key, slot);
        slot
    }

    pub(crate) fn remove(&mut self, slot: Slot) -> Option<Call> {
        let call = self.entries.get_mut(slot as usize)?.call.take()?;
        self.index.remove(call.id.as_str());
        self.free.push(slot);
        Some(call)
    }

    /// A fresh timer id for the call in `slot`.
    pub(crate) fn new_timer(&mut self, slot: Slot) -> TimerId {
        let n = match self.entries.get_mut(slot as usize) {
            Some(entry) => {
                entry.timers = entry.timers.wrapping_add(1);
                entry.timers
            }
            None => 0,
        };
        TimerId(u64::from(slot) << 32 | u64::from(n))
    }

    /// The slot a timer id was handed out for.
    pub(crate) fn timer_slot(timer: TimerId) -> Slot {
        (timer.0 >> 32) as Slot
    }

    /// Slots of all live calls, in slot order (deterministic, unlike the
    /// index), for inputs that touch every call.
    pub(crate) fn slots(&self) -> Vec<Slot> {
        self.entries
            .iter()
            .enumerate()
            .filter(|(_, e)| e.call.is_some())
            .filter_map(|(i, _)| Slot::try_from(i).ok())
            .collect()
    }
}

//! Flow machine figures: events per second through `ivrconf::flow` for
//! full consult conferences with 1,000, 10,000 and 100,000 calls live at
//! once (the workload of benches/common/flow_script.rs), one core, no I/O.
//! Each size runs until about 2 million events were timed; the figure is
//! the median run's time per event.

use std::time::Instant;

use crate::flow_script::{consult_conferences, Script};
use crate::report::{per_sec, target, Row};
use crate::timing::median;

/// Median ns per event for `n` live calls.
fn ns_per_event(n: usize, events_to_time: usize) -> f64 {
    let s = Script::new(n);
    consult_conferences(&s); // warm-up
    let runs = (events_to_time / s.events()).max(5);
    let mut per_event: Vec<f64> = (0..runs)
        .map(|_| {
            let t = Instant::now();
            consult_conferences(&s);
            t.elapsed().as_nanos() as f64 / s.events() as f64
        })
        .collect();
    median(&mut per_event)
}

/// `sizes`: the small, the middle and the large number of live calls.
pub fn rows(sizes: [usize; 3], events_to_time: usize) -> Vec<Row> {
    let [small, mid, big] = sizes;
    let t_small = ns_per_event(small, events_to_time);
    let t_mid = ns_per_event(mid, events_to_time);
    let t_big = ns_per_event(big, events_to_time);
    let rate = |t: f64| per_sec(1e9 / t);
    let section = "Flow machine";
    vec![
        Row::new(
            section,
            format!("events/s, {small} live calls"),
            rate(t_small),
        ),
        Row::new(section, format!("events/s, {mid} live calls"), rate(t_mid))
            .target(target(">= 5 M events/s", 1e9 / t_mid >= 5e6)),
        Row::new(section, format!("events/s, {big} live calls"), rate(t_big))
            .beside(format!("same, {small} live calls"), rate(t_small))
            .target(target(
                format!("<= 1.2x the per-event cost at {small}"),
                t_big <= 1.2 * t_small,
            )),
    ]
}

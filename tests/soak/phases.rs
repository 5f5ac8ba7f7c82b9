//! The fault phases the soak cycles through: each is a set of simulator
//! keys applied after a `reset`, plus an optional action repeated during the
//! phase. Together they cover every fault the simulator offers.
//!
//! Data only; `soak.rs` applies them.

/// One phase.
pub struct FaultPhase {
    pub name: &'static str,
    pub keys: &'static [(&'static str, &'static str)],
    /// Simulator action key set every `every` of the phase (`close_connections`).
    pub repeat: Option<(&'static str, f64)>,
}

const fn phase(name: &'static str, keys: &'static [(&'static str, &'static str)]) -> FaultPhase {
    FaultPhase {
        name,
        keys,
        repeat: None,
    }
}

/// Every phase, in the order they run.
pub const PHASES: &[FaultPhase] = &[
    phase("canonical", &[]),
    phase("duplicates", &[("duplicate_events", "0.5")]),
    phase(
        "swapped+omitted",
        &[("swap_held_dialing", "1"), ("omit_optional", "0.5")],
    ),
    phase("spellings", &[("spelling", "random")]),
    phase("split-writes", &[("split_writes", "true")]),
    phase(
        "coalesced+keepalives",
        &[("coalesce", "true"), ("interleave_keepalive", "true")],
    ),
    phase("stray-call-ids", &[("unknown_call_events", "0.5")]),
    phase(
        "slow-responses",
        &[("response_delay_ms", "60"), ("slow_ms", "150")],
    ),
    FaultPhase {
        name: "dropped-links",
        keys: &[("drop_after_frames", "600")],
        repeat: Some(("close_connections", 0.4)),
    },
    FaultPhase {
        name: "calls-survive-drops",
        keys: &[
            ("drop_forgets_calls", "false"),
            ("drop_after_frames", "600"),
        ],
        repeat: Some(("close_connections", 0.4)),
    },
    phase(
        "drop-at-complete",
        &[("drop_at", "CompleteXfer"), ("keepalive_interval_ms", "50")],
    ),
    phase("caller-hangups", &[("caller_hangup_ms", "120")]),
    phase(
        "server-ends",
        &[
            ("end_after_xfer", "endcall"),
            ("end_after_xfer_ms", "20"),
            ("hangup_ms", "30"),
            ("tlib_err_code", ""),
        ],
    ),
    phase(
        "released-after-xfer",
        &[("end_after_xfer", "released"), ("echo_req_id", "false")],
    ),
    phase(
        "everything",
        &[
            ("duplicate_events", "0.2"),
            ("swap_held_dialing", "0.5"),
            ("omit_optional", "0.3"),
            ("spelling", "random"),
            ("coalesce", "true"),
            ("unknown_call_events", "0.2"),
            ("response_delay_ms", "15"),
            ("caller_hangup_ms", "400"),
            ("drop_after_frames", "3000"),
            ("end_after_xfer", "endcall"),
        ],
    ),
];

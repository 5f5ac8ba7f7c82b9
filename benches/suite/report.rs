//! The suite's one table: each figure beside its floor or peer, the ratio,
//! the target and whether it is met; printed as Markdown and written as
//! JSON (`build/bench.json`).
//!
//! The ratio is always our cost over the reference's (time per operation,
//! bytes, allocations; for a rate, the reference's rate over ours), so below
//! 1 means cheaper than the reference.

use std::fmt::Write as _;

use serde_json::{json, Value};

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Unit {
    /// Nanoseconds per operation.
    Ns,
    /// Operations per second.
    PerSec,
    Bytes,
    /// A plain count (allocations per event).
    Count,
}

impl Unit {
    fn name(self) -> &'static str {
        match self {
            Unit::Ns => "ns",
            Unit::PerSec => "per_s",
            Unit::Bytes => "bytes",
            Unit::Count => "count",
        }
    }
}

#[derive(Clone, Copy, Debug)]
pub struct Figure {
    pub value: f64,
    pub unit: Unit,
}

pub fn ns(value: f64) -> Figure {
    Figure {
        value,
        unit: Unit::Ns,
    }
}
pub fn per_sec(value: f64) -> Figure {
    Figure {
        value,
        unit: Unit::PerSec,
    }
}
pub fn bytes(value: f64) -> Figure {
    Figure {
        value,
        unit: Unit::Bytes,
    }
}
pub fn count(value: f64) -> Figure {
    Figure {
        value,
        unit: Unit::Count,
    }
}

impl std::fmt::Display for Figure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let v = self.value;
        if !v.is_finite() {
            return f.write_str("n/a");
        }
        match self.unit {
            Unit::Ns if v >= 1e6 => write!(f, "{:.2} ms", v / 1e6),
            Unit::Ns if v >= 1e4 => write!(f, "{:.0} µs", v / 1e3),
            Unit::Ns if v >= 1e3 => write!(f, "{:.2} µs", v / 1e3),
            Unit::Ns => write!(f, "{v:.0} ns"),
            Unit::PerSec if v >= 1e6 => write!(f, "{:.2} M/s", v / 1e6),
            Unit::PerSec if v >= 1e3 => write!(f, "{:.1} k/s", v / 1e3),
            Unit::PerSec => write!(f, "{v:.0}/s"),
            Unit::Bytes if v >= 10.0 * 1024.0 => write!(f, "{:.1} KiB", v / 1024.0),
            Unit::Bytes => write!(f, "{v:.0} B"),
            Unit::Count => write!(f, "{v:.2}"),
        }
    }
}

/// What a row is held to.
#[derive(Clone, Debug)]
pub struct Target {
    pub text: String,
    pub met: bool,
}

pub fn target(text: impl Into<String>, met: bool) -> Option<Target> {
    Some(Target {
        text: text.into(),
        met,
    })
}

#[derive(Clone, Debug)]
pub struct Row {
    pub section: &'static str,
    pub what: String,
    pub ours: Figure,
    /// The floor or peer, by name.
    pub beside: Option<(String, Figure)>,
    pub target: Option<Target>,
}

impl Row {
    pub fn new(section: &'static str, what: impl Into<String>, ours: Figure) -> Row {
        Row {
            section,
            what: what.into(),
            ours,
            beside: None,
            target: None,
        }
    }

    pub fn beside(mut self, name: impl Into<String>, figure: Figure) -> Row {
        self.beside = Some((name.into(), figure));
        self
    }

    pub fn target(mut self, t: Option<Target>) -> Row {
        self.target = t;
        self
    }

    /// Our cost over the reference's.
    pub fn ratio(&self) -> Option<f64> {
        let (_, other) = self.beside.as_ref()?;
        let r = match self.ours.unit {
            Unit::PerSec => other.value / self.ours.value,
            _ => self.ours.value / other.value,
        };
        r.is_finite().then_some(r)
    }
}

/// The whole run.
pub struct Report {
    pub rows: Vec<Row>,
    pub notes: Vec<String>,
}

impl Report {
    pub fn markdown(&self) -> String {
        let mut out = String::from(
            "| Section | Figure | Ours | Beside (floor or peer) | Ratio | Target | Met |\n|---|---|---|---|---|---|---|\n",
        );
        for r in &self.rows {
            let beside = r
                .beside
                .as_ref()
                .map(|(name, f)| format!("{name}: {f}"))
                .unwrap_or_else(|| "-".into());
            let ratio = r
                .ratio()
                .map(|x| format!("{x:.2}x"))
                .unwrap_or_else(|| "-".into());
            let (target, met) = match &r.target {
                Some(t) => (t.text.as_str(), if t.met { "met" } else { "**not met**" }),
                None => ("-", "-"),
            };
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} | {} | {} |",
                r.section, r.what, r.ours, beside, ratio, target, met
            );
        }
        for n in &self.notes {
            let _ = writeln!(out, "\n{n}");
        }
        out
    }

    pub fn json(&self, machine: Value) -> Value {
        let fig = |f: &Figure| json!({"value": f.value, "unit": f.unit.name()});
        let rows: Vec<Value> = self
            .rows
            .iter()
            .map(|r| {
                json!({
                    "section": r.section,
                    "figure": r.what,
                    "ours": fig(&r.ours),
                    "ours_text": r.ours.to_string(),
                    "beside": r.beside.as_ref().map(|(name, f)| json!({
                        "name": name, "value": f.value, "unit": f.unit.name(), "text": f.to_string(),
                    })),
                    "ratio": r.ratio(),
                    "target": r.target.as_ref().map(|t| t.text.clone()),
                    "met": r.target.as_ref().map(|t| t.met),
                })
            })
            .collect();
        json!({
            "suite": "ivrconf make bench",
            "version": ivrconf::VERSION,
            "machine": machine,
            "rows": rows,
            "notes": self.notes,
        })
    }
}

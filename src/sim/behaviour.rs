//! What the simulated far end does, chosen by the destination DN of a
//! request: longest prefix wins (ASCII case-insensitive), rules added with
//! `dest.PREFIX=BEHAVIOUR` beat built-in ones of the same length, and a DN
//! matching nothing gets `default_behaviour` (normally `answer`).

/// How the destination of a conference / transfer request reacts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Behaviour {
    /// Answers (the canonical sequences, docs/CALL-MODEL.md).
    Answer,
    /// Busy; a RetrieveCall then gets `[Released] Retrieved`.
    Busy,
    /// CallError at the init (or one-step) request.
    Fail,
    /// Answers, then CallError at the completion (one-step: at the request).
    FailComplete,
    /// Rings forever: no Established ever.
    NoAnswer,
    /// Answers, then the consulted party hangs up (`Released`).
    Hangup,
    /// Answers after `slow_ms`.
    Slow,
    /// No reaction at all to the request (nor to a completion of it).
    Silent,
    /// Busy, and the RetrieveCall gets CallError FailedReq=RetrieveCall.
    RetrieveFail,
}

impl Behaviour {
    /// Every behaviour, in the order of the documentation.
    pub const ALL: [Behaviour; 9] = [
        Behaviour::Answer,
        Behaviour::Busy,
        Behaviour::Fail,
        Behaviour::FailComplete,
        Behaviour::NoAnswer,
        Behaviour::Hangup,
        Behaviour::Slow,
        Behaviour::Silent,
        Behaviour::RetrieveFail,
    ];

    /// The name used in DN prefixes and setting values.
    pub fn name(self) -> &'static str {
        match self {
            Behaviour::Answer => "answer",
            Behaviour::Busy => "busy",
            Behaviour::Fail => "fail",
            Behaviour::FailComplete => "failcomplete",
            Behaviour::NoAnswer => "noanswer",
            Behaviour::Hangup => "hangup",
            Behaviour::Slow => "slow",
            Behaviour::Silent => "silent",
            Behaviour::RetrieveFail => "retrievefail",
        }
    }

    /// One line for `--help` and the docs.
    pub fn help(self) -> &'static str {
        match self {
            Behaviour::Answer => "answers: the canonical sequence (every DN not matching a prefix below)",
            Behaviour::Busy => "busy: Held Dialing Busy; RetrieveCall -> [Released] Retrieved; one-step: [Dialing] Busy",
            Behaviour::Fail => "CallError FailedReq=<request> at the init or one-step request (init: [Held] [Dialing] CallError [Retrieved])",
            Behaviour::FailComplete => "answers, then CompleteConf/CompleteXfer -> CallError [Retrieved]; one-step: CallError",
            Behaviour::NoAnswer => "rings forever: [Held] [Dialing] [Ringing], never Established",
            Behaviour::Hangup => "answers, then the consulted party hangs up: Established, Released (after hangup_ms); one-step conf: ConfPartyAdd, ConfPartyDel; one-step xfer: XferComplete, Released",
            Behaviour::Slow => "answers after slow_ms (Established, ConfPartyAdd or XferComplete delayed)",
            Behaviour::Silent => "never reacts to the request (nor to its completion); RetrieveCall still answers",
            Behaviour::RetrieveFail => "busy, and the RetrieveCall gets CallError FailedReq=RetrieveCall",
        }
    }

    /// Parses a behaviour name (ASCII case-insensitive).
    pub fn parse(name: &str) -> Option<Behaviour> {
        Behaviour::ALL
            .into_iter()
            .find(|b| b.name().eq_ignore_ascii_case(name.trim()))
    }
}

/// Built-in prefixes: each behaviour's name except `answer`.
fn builtin() -> impl Iterator<Item = (&'static str, Behaviour)> + 'static {
    Behaviour::ALL
        .into_iter()
        .filter(|b| *b != Behaviour::Answer)
        .map(|b| (b.name(), b))
}

fn starts_with_ci(s: &str, prefix: &str) -> bool {
    s.len() >= prefix.len() && s.as_bytes()[..prefix.len()].eq_ignore_ascii_case(prefix.as_bytes())
}

/// The behaviour for `dest`: the longest matching prefix among `rules`
/// (user-defined) and the built-ins; user rules win ties.
pub fn resolve(dest: &str, rules: &[(String, Behaviour)], default: Behaviour) -> Behaviour {
    let mut best: Option<(usize, Behaviour)> = None;
    let user = rules.iter().map(|(p, b)| (p.as_str(), *b));
    let builtins: Vec<(&str, Behaviour)> = builtin().collect();
    for (prefix, b) in user.chain(builtins) {
        if starts_with_ci(dest, prefix) && best.is_none_or(|(len, _)| prefix.len() > len) {
            best = Some((prefix.len(), b));
        }
    }
    best.map(|(_, b)| b).unwrap_or(default)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn longest_prefix_wins() {
        let none: Vec<(String, Behaviour)> = vec![];
        let r = |d: &str| resolve(d, &none, Behaviour::Answer);
        assert_eq!(r("6001"), Behaviour::Answer);
        assert_eq!(r("busy1"), Behaviour::Busy);
        assert_eq!(r("fail7"), Behaviour::Fail);
        assert_eq!(r("failcomplete7"), Behaviour::FailComplete);
        assert_eq!(r("FAILCOMPLETE"), Behaviour::FailComplete);
        assert_eq!(r("retrievefail"), Behaviour::RetrieveFail);
        assert_eq!(r("slow"), Behaviour::Slow);
        let rules = vec![
            ("6".to_string(), Behaviour::Busy),
            ("600".to_string(), Behaviour::Hangup),
            ("busy".to_string(), Behaviour::Silent),
        ];
        assert_eq!(
            resolve("6001", &rules, Behaviour::Answer),
            Behaviour::Hangup
        );
        assert_eq!(resolve("61", &rules, Behaviour::Answer), Behaviour::Busy);
        assert_eq!(
            resolve("busy1", &rules, Behaviour::Answer),
            Behaviour::Silent
        );
        assert_eq!(
            resolve("7", &rules, Behaviour::NoAnswer),
            Behaviour::NoAnswer
        );
    }
}

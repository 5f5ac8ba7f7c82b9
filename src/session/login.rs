//! The login exchange as data: the `LoginReq` to send and what a
//! `LoginResp` means (the table of PROTOCOL.md 4.3, rows tried top to
//! bottom). Pure functions; the session decides what to do with a verdict.

use super::SessionConfig;
use crate::wire::{Body, LoginReq, LoginResp, Message};

/// What a `LoginResp` tells the session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// Logged in. `unknown_status` holds a `Status` value we do not know
    /// (logged at warn, treated as OK).
    Ready { unknown_status: Option<String> },
    /// `InitInProgress`: log in again on the same connection later.
    Initializing,
    /// The server refused us: a configuration error, with a hint.
    Refused { hint: &'static str },
}

/// Classifies a `LoginResp`.
pub(crate) fn verdict(resp: &LoginResp) -> Verdict {
    let status = resp.status.as_deref().unwrap_or("");
    let result = resp.result.as_str();
    if status.eq_ignore_ascii_case("NoSuchClient") {
        Verdict::Refused {
            hint: "no IVR object with this name in the Configuration Layer",
        }
    } else if result.eq_ignore_ascii_case("InvalidProtocolVersion") {
        Verdict::Refused {
            hint: "the server does not accept protocol_version",
        }
    } else if !result.eq_ignore_ascii_case("Success") {
        Verdict::Refused {
            hint: "the server refused the login",
        }
    } else if status.eq_ignore_ascii_case("InitInProgress") {
        Verdict::Initializing
    } else if status.is_empty() || status.eq_ignore_ascii_case("OK") {
        Verdict::Ready {
            unknown_status: None,
        }
    } else {
        Verdict::Ready {
            unknown_status: Some(status.to_string()),
        }
    }
}

/// The `n`-th `LoginReq` this engine sends (call id `login-<n>`).
pub(crate) fn request(config: &SessionConfig, n: u64) -> Message {
    Message {
        call_id: Some(format!("login-{n}")),
        body: Body::LoginReq(LoginReq {
            version: config.protocol_version.clone(),
            client_name: config.client_name.clone(),
            report_status: Some(config.report_status.clone()).filter(|s| !s.is_empty()),
            server_monitor: Some(config.server_monitor.clone()).filter(|s| !s.is_empty()),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resp(result: &str, status: Option<&str>) -> LoginResp {
        LoginResp {
            result: result.into(),
            status: status.map(Into::into),
            ..LoginResp::default()
        }
    }

    /// PROTOCOL 4.3, one row per case, rows tried top to bottom.
    #[test]
    fn login_resp_table() {
        let refused = |v: &Verdict| matches!(v, Verdict::Refused { .. });
        let cases: &[(&str, Option<&str>, &str)] = &[
            ("Success", Some("NoSuchClient"), "refused"),
            ("InvalidProtocolVersion", Some("NoSuchClient"), "refused"),
            ("InvalidProtocolVersion", Some("OK"), "refused"),
            ("invalidprotocolversion", None, "refused"),
            ("Failure", Some("OK"), "refused"),
            ("Failure", Some("InitInProgress"), "refused"),
            ("Success", Some("OK"), "ready"),
            ("success", Some("ok"), "ready"),
            ("Success", None, "ready"),
            ("Success", Some(""), "ready"),
            ("Success", Some("InitInProgress"), "init"),
            ("SUCCESS", Some("initinprogress"), "init"),
            ("Success", Some("Degraded"), "ready-unknown"),
        ];
        for (result, status, want) in cases {
            let v = verdict(&resp(result, *status));
            let got = match &v {
                v if refused(v) => "refused",
                Verdict::Initializing => "init",
                Verdict::Ready {
                    unknown_status: None,
                } => "ready",
                Verdict::Ready { .. } => "ready-unknown",
                Verdict::Refused { .. } => unreachable!(),
            };
            assert_eq!(got, *want, "Result={result} Status={status:?}");
        }
    }

    #[test]
    fn refusal_hints_name_the_cause() {
        let hint = |r, s| match verdict(&resp(r, s)) {
            Verdict::Refused { hint } => hint,
            other => panic!("not refused: {other:?}"),
        };
        assert!(hint("Success", Some("NoSuchClient")).contains("IVR object"));
        assert!(hint("InvalidProtocolVersion", None).contains("protocol_version"));
        assert!(hint("Nope", None).contains("refused"));
    }

    #[test]
    fn request_numbers_and_leaves_out_empty_attributes() {
        let mut c = SessionConfig::new(vec!["h:1".into()], "ivr1");
        c.report_status = String::new();
        let m = request(&c, 3);
        assert_eq!(m.call_id.as_deref(), Some("login-3"));
        let Body::LoginReq(r) = m.body else {
            panic!("not a LoginReq")
        };
        assert_eq!(r.client_name, "ivr1");
        assert_eq!(r.report_status, None);
        assert_eq!(r.server_monitor.as_deref(), Some("clear"));
    }
}

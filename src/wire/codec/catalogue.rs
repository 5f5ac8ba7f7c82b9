//! The message catalogue of PROTOCOL.md section 3 as data: for each message,
//! its canonical name, the scalar fields in the order we write them (and
//! whether as attribute or child), its lists, its required fields and its
//! kind (session or call).
//!
//! Both directions of the codec read this one table, so the encoder's order
//! and the decoder's names cannot drift apart. It must not know the typed
//! structs; `fields.rs` maps between them and the slot order defined here.

/// Most scalar fields of any catalogue message (`CallInfoResp`).
pub(crate) const MAX_FIELDS: usize = 14;

/// A catalogue message, one per `Body` variant except `Unknown`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    LoginReq,
    LoginResp,
    FlowControl,
    MonitorInfo,
    NewCall,
    CallInfoReq,
    CallInfoResp,
    EndCall,
    OneStepConf,
    OneStepXfer,
    InitConf,
    InitXfer,
    CompleteConf,
    CompleteXfer,
    RetrieveCall,
    CallStatus,
    CallError,
    UDataSet,
    UDataGet,
    UDataDel,
    UDataResp,
    RouteRequest,
    RouteResponse,
}

/// What the catalogue says about one message.
#[derive(Debug)]
pub(crate) struct Spec {
    pub kind: Kind,
    pub name: &'static str,
    /// Scalar fields; slot `i` of a decoded/encoded message is `fields[i]`.
    /// Attributes come first, then children (`first_child` is the split).
    pub fields: &'static [&'static str],
    /// Index in `fields` of the first field written as a child element.
    pub first_child: usize,
    pub udata: bool,
    pub extensions: bool,
    /// Slots that must be present and non-empty, in the order checked.
    pub required: &'static [usize],
    /// Session message: the call id is optional (2.3 step 11).
    pub session: bool,
    /// Every other attribute and scalar child is kept (`FlowControl`,
    /// `MonitorInfo`).
    pub open: bool,
}

const fn spec(kind: Kind, name: &'static str, fields: &'static [&'static str]) -> Spec {
    Spec {
        kind,
        name,
        fields,
        first_child: fields.len(),
        udata: false,
        extensions: false,
        required: &[],
        session: false,
        open: false,
    }
}

const DEST_FIELDS: &[&str] = &["DestDN", "ReqId"];
const KEYS_FIELDS: &[&str] = &["Keys", "RequestId"];

/// The `OneStepConf` / `OneStepXfer` / `InitConf` / `InitXfer` shape (3.8).
const fn dest_request(kind: Kind, name: &'static str) -> Spec {
    Spec {
        udata: true,
        extensions: true,
        required: &[0],
        ..spec(kind, name, DEST_FIELDS)
    }
}

/// The `UDataGet` / `UDataDel` shape (3.12); `RequestId` is checked first.
const fn keys_request(kind: Kind, name: &'static str) -> Spec {
    Spec {
        first_child: 1,
        required: &[1, 0],
        ..spec(kind, name, KEYS_FIELDS)
    }
}

/// The whole catalogue, in the order of section 3.
pub(crate) static CATALOGUE: [Spec; 23] = [
    Spec {
        required: &[0, 1],
        session: true,
        ..spec(
            Kind::LoginReq,
            "LoginReq",
            &["Version", "ClientName", "ReportStatus", "ServerMonitor"],
        )
    },
    Spec {
        required: &[1],
        session: true,
        ..spec(
            Kind::LoginResp,
            "LoginResp",
            &["IServerVersion", "Result", "Status", "ConfigOptions"],
        )
    },
    Spec {
        session: true,
        open: true,
        ..spec(Kind::FlowControl, "FlowControl", &["Status"])
    },
    Spec {
        session: true,
        open: true,
        ..spec(Kind::MonitorInfo, "MonitorInfo", &["ReqId"])
    },
    Spec {
        first_child: 2,
        udata: true,
        extensions: true,
        required: &[2],
        ..spec(
            Kind::NewCall,
            "NewCall",
            &["CallControlMode", "Version", "CalledNum", "DNIS", "ANI"],
        )
    },
    spec(Kind::CallInfoReq, "CallInfoReq", &[]),
    Spec {
        udata: true,
        ..spec(
            Kind::CallInfoResp,
            "CallInfoResp",
            &[
                "ANI",
                "DNIS",
                "CalledNum",
                "ConnId",
                "TSCallId",
                "PortDN",
                "PortTrunk",
                "PortQueue",
                "OtherDN",
                "OtherTrunk",
                "OtherQueue",
                "LastEvent",
                "FirstHomeLocation",
                "ThirdPartyDN",
            ],
        )
    },
    spec(Kind::EndCall, "EndCall", &["EndCause"]),
    dest_request(Kind::OneStepConf, "OneStepConf"),
    dest_request(Kind::OneStepXfer, "OneStepXfer"),
    dest_request(Kind::InitConf, "InitConf"),
    dest_request(Kind::InitXfer, "InitXfer"),
    spec(Kind::CompleteConf, "CompleteConf", &["ReqId"]),
    spec(Kind::CompleteXfer, "CompleteXfer", &["ReqId"]),
    spec(Kind::RetrieveCall, "RetrieveCall", &["ReqId"]),
    Spec {
        required: &[0],
        ..spec(Kind::CallStatus, "CallStatus", &["Event"])
    },
    spec(
        Kind::CallError,
        "CallError",
        &["FailedReq", "TLibErrCode", "ReqId"],
    ),
    Spec {
        first_child: 1,
        udata: true,
        required: &[1],
        ..spec(Kind::UDataSet, "UDataSet", &["Action", "RequestId"])
    },
    keys_request(Kind::UDataGet, "UDataGet"),
    keys_request(Kind::UDataDel, "UDataDel"),
    Spec {
        first_child: 1,
        udata: true,
        required: &[1, 0],
        ..spec(Kind::UDataResp, "UDataResp", &["Result", "RequestId"])
    },
    Spec {
        first_child: 1,
        udata: true,
        extensions: true,
        required: &[0],
        ..spec(Kind::RouteRequest, "RouteRequest", &["RouteDN", "CED"])
    },
    Spec {
        first_child: 1,
        extensions: true,
        ..spec(Kind::RouteResponse, "RouteResponse", &["RouteType", "Dest"])
    },
];

/// Accepted spellings besides the canonical names (2.4), as
/// (message, alias, slot).
const ALIASES: &[(Kind, &str, usize)] = &[(Kind::LoginResp, "IServerVer", 0)];

impl Spec {
    /// The catalogue entry for a received element name, matched
    /// ASCII-case-insensitively (2.4); `None` for an unknown message.
    pub fn lookup(name: &[u8]) -> Option<&'static Spec> {
        // Length and first letter first: most names differ there, and this
        // runs for every message decoded.
        let first = name.first()?.to_ascii_lowercase();
        CATALOGUE.iter().find(|s| {
            let n = s.name.as_bytes();
            n.len() == name.len() && n[0].to_ascii_lowercase() == first && same_name(s.name, name)
        })
    }

    /// The entry for a kind.
    pub fn of(kind: Kind) -> &'static Spec {
        // The table is in `Kind` declaration order (checked by a test).
        &CATALOGUE[kind as usize]
    }

    /// Whether slot `i` is written as an attribute (else a child element).
    pub fn is_attr(&self, i: usize) -> bool {
        i < self.first_child
    }

    /// The slot a received field name fills, ASCII-case-insensitively and
    /// with aliases.
    pub fn slot(&self, name: &[u8]) -> Option<usize> {
        if let Some(i) = self.fields.iter().position(|f| same_name(f, name)) {
            return Some(i);
        }
        ALIASES
            .iter()
            .find(|(k, alias, _)| *k == self.kind && alias.as_bytes().eq_ignore_ascii_case(name))
            .map(|&(_, _, slot)| slot)
    }
}

/// ASCII-case-insensitive equality, trying the catalogue's own spelling
/// (what senders write) with a plain comparison first: the byte-wise
/// case-folding loop costs several times more.
fn same_name(canonical: &str, name: &[u8]) -> bool {
    let c = canonical.as_bytes();
    c.len() == name.len() && (c == name || c.eq_ignore_ascii_case(name))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_indexed_by_kind_and_within_limits() {
        for (i, s) in CATALOGUE.iter().enumerate() {
            assert_eq!(s.kind as usize, i, "{}", s.name);
            assert!(s.fields.len() <= MAX_FIELDS);
            assert!(s.first_child <= s.fields.len());
            assert!(s.required.iter().all(|&r| r < s.fields.len()));
        }
    }

    #[test]
    fn lookup_is_case_insensitive_and_knows_the_alias() {
        let s = Spec::lookup(b"callerror").unwrap();
        assert_eq!(s.kind, Kind::CallError);
        assert_eq!(s.slot(b"TlibErrCode"), Some(1));
        let l = Spec::of(Kind::LoginResp);
        assert_eq!(l.slot(b"iservervER"), Some(0));
        assert_eq!(Spec::of(Kind::CallStatus).slot(b"IServerVer"), None);
        assert!(Spec::lookup(b"TreatCall").is_none());
    }
}

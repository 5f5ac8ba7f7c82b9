//! Maps the typed message structs to and from the catalogue's slot order
//! (`catalogue.rs`): the only place that knows which struct field is which
//! wire field, and the one place that says in which order a message's
//! scalar fields are written (the encoder and the public
//! [`Body::fields`] both read [`View::attributes`] and [`View::children`]).
//!
//! Must not validate, escape or parse anything; the encoder and decoder do
//! that on the slot form.

use std::borrow::Cow;

use super::catalogue::{Kind, Spec, MAX_FIELDS};
use crate::wire::message::*;

/// Where the canonical encoder writes a scalar field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Placement {
    /// `<Message Name="value">`.
    Attribute,
    /// `<Message><Name>value</Name></Message>`.
    Child,
}

/// One scalar field of a message element, as the encoder writes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Field<'m> {
    /// The catalogue's spelling (open and unknown messages: as given).
    pub name: &'m str,
    /// The value before escaping; `Keys` is the key names joined with ':'.
    pub value: Cow<'m, str>,
    pub placement: Placement,
}

/// A message element as the catalogue lays it out: its scalar fields in
/// the order the encoder writes them (attributes first, then child
/// elements; absent optional fields left out) and its two user-data lists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fields<'m> {
    pub scalars: Vec<Field<'m>>,
    /// `UDataEx`, written after the scalar children.
    pub udata: &'m [KeyValue],
    /// `ExtnsEx`, written last.
    pub extensions: &'m [KeyValue],
}

impl Body {
    /// This message's fields in catalogue order with their placement, for
    /// code that writes or prints messages in forms other than the
    /// encoder's (the simulator's alternate spellings and summaries).
    pub fn fields(&self) -> Fields<'_> {
        let view = View::of(self);
        let attributes = view.attributes().map(|(name, text)| Field {
            name,
            value: match text {
                Text::Plain(v) => Cow::Borrowed(v),
                Text::Keys(keys) => Cow::Owned(keys.join(":")),
            },
            placement: Placement::Attribute,
        });
        let children = view.children().map(|(name, v)| Field {
            name,
            value: Cow::Borrowed(v),
            placement: Placement::Child,
        });
        Fields {
            scalars: attributes.chain(children).collect(),
            udata: view.udata,
            extensions: view.extensions,
        }
    }
}

/// A scalar field's value as a [`View`] holds it.
#[derive(Clone, Copy)]
pub(crate) enum Text<'m> {
    Plain(&'m str),
    /// `UDataGet` / `UDataDel` key names, written joined with ':' (3.12).
    Keys(&'m [String]),
}

/// A message seen through the catalogue, borrowed for encoding.
pub(crate) struct View<'m> {
    /// `None` for an unknown message.
    pub spec: Option<&'static Spec>,
    /// Scalar fields in catalogue slot order.
    pub slots: [Option<&'m str>; MAX_FIELDS],
    /// `UDataGet` / `UDataDel` key names (the `Keys` slot is built from them).
    pub keys: Option<&'m [String]>,
    pub udata: &'m [KeyValue],
    pub extensions: &'m [KeyValue],
    /// Open and unknown messages: further fields, names as given.
    pub other: &'m [(String, String)],
}

fn s(v: &str) -> Option<&str> {
    Some(v)
}

fn o(v: &Option<String>) -> Option<&str> {
    v.as_deref()
}

/// Pads a short slot list to the fixed array.
fn slots<'m>(given: &[Option<&'m str>]) -> [Option<&'m str>; MAX_FIELDS] {
    let mut out = [None; MAX_FIELDS];
    for (dst, src) in out.iter_mut().zip(given) {
        *dst = *src;
    }
    out
}

impl<'m> View<'m> {
    pub fn of(body: &'m Body) -> View<'m> {
        let mut v = View {
            spec: None,
            slots: [None; MAX_FIELDS],
            keys: None,
            udata: &[],
            extensions: &[],
            other: &[],
        };
        let kind = match body {
            Body::LoginReq(m) => {
                v.slots = slots(&[
                    s(&m.version),
                    s(&m.client_name),
                    o(&m.report_status),
                    o(&m.server_monitor),
                ]);
                Kind::LoginReq
            }
            Body::LoginResp(m) => {
                v.slots = slots(&[
                    o(&m.iserver_version),
                    s(&m.result),
                    o(&m.status),
                    o(&m.config_options),
                ]);
                Kind::LoginResp
            }
            Body::FlowControl(m) => {
                v.slots = slots(&[o(&m.status)]);
                v.other = &m.other;
                Kind::FlowControl
            }
            Body::MonitorInfo(m) => {
                v.slots = slots(&[o(&m.req_id)]);
                v.other = &m.other;
                Kind::MonitorInfo
            }
            Body::NewCall(m) => {
                v.slots = slots(&[
                    o(&m.call_control_mode),
                    o(&m.version),
                    s(&m.called_num),
                    o(&m.dnis),
                    o(&m.ani),
                ]);
                v.udata = &m.udata;
                v.extensions = &m.extensions;
                Kind::NewCall
            }
            Body::CallInfoReq => Kind::CallInfoReq,
            Body::CallInfoResp(m) => {
                v.slots = [
                    o(&m.ani),
                    o(&m.dnis),
                    o(&m.called_num),
                    o(&m.conn_id),
                    o(&m.ts_call_id),
                    o(&m.port_dn),
                    o(&m.port_trunk),
                    o(&m.port_queue),
                    o(&m.other_dn),
                    o(&m.other_trunk),
                    o(&m.other_queue),
                    o(&m.last_event),
                    o(&m.first_home_location),
                    o(&m.third_party_dn),
                ];
                v.udata = &m.udata;
                Kind::CallInfoResp
            }
            Body::EndCall(m) => {
                v.slots = slots(&[o(&m.end_cause)]);
                Kind::EndCall
            }
            Body::OneStepConf(m) => v.dest(m, Kind::OneStepConf),
            Body::OneStepXfer(m) => v.dest(m, Kind::OneStepXfer),
            Body::InitConf(m) => v.dest(m, Kind::InitConf),
            Body::InitXfer(m) => v.dest(m, Kind::InitXfer),
            Body::CompleteConf(m) => v.plain(m, Kind::CompleteConf),
            Body::CompleteXfer(m) => v.plain(m, Kind::CompleteXfer),
            Body::RetrieveCall(m) => v.plain(m, Kind::RetrieveCall),
            Body::CallStatus(m) => {
                v.slots = slots(&[s(&m.event)]);
                Kind::CallStatus
            }
            Body::CallError(m) => {
                v.slots = slots(&[o(&m.failed_req), o(&m.tlib_err_code), o(&m.req_id)]);
                Kind::CallError
            }
            Body::UDataSet(m) => {
                v.slots = slots(&[o(&m.action), s(&m.request_id)]);
                v.udata = &m.udata;
                Kind::UDataSet
            }
            Body::UDataGet(m) => v.keys(m, Kind::UDataGet),
            Body::UDataDel(m) => v.keys(m, Kind::UDataDel),
            Body::UDataResp(m) => {
                v.slots = slots(&[s(&m.result), s(&m.request_id)]);
                v.udata = &m.udata;
                Kind::UDataResp
            }
            Body::RouteRequest(m) => {
                v.slots = slots(&[s(&m.route_dn), o(&m.ced)]);
                v.udata = &m.udata;
                v.extensions = &m.extensions;
                Kind::RouteRequest
            }
            Body::RouteResponse(m) => {
                v.slots = slots(&[o(&m.route_type), o(&m.dest)]);
                v.extensions = &m.extensions;
                Kind::RouteResponse
            }
            Body::Unknown(m) => {
                v.other = &m.fields;
                return v;
            }
        };
        v.spec = Some(Spec::of(kind));
        v
    }

    /// The catalogue's fields and where its children start (none for an
    /// unknown message).
    fn layout(&self) -> (&'static [&'static str], usize) {
        match self.spec {
            Some(spec) => (spec.fields, spec.first_child),
            None => (&[], 0),
        }
    }

    /// The fields written as attributes, in order: the catalogue's present
    /// attribute slots, then the open or unknown message's other fields.
    pub fn attributes(&self) -> impl Iterator<Item = (&'m str, Text<'m>)> + '_ {
        let (fields, first_child) = self.layout();
        let slots = fields
            .iter()
            .zip(&self.slots)
            .take(first_child)
            .enumerate()
            .filter_map(|(i, (&name, value))| match (value, self.keys) {
                (Some(v), _) => Some((name, Text::Plain(v))),
                (None, Some(keys)) if i == 0 => Some((name, Text::Keys(keys))),
                _ => None,
            });
        let other = self
            .other
            .iter()
            .map(|(name, v)| (name.as_str(), Text::Plain(v.as_str())));
        slots.chain(other)
    }

    /// The present fields written as child elements, in catalogue order.
    pub fn children(&self) -> impl Iterator<Item = (&'static str, &'m str)> + Clone + '_ {
        let (fields, first_child) = self.layout();
        fields
            .iter()
            .zip(&self.slots)
            .skip(first_child)
            .filter_map(|(&name, value)| Some((name, (*value)?)))
    }

    fn dest(&mut self, m: &'m DestRequest, kind: Kind) -> Kind {
        self.slots = slots(&[s(&m.dest_dn), o(&m.req_id)]);
        self.udata = &m.udata;
        self.extensions = &m.extensions;
        kind
    }

    fn plain(&mut self, m: &'m PlainRequest, kind: Kind) -> Kind {
        self.slots = slots(&[o(&m.req_id)]);
        kind
    }

    fn keys(&mut self, m: &'m UDataKeys, kind: Kind) -> Kind {
        self.slots = slots(&[None, s(&m.request_id)]);
        self.keys = Some(&m.keys);
        kind
    }
}

/// Decoded parts of a catalogue message, ready to become a `Body`. The
/// slots are the decoder's own (taken, not copied), still borrowing from
/// the payload; each becomes an owned `String` as the body takes it.
pub(crate) struct Parts<'s, 'a> {
    pub slots: &'s mut [Option<Cow<'a, str>>; MAX_FIELDS],
    pub udata: KeyValues,
    pub extensions: KeyValues,
    pub other: Vec<(String, String)>,
}

impl Parts<'_, '_> {
    fn take(&mut self, i: usize) -> Option<String> {
        self.slots
            .get_mut(i)
            .and_then(Option::take)
            .map(Cow::into_owned)
    }

    /// A required field; the decoder has already refused its absence.
    fn req(&mut self, i: usize) -> String {
        self.take(i).unwrap_or_default()
    }

    /// A `CallStatus` event: the static spelling when the text is exactly
    /// one of the ten documented ones (no allocation), the text otherwise.
    fn event(&mut self, i: usize) -> Cow<'static, str> {
        let text = self.slots.get_mut(i).and_then(Option::take);
        let text = text.as_deref().unwrap_or_default();
        StatusEvent::ALL
            .iter()
            .map(|e| e.as_str())
            .find(|s| *s == text)
            .map_or_else(|| Cow::Owned(text.to_owned()), Cow::Borrowed)
    }

    fn dest(mut self) -> DestRequest {
        DestRequest {
            dest_dn: self.req(0),
            req_id: self.take(1),
            udata: self.udata,
            extensions: self.extensions,
        }
    }

    fn plain(mut self) -> PlainRequest {
        PlainRequest {
            req_id: self.take(0),
        }
    }

    fn keys(mut self) -> UDataKeys {
        // Keys travel joined with ':' (3.12).
        let keys = self.req(0).split(':').map(str::to_owned).collect();
        UDataKeys {
            keys,
            request_id: self.req(1),
        }
    }

    /// Builds the typed body for `kind`.
    pub fn into_body(mut self, kind: Kind) -> Body {
        match kind {
            Kind::LoginReq => Body::LoginReq(LoginReq {
                version: self.req(0),
                client_name: self.req(1),
                report_status: self.take(2),
                server_monitor: self.take(3),
            }),
            Kind::LoginResp => Body::LoginResp(LoginResp {
                iserver_version: self.take(0),
                result: self.req(1),
                status: self.take(2),
                config_options: self.take(3),
            }),
            Kind::FlowControl => Body::FlowControl(FlowControl {
                status: self.take(0),
                other: self.other,
            }),
            Kind::MonitorInfo => Body::MonitorInfo(MonitorInfo {
                req_id: self.take(0),
                other: self.other,
            }),
            Kind::NewCall => Body::NewCall(NewCall {
                call_control_mode: self.take(0),
                version: self.take(1),
                called_num: self.req(2),
                dnis: self.take(3),
                ani: self.take(4),
                udata: self.udata,
                extensions: self.extensions,
            }),
            Kind::CallInfoReq => Body::CallInfoReq,
            Kind::CallInfoResp => Body::CallInfoResp(CallInfoResp {
                ani: self.take(0),
                dnis: self.take(1),
                called_num: self.take(2),
                conn_id: self.take(3),
                ts_call_id: self.take(4),
                port_dn: self.take(5),
                port_trunk: self.take(6),
                port_queue: self.take(7),
                other_dn: self.take(8),
                other_trunk: self.take(9),
                other_queue: self.take(10),
                last_event: self.take(11),
                first_home_location: self.take(12),
                third_party_dn: self.take(13),
                udata: self.udata,
            }),
            Kind::EndCall => Body::EndCall(EndCall {
                end_cause: self.take(0),
            }),
            Kind::OneStepConf => Body::OneStepConf(self.dest()),
            Kind::OneStepXfer => Body::OneStepXfer(self.dest()),
            Kind::InitConf => Body::InitConf(self.dest()),
            Kind::InitXfer => Body::InitXfer(self.dest()),
            Kind::CompleteConf => Body::CompleteConf(self.plain()),
            Kind::CompleteXfer => Body::CompleteXfer(self.plain()),
            Kind::RetrieveCall => Body::RetrieveCall(self.plain()),
            Kind::CallStatus => Body::CallStatus(CallStatus {
                event: self.event(0),
            }),
            Kind::CallError => Body::CallError(CallError {
                failed_req: self.take(0),
                tlib_err_code: self.take(1),
                req_id: self.take(2),
            }),
            Kind::UDataSet => Body::UDataSet(UDataSet {
                action: self.take(0),
                request_id: self.req(1),
                udata: self.udata,
            }),
            Kind::UDataGet => Body::UDataGet(self.keys()),
            Kind::UDataDel => Body::UDataDel(self.keys()),
            Kind::UDataResp => Body::UDataResp(UDataResp {
                result: self.req(0),
                request_id: self.req(1),
                udata: self.udata,
            }),
            Kind::RouteRequest => Body::RouteRequest(RouteRequest {
                route_dn: self.req(0),
                ced: self.take(1),
                udata: self.udata,
                extensions: self.extensions,
            }),
            Kind::RouteResponse => Body::RouteResponse(RouteResponse {
                route_type: self.take(0),
                dest: self.take(1),
                extensions: self.extensions,
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::codec::encode;

    /// The element written from `fields()` alone (values need no escaping
    /// here), to compare with the encoder's.
    fn element(body: &Body) -> String {
        let f = body.fields();
        let mut attrs = String::new();
        let mut inner = String::new();
        for field in &f.scalars {
            match field.placement {
                Placement::Attribute => attrs += &format!(" {}=\"{}\"", field.name, field.value),
                Placement::Child => inner += &format!("<{0}>{1}</{0}>", field.name, field.value),
            }
        }
        for (list, entries) in [("UDataEx", f.udata), ("ExtnsEx", f.extensions)] {
            if entries.is_empty() {
                continue;
            }
            inner += &format!("<{list}>");
            for kv in entries {
                let (ty, v) = match &kv.value {
                    Value::Str(s) => ("Str", s.clone()),
                    Value::Int(i) => ("Int", i.to_string()),
                };
                inner += &format!("<Node Name=\"{}\" Type=\"{ty}\" Val=\"{v}\"/>", kv.key);
            }
            inner += &format!("</{list}>");
        }
        let name = body.name();
        if inner.is_empty() {
            format!("<{name}{attrs}/>")
        } else {
            format!("<{name}{attrs}>{inner}</{name}>")
        }
    }

    #[test]
    fn fields_are_what_the_encoder_writes_in_its_order() {
        let bodies = [
            Body::NewCall(NewCall {
                call_control_mode: Some("Network".into()),
                version: None,
                called_num: "5001".into(),
                dnis: Some("800".into()),
                ani: None,
                udata: vec![KeyValue::str("Lang", "EN"), KeyValue::int("n", 7)],
                extensions: vec![KeyValue::str("x", "y")],
            }),
            Body::UDataGet(UDataKeys {
                keys: vec!["Acct".into(), "Lang".into()],
                request_id: "10".into(),
            }),
            Body::MonitorInfo(MonitorInfo {
                req_id: Some("3".into()),
                other: vec![("Detail".into(), "x".into())],
            }),
            Body::Unknown(UnknownMessage {
                name: "TreatCall".into(),
                fields: vec![("Type".into(), "Play".into())],
            }),
            Body::CallError(CallError {
                failed_req: Some("InitConf".into()),
                tlib_err_code: None,
                req_id: Some("4".into()),
            }),
            Body::CallInfoReq,
        ];
        for body in bodies {
            let payload = encode(&Message::new("C1", body.clone())).unwrap();
            let text: String = payload.iter().map(|&b| char::from(b)).collect();
            let want = element(&body);
            assert!(
                text.ends_with(&format!("</CallId>{want}</GctiMsg>")),
                "{want} in {text}"
            );
        }
    }

    #[test]
    fn fields_name_placement_and_joined_keys() {
        let keys = Body::UDataDel(UDataKeys {
            keys: vec!["a".into(), "b".into()],
            request_id: "9".into(),
        });
        let f = keys.fields();
        assert_eq!(
            f.scalars,
            [
                Field {
                    name: "Keys",
                    value: Cow::Borrowed("a:b"),
                    placement: Placement::Attribute
                },
                Field {
                    name: "RequestId",
                    value: Cow::Borrowed("9"),
                    placement: Placement::Child
                },
            ]
        );
        assert!(f.udata.is_empty() && f.extensions.is_empty());
    }
}

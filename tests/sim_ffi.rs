//! The simulator's C API called through its `extern "C"` functions:
//! results, last-error texts, NULL checks, out-params written only on
//! success, and a real login against the port it reports.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod sim_common;
use sim_common::*;

use std::ffi::{c_char, CStr};
use std::ptr;

use ivrconf::ffi::result::*;
use ivrconf::ffi::sim::*;

fn last_error() -> String {
    unsafe { CStr::from_ptr(ivrconf_last_error()) }
        .to_string_lossy()
        .into_owned()
}

fn new_sim() -> *mut ivrconf_sim {
    let mut sim: *mut ivrconf_sim = ptr::null_mut();
    assert_eq!(
        ivrconf_sim_new(c"127.0.0.1:0".as_ptr(), &mut sim),
        IVRCONF_OK
    );
    assert!(!sim.is_null());
    sim
}

#[test]
fn new_port_set_count_free() {
    let sim = new_sim();
    let mut port = 0u16;
    assert_eq!(ivrconf_sim_port(sim, &mut port), IVRCONF_OK);
    assert_ne!(port, 0);
    assert_eq!(
        ivrconf_sim_set(sim, c"login".as_ptr(), c"no_such_client".as_ptr()),
        IVRCONF_OK
    );

    let mut c = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    std::io::Write::write_all(
        &mut c,
        &xml(
            "login-1",
            r#"<LoginReq Version="4.0" ClientName="IVR_01"/>"#,
        ),
    )
    .unwrap();
    assert_eq!(
        ivrconf_sim_wait_received(sim, c"LoginReq".as_ptr(), 1, 5000),
        IVRCONF_OK
    );
    let mut n = 99u64;
    assert_eq!(
        ivrconf_sim_received_count(sim, c"loginreq".as_ptr(), &mut n),
        IVRCONF_OK
    );
    assert_eq!(n, 1);
    assert_eq!(
        ivrconf_sim_received_count(sim, ptr::null(), &mut n),
        IVRCONF_OK
    );
    assert_eq!(n, 1);
    assert_eq!(ivrconf_sim_connection_count(sim, &mut n), IVRCONF_OK);
    assert_eq!(n, 1);
    assert_eq!(
        ivrconf_sim_wait_received(sim, c"NewCall".as_ptr(), 1, 10),
        IVRCONF_ERR_TIMEOUT
    );
    assert_eq!(
        last_error(),
        "ivrconf_sim_wait_received: 0 of 1 `NewCall` received within 10 ms"
    );
    ivrconf_sim_free(sim);
    ivrconf_sim_free(ptr::null_mut());
}

#[test]
fn refusals_have_codes_and_precise_messages() {
    let sim = new_sim();
    let bad_utf8: &[u8] = b"\xff\xfe\0";
    let bad = bad_utf8.as_ptr() as *const c_char;
    let cases: Vec<(ivrconf_result, ivrconf_result, &str)> = vec![
        (
            ivrconf_sim_set(ptr::null_mut(), c"k".as_ptr(), c"v".as_ptr()),
            IVRCONF_ERR_NULL_ARGUMENT,
            "ivrconf_sim_set: sim is NULL",
        ),
        (
            ivrconf_sim_set(sim, ptr::null(), c"v".as_ptr()),
            IVRCONF_ERR_NULL_ARGUMENT,
            "ivrconf_sim_set: key is NULL",
        ),
        (
            ivrconf_sim_set(sim, c"slow_ms".as_ptr(), ptr::null()),
            IVRCONF_ERR_NULL_ARGUMENT,
            "ivrconf_sim_set: value is NULL",
        ),
        (
            ivrconf_sim_set(sim, c"nope".as_ptr(), c"1".as_ptr()),
            IVRCONF_ERR_UNKNOWN_KEY,
            "ivrconf_sim_set: unknown simulator key `nope`",
        ),
        (
            ivrconf_sim_set(sim, c"slow_ms".as_ptr(), c"soon".as_ptr()),
            IVRCONF_ERR_INVALID_ARGUMENT,
            "ivrconf_sim_set: invalid value `soon` for simulator key `slow_ms`: expected milliseconds 0..=2147483647",
        ),
        (
            ivrconf_sim_set(sim, bad, c"1".as_ptr()),
            IVRCONF_ERR_INVALID_ARGUMENT,
            "ivrconf_sim_set: key is not valid UTF-8",
        ),
        (
            ivrconf_sim_received_count(sim, bad, &mut 0),
            IVRCONF_ERR_INVALID_ARGUMENT,
            "ivrconf_sim_received_count: name is not valid UTF-8",
        ),
        (
            ivrconf_sim_received_count(sim, ptr::null(), ptr::null_mut()),
            IVRCONF_ERR_NULL_ARGUMENT,
            "ivrconf_sim_received_count: count_out is NULL",
        ),
        (
            ivrconf_sim_port(ptr::null(), &mut 0),
            IVRCONF_ERR_NULL_ARGUMENT,
            "ivrconf_sim_port: sim is NULL",
        ),
        (
            ivrconf_sim_port(sim, ptr::null_mut()),
            IVRCONF_ERR_NULL_ARGUMENT,
            "ivrconf_sim_port: port_out is NULL",
        ),
        (
            ivrconf_sim_wait_received(sim, ptr::null(), 1, 1),
            IVRCONF_ERR_NULL_ARGUMENT,
            "ivrconf_sim_wait_received: name is NULL",
        ),
        (
            ivrconf_sim_new(ptr::null(), &mut ptr::null_mut()),
            IVRCONF_ERR_NULL_ARGUMENT,
            "ivrconf_sim_new: listen is NULL",
        ),
        (
            ivrconf_sim_new(c"127.0.0.1:0".as_ptr(), ptr::null_mut()),
            IVRCONF_ERR_NULL_ARGUMENT,
            "ivrconf_sim_new: out is NULL",
        ),
    ];
    for (got, want, msg) in cases {
        assert_eq!(got, want, "{msg}");
    }
    // Messages: checked one by one, since each call replaces the last error.
    assert_eq!(
        ivrconf_sim_set(sim, c"nope".as_ptr(), c"1".as_ptr()),
        IVRCONF_ERR_UNKNOWN_KEY
    );
    assert_eq!(
        last_error(),
        "ivrconf_sim_set: unknown simulator key `nope`"
    );
    assert_eq!(
        ivrconf_sim_set(sim, c"slow_ms".as_ptr(), c"soon".as_ptr()),
        IVRCONF_ERR_INVALID_ARGUMENT
    );
    assert_eq!(
        last_error(),
        "ivrconf_sim_set: invalid value `soon` for simulator key `slow_ms`: expected milliseconds 0..=2147483647"
    );
    assert_eq!(
        ivrconf_sim_set(sim, bad, c"1".as_ptr()),
        IVRCONF_ERR_INVALID_ARGUMENT
    );
    assert!(last_error().starts_with("ivrconf_sim_set: key is not valid UTF-8"));
    assert_eq!(
        ivrconf_sim_port(sim, ptr::null_mut()),
        IVRCONF_ERR_NULL_ARGUMENT
    );
    assert_eq!(last_error(), "ivrconf_sim_port: port_out is NULL");
    ivrconf_sim_free(sim);
}

#[test]
fn bind_failures_and_bad_addresses_leave_out_untouched() {
    let first = new_sim();
    let mut port = 0u16;
    ivrconf_sim_port(first, &mut port);
    let taken = std::ffi::CString::new(format!("127.0.0.1:{port}")).unwrap();
    let sentinel = std::ptr::dangling_mut::<ivrconf_sim>();
    let mut out = sentinel;
    assert_eq!(ivrconf_sim_new(taken.as_ptr(), &mut out), IVRCONF_ERR_IO);
    assert!(last_error().starts_with(&format!(
        "ivrconf_sim_new: cannot listen on `127.0.0.1:{port}`:"
    )));
    assert_eq!(out, sentinel, "out written only on success");
    assert_eq!(
        ivrconf_sim_new(c"no port here".as_ptr(), &mut out),
        IVRCONF_ERR_INVALID_ARGUMENT
    );
    assert!(last_error().starts_with("ivrconf_sim_new: `no port here` is not a HOST:PORT"));
    assert_eq!(out, sentinel);
    ivrconf_sim_free(first);
}

/// NULL is reported before any other check: an invalid string earlier in
/// the argument list does not hide a NULL later in it.
#[test]
fn null_wins_over_invalid_utf8() {
    let sim = new_sim();
    let bad = c"\xff\xfe".as_ptr();
    assert_eq!(
        ivrconf_sim_received_count(sim, bad, ptr::null_mut()),
        IVRCONF_ERR_NULL_ARGUMENT
    );
    assert_eq!(
        last_error(),
        "ivrconf_sim_received_count: count_out is NULL"
    );
    assert_eq!(
        ivrconf_sim_set(sim, bad, ptr::null()),
        IVRCONF_ERR_NULL_ARGUMENT
    );
    assert_eq!(last_error(), "ivrconf_sim_set: value is NULL");
    assert_eq!(
        ivrconf_sim_new(bad, ptr::null_mut()),
        IVRCONF_ERR_NULL_ARGUMENT
    );
    assert_eq!(last_error(), "ivrconf_sim_new: out is NULL");
    ivrconf_sim_free(sim);
}

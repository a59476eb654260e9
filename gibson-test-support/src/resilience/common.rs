//! Resilience scenarios every client runs, the blocking one included:
//! `async fn`s generic over the client ([`SuiteClient`]), the blocking one
//! behind [`Blocking`](crate::client::Blocking). Where an async client does
//! two things at once, the blocking one does them one after the other
//! (its futures complete when first polled); where a scenario needs a task
//! or a timer, it takes the [`Runtime`] to run them on
//! ([`Thread`](crate::runtime::Thread) for the blocking client).

use std::time::Duration;

use gibson_policy::{Config, RetryPolicy};
use gibson_proto::{Error, Ttl, Value};

use crate::client::SuiteClient;
use crate::runtime::Runtime;
use crate::{proxied, Faults, TestServer};

/// Stamps a `#[test]` per scenario, each running it with `$run` (a
/// `block_on`) on the client type `$client` (and the runtime `$rt`, where
/// it needs one).
#[doc(hidden)]
#[macro_export]
macro_rules! __resilience_common_tests {
    ($rt:ty, $run:expr, $client:ty) => {
        $crate::__tests!($run, [$client], resilience::common:
            oversized_request_is_refused_before_writing,
            eof_mid_reply_is_reported_and_recovered,
        );
        $crate::__tests!($run, [$rt, $client], resilience::common:
            lazy_connect_and_close_on_last_drop,
        );
    };
}

/// A value over the limit is refused before anything is written, and so
/// is a request over the request limit.
pub async fn oversized_request_is_refused_before_writing<C: SuiteClient>() {
    let server = TestServer::start();
    let conn = C::connect(server.config()).await.unwrap();
    let p = crate::unique_prefix("bigreq");
    let big = vec![b'x'; 3 * 1024 * 1024];
    let (small, huge) = futures::future::join(
        conn.set(format!("{p}small"), "ok", Ttl::Never),
        conn.set(format!("{p}big"), &big[..], Ttl::Never),
    )
    .await;
    assert_eq!(small.unwrap(), Value::from("ok"));
    match huge.unwrap_err() {
        Error::InvalidArgument { arg, rule } => {
            assert_eq!(arg, "value", "{rule}");
        }
        other => panic!("{other}"),
    }
    // A request that passes the value limit but not the request limit.
    crate::client::refuses_a_request_over_the_limit::<C>(&server, format!("{p}mid")).await;
    assert_eq!(conn.connects(), 1);
    conn.mdel(&p).await.unwrap();
}

/// The connection closes in the middle of a reply: that request fails,
/// and the next one reconnects and gets its own reply.
pub async fn eof_mid_reply_is_reported_and_recovered<C: SuiteClient>() {
    let (_server, proxy) = proxied();
    let config = Config::new(proxy.addr()).retry(RetryPolicy::Never);
    let conn = C::connect(config).await.unwrap();
    let p = crate::unique_prefix("eof");
    conn.set(format!("{p}k"), "0123456789", Ttl::Never)
        .await
        .unwrap();
    // Cut the GET reply after 5 of its bytes.
    proxy.set_faults(Faults {
        close_after_reply_bytes: Some(5),
        ..Faults::default()
    });
    let err = conn.get::<String>(format!("{p}k")).await.unwrap_err();
    assert!(
        matches!(err.root(), Error::ConnectionClosed { in_reply: true }),
        "{err}"
    );
    proxy.set_faults(Faults::default());
    assert_eq!(
        conn.get::<String>(format!("{p}k"))
            .await
            .unwrap()
            .as_deref(),
        Some("0123456789")
    );
    conn.del(format!("{p}k")).await.unwrap();
}

/// A lazy handle connects on first use; dropping the last handle closes
/// the socket. A proxy in front of the server counts the open
/// connections, so that other clients of a shared server do not count.
pub async fn lazy_connect_and_close_on_last_drop<R: Runtime, C: SuiteClient>() {
    let (_server, proxy) = proxied();
    let lazy = C::lazy(Config::new(proxy.addr())).unwrap();
    assert!(!lazy.is_connected());
    assert_eq!(
        proxy.connections(),
        0,
        "a lazy handle connects on first use"
    );
    lazy.ping_from_another_task::<R>().await.unwrap();
    assert!(lazy.is_connected());
    assert_eq!(lazy.connects(), 1);
    assert_eq!((proxy.connections(), proxy.open_connections()), (1, 1));
    drop(lazy);
    let mut open = 1;
    for _ in 0..200 {
        open = proxy.open_connections();
        if open == 0 {
            break;
        }
        R::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(open, 0, "the dropped connection's socket is still open");
}

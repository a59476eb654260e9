//! The observability scenarios of what only the blocking client has: its
//! checkout pool and `run_all`'s stream.

use std::time::Duration;

use gibson_blocking::{cmd, Commands as _, Config, Connection, Error, Pool, Ttl};

use super::{checks, proxy_port, RecordSpans};
use crate::proxied;

/// A pool of 1 through a proxy: a connection taken and given back, then a
/// second caller waits out `wait_timeout`.
pub fn pools_have_metrics() {
    let _turn = super::install_recorder();
    let (_server, proxy) = proxied();
    let mut config = Config::new(proxy.addr());
    config.pool.min_size = 1;
    config.pool.max_size = 1;
    config.pool.wait_timeout = Duration::from_millis(50);
    let pool = Pool::with_config(config).unwrap();
    pool.checkout().unwrap().ping().unwrap();
    let port = proxy_port(&proxy);
    checks::pool_has_an_idle_connection(port, 1);
    let held = pool.checkout().unwrap();
    let err = pool.checkout().unwrap_err();
    assert!(matches!(err, Error::PoolExhausted { .. }), "{err}");
    drop(held);
    checks::pool_wait_ran_out(port);
}

/// Through a proxy (series of its own): three SETs, one of a locked key;
/// one GET; no command at all.
pub fn a_stream_is_a_batch() {
    let _turn = super::install_recorder();
    let (_server, proxy) = proxied();
    let mut conn = Connection::with_config(Config::new(proxy.addr())).unwrap();
    let p = crate::unique_prefix("obs-stream");
    let locked = format!("{p}c");
    conn.set(&locked, "0", Ttl::Never).unwrap();
    assert!(conn.lock(&locked, 30).unwrap());
    let spans = RecordSpans::start();
    let sets = ["a", "b", "c"].map(|k| cmd::Set::new(format!("{p}{k}"), "1", Ttl::Never));
    let mut failed = 0;
    let ran = conn.run_all(sets, 2, |_, r| failed += usize::from(r.is_err()));
    assert_eq!((ran.unwrap(), failed), (3, 1));
    let get = [cmd::Get::<String, String>::new(format!("{p}a"))];
    let mut got = None;
    conn.run_all(get, 2, |_, r| got = r.unwrap()).unwrap();
    assert_eq!(got.as_deref(), Some("1"));
    let none = conn.run_all(std::iter::empty::<cmd::Ping>(), 2, |_, _| {});
    assert_eq!(none.unwrap(), 0);
    checks::streams_are_batches(&spans.spans(), &proxy.addr());
    checks::streams_have_metrics(proxy_port(&proxy));
    conn.unlock(&locked).unwrap();
    conn.mdel(&p).unwrap();
}

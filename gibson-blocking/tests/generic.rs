//! Code written once against `Commands` runs on a connection and on a
//! connection taken from the pool.

use gibson_blocking::{Commands, Connection, Error, Pool, Ttl};
use gibson_test_support::{unique_prefix, TestServer};

/// Stores two values under `prefix`, reads one back and counts them.
fn fill(cache: &mut impl Commands, prefix: &str) -> Result<(Option<String>, u64), Error> {
    cache.set(format!("{prefix}x"), "1", Ttl::Never)?;
    cache.set(format!("{prefix}y"), "2", Ttl::Seconds(60))?;
    let x = cache.get(format!("{prefix}x"))?;
    let n = cache.count(prefix)?;
    assert_eq!(cache.mdel(prefix)?, 2);
    Ok((x, n))
}

#[test]
fn one_generic_function_runs_on_a_connection_and_on_a_pooled_one() {
    let server = TestServer::start();
    let mut conn = Connection::with_config(server.config()).unwrap();
    let p = unique_prefix("generic-conn");
    assert_eq!(fill(&mut conn, &p).unwrap(), (Some("1".to_owned()), 2));

    let pool = Pool::with_config(server.config()).unwrap();
    let mut pooled = pool.checkout().unwrap();
    let q = unique_prefix("generic-pool");
    assert_eq!(fill(&mut pooled, &q).unwrap(), (Some("1".to_owned()), 2));
}

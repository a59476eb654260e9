//! The near cache (gibson-test-support's `near` scenarios) over blocking
//! connections and a pool, the writer and the reader on threads of their
//! own.

use gibson_blocking::{Connection, NearCache, Pool};
use gibson_test_support::near::{self, config};
use gibson_test_support::{proxied, unique_prefix, TestServer};

#[test]
fn hits_come_from_memory_and_own_writes_are_seen_at_once() {
    let server = TestServer::start();
    let prefix = unique_prefix("near-own");
    let conn = Connection::with_config(server.config()).unwrap();
    let mut near = NearCache::new(conn, config(&prefix)).unwrap();
    near::hits_and_own_writes_blocking(&mut near, &prefix);
}

#[test]
fn no_read_is_older_than_the_bound_across_two_near_caches() {
    let server = TestServer::start();
    let prefix = unique_prefix("near-bound");
    let pool = Pool::with_config(server.config()).unwrap();
    let writer = NearCache::new(pool.checkout().unwrap(), config(&prefix)).unwrap();
    let reader = Connection::with_config(server.config()).unwrap();
    let reader = NearCache::new(reader, config(&prefix)).unwrap();
    near::coherent_within_the_bound_blocking(writer, reader, &prefix);
}

#[test]
fn a_prefix_write_of_the_other_is_seen_within_the_bound() {
    let server = TestServer::start();
    let prefix = unique_prefix("near-prefix");
    let a = Connection::with_config(server.config()).unwrap();
    let b = Connection::with_config(server.config()).unwrap();
    let mut a = NearCache::new(a, config(&prefix)).unwrap();
    let mut b = NearCache::new(b, config(&prefix)).unwrap();
    near::prefix_write_seen_within_the_bound_blocking(&mut a, &mut b, &prefix);
}

#[test]
fn an_outage_is_not_hidden_behind_memory() {
    let (server, mut proxy) = proxied();
    let prefix = unique_prefix("near-outage");
    let mut through = server.config();
    through.addr = proxy.addr();
    through.connect_attempts = 1;
    let conn = Connection::with_config(through).unwrap();
    let mut near = NearCache::new(conn, config(&prefix)).unwrap();
    near::an_outage_is_not_hidden_blocking(&mut near, &prefix, || proxy.close());
}

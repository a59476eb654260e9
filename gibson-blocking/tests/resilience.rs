//! The shared resilience scenarios every client runs, on the blocking
//! client. Its own ones (poisoning, the checkout pool) are in blocking.rs.

gibson_test_support::suite!(resilience, client: gibson_blocking, runtimes: [blocking]);

//! Bulk pipelining on one connection (the shared workload), on the
//! blocking client: explicit pipelines of 2 000 requests.

gibson_test_support::bulk_pipelining_test!(blocking,
    connect: |config| gibson_blocking::Connection::with_config(config));

//! The shared conformance suite, on the blocking client.

gibson_test_support::conformance_suite!(blocking,
    connect: |config| gibson_blocking::Connection::with_config(config));

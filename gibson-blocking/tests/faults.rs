//! The shared fault scenarios, on the blocking client.

gibson_test_support::fault_suite!(blocking,
    connect: |config| gibson_blocking::Connection::with_config(config));

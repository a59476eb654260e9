//! The failure suite (`gibson_test_support::failures::blocking`).

gibson_test_support::suite!(failures, client: gibson_blocking, runtimes: [blocking]);

//! Bulk pipelining on one connection (the shared workload), on tokio.

fn run<F: std::future::Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
        .block_on(f)
}

gibson_test_support::bulk_pipelining_test!(async, run: run,
    connect: |config| gibson_tokio::Connection::with_config(config).await);

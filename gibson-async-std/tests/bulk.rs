//! Bulk pipelining on one connection (the shared workload), run twice:
//! under async-std and under smol.

/// Under async-std's `block_on`.
mod async_std_runtime {
    fn run<F: std::future::Future>(f: F) -> F::Output {
        async_std::task::block_on(f)
    }

    gibson_test_support::bulk_pipelining_test!(async, run: run,
        connect: |config| gibson_async_std::Connection::with_config(config).await);
}

/// Under `smol::block_on`.
mod smol_runtime {
    fn run<F: std::future::Future>(f: F) -> F::Output {
        smol::block_on(f)
    }

    gibson_test_support::bulk_pipelining_test!(async, run: run,
        connect: |config| gibson_async_std::Connection::with_config(config).await);
}

//! The shared prefix suite (reads of any size, an MGET too large for the
//! server, namespaces beside their neighbours, the stampede guard), run
//! twice: under async-std and under smol (its drivers on smol's executor).

gibson_test_support::suite!(
    prefix,
    runtimes: [async_std: gibson_async_std, smol: gibson_async_std::smol]
);

//! The shared prefix suite (reads of any size, an MGET too large for the
//! server, namespaces beside their neighbours, the stampede guard).

gibson_test_support::suite!(prefix, client: gibson_tokio, runtimes: [tokio, tokio_multi_thread]);

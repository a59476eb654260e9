//! The shared serde values suite: a struct through `Json`, `Postcard` and
//! `MsgPack` by GET and MGET, and a value that does not decode.

gibson_test_support::suite!(values, runtimes: [async_std: gibson_async_std, smol: gibson_async_std::smol]);

/// Values that survive change (gibson-test-support's `skew`): `Lenient`
/// and `Compressed`, under async-std and smol.
mod skew {
    use gibson_async::{Connection, Namespace};
    use gibson_async_std::{metrics::UNDECODABLE, AsyncIo, SmolTasks};
    use gibson_test_support::observe::checks::warned;
    use gibson_test_support::observe::{counted, RecordSpans};
    use gibson_test_support::runtime::{AsyncStd, Runtime, Smol};
    use gibson_test_support::{skew, unique_prefix, TestServer};

    fn lenient_reads<R: Runtime, AR: gibson_async::Runtime>() {
        let server = TestServer::start();
        #[cfg(feature = "metrics")]
        let _turn = gibson_test_support::observe::install_recorder();
        let before = counted(UNDECODABLE);
        let spans = RecordSpans::start();
        R::block_on(async {
            let conn = Connection::<AR>::with_config(server.config())
                .await
                .unwrap();
            let ns = Namespace::new(conn, unique_prefix("skew")).unwrap();
            skew::lenient_reads(&ns).await;
        });
        if cfg!(feature = "metrics") {
            assert_eq!(counted(UNDECODABLE) - before, skew::LENIENT_MISSES);
        }
        if cfg!(feature = "tracing") {
            let misses = skew::LENIENT_MISSES as usize;
            warned(&spans.events(), "item:skewed", "read as a miss", misses);
        }
    }

    fn compressed_beside_plain<R: Runtime, AR: gibson_async::Runtime>() {
        let server = TestServer::start();
        R::block_on(async {
            let conn = Connection::<AR>::with_config(server.config())
                .await
                .unwrap();
            skew::compressed_beside_plain(&conn).await;
        });
    }

    #[test]
    fn a_value_that_no_longer_decodes_is_a_miss_of_its_key_only_async_std() {
        lenient_reads::<AsyncStd, AsyncIo>();
    }

    #[test]
    fn a_value_that_no_longer_decodes_is_a_miss_of_its_key_only_smol() {
        lenient_reads::<Smol, AsyncIo<SmolTasks>>();
    }

    #[test]
    fn compressed_and_plain_values_share_a_prefix_async_std() {
        compressed_beside_plain::<AsyncStd, AsyncIo>();
    }

    #[test]
    fn compressed_and_plain_values_share_a_prefix_smol() {
        compressed_beside_plain::<Smol, AsyncIo<SmolTasks>>();
    }
}

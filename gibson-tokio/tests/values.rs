//! The shared serde values suite: a struct through `Json`, `Postcard` and
//! `MsgPack` by GET and MGET, and a value that does not decode.

gibson_test_support::suite!(values, client: gibson_tokio, runtimes: [tokio]);

/// Values that survive change (gibson-test-support's `skew`): `Lenient`
/// and `Compressed`.
mod skew {
    use gibson_test_support::observe::checks::warned;
    use gibson_test_support::observe::{counted, RecordSpans};
    use gibson_test_support::runtime::{Runtime, Tokio};
    use gibson_test_support::{skew, unique_prefix, TestServer};
    use gibson_tokio::{metrics::UNDECODABLE, Connection, Namespace};

    #[test]
    fn a_value_that_no_longer_decodes_is_a_miss_of_its_key_only() {
        let server = TestServer::start();
        #[cfg(feature = "metrics")]
        let _turn = gibson_test_support::observe::install_recorder();
        let before = counted(UNDECODABLE);
        let spans = RecordSpans::start();
        Tokio::block_on(async {
            let conn = Connection::with_config(server.config()).await.unwrap();
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

    #[test]
    fn compressed_and_plain_values_share_a_prefix() {
        let server = TestServer::start();
        Tokio::block_on(async {
            let conn = Connection::with_config(server.config()).await.unwrap();
            skew::compressed_beside_plain(&conn).await;
        });
    }
}

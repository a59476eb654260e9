//! The observability scenario of a pipeline some of whose commands fail
//! (the blocking client's `run_all` stream is in
//! [`blocking`](super::blocking)).

use gibson_proto::{Error, Ttl};

use super::{checks, RecordSpans};
use crate::client::SuiteClient;
use crate::TestServer;

/// A pipeline of a hit, a miss, a SET of a locked key and a hit (one
/// failure: a miss is no failure), then one of two hits.
pub async fn a_pipeline_counts_its_failed_commands<C: SuiteClient>() {
    let server = TestServer::start();
    let conn = C::connect(server.config()).await.unwrap();
    let p = crate::unique_prefix("obs-failed");
    let (hit, locked) = (format!("{p}hit"), format!("{p}locked"));
    conn.set(&hit, "1", Ttl::Never).await.unwrap();
    conn.set(&locked, "1", Ttl::Never).await.unwrap();
    assert!(conn.lock(&locked, 30).await.unwrap());
    let spans = RecordSpans::start();
    let mut mixed = conn.pipeline();
    let first = mixed.get::<String>(&hit);
    let missing = mixed.get::<String>(format!("{p}missing"));
    let refused = mixed.set(&locked, "2", Ttl::Never);
    let second = mixed.get::<String>(&hit);
    let mut hits = conn.pipeline();
    let third = hits.get::<String>(&hit);
    let fourth = hits.get::<String>(&hit);
    let mut results = conn.run(mixed).await.unwrap();
    assert_eq!(results.take(first).unwrap().as_deref(), Some("1"));
    assert_eq!(results.take(missing).unwrap(), None);
    let err = results.take(refused).unwrap_err();
    assert!(matches!(err, Error::Server { .. }), "{err}");
    assert_eq!(results.take(second).unwrap().as_deref(), Some("1"));
    let mut results = conn.run(hits).await.unwrap();
    assert_eq!(results.take(third).unwrap().as_deref(), Some("1"));
    assert_eq!(results.take(fourth).unwrap().as_deref(), Some("1"));
    checks::failed_commands_are_counted(&spans.spans(), server.addr());
    conn.unlock(&locked).await.unwrap();
    conn.mdel(&p).await.unwrap();
}

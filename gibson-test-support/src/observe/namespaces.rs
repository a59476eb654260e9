//! The observability scenario of a labelled namespace's own methods
//! (`count_all`, `expire_all`, …): they carry its label too.

use gibson_policy::Config;
use gibson_proto::Ttl;

use crate::client::{SuiteClient, SuiteNamespace};
use crate::proxied;

/// Through a proxy (series of its own): every method of a labelled
/// namespace over its whole prefix.
pub async fn namespace_methods_carry_its_label<C: SuiteClient>() {
    let _turn = super::install_recorder();
    let (_server, proxy) = proxied();
    let conn = C::connect(Config::new(proxy.addr())).await.unwrap();
    let p = crate::unique_prefix("obs-ns");
    conn.set(format!("{p}k"), "v", Ttl::Never).await.unwrap();
    {
        let ns = conn.namespace(&p).unwrap().with_metrics_label("whole");
        assert_eq!(ns.count_all().await.unwrap(), 1);
        ns.expire_all(Ttl::Seconds(60)).await.unwrap();
        ns.lock_all(30).await.unwrap();
        ns.unlock_all().await.unwrap();
        assert_eq!(ns.invalidate().await.unwrap(), 1);
    }
    super::checks::namespace_methods_are_labelled(
        super::proxy_port(&proxy),
        "whole",
        &["COUNT", "MTTL", "MLOCK", "MUNLOCK", "MDEL"],
    );
}

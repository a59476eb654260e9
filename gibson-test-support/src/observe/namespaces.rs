//! The observability scenario of a labelled namespace's own methods
//! (`count_all`, `expire_all`, …): they carry its label too.

/// The namespace scenario, for an async client or the blocking one.
#[doc(hidden)]
#[macro_export]
macro_rules! __observe_namespaces {
    (async, $($client:ident)::+) => {
        $crate::__observe_namespaces!(@ $($client)::+ (async) (<R: $crate::runtime::Runtime>) (.await));
    };
    (blocking, $($client:ident)::+) => {
        $crate::__observe_namespaces!(@ $($client)::+ () () ());
    };
    (@ $($client:ident)::+ ($($async:tt)*) ($($generic:tt)*) ($($aw:tt)*)) => {
        /// The metrics label of a namespace's methods.
        pub(crate) mod observe_namespaces {
            use $crate::__reexport::{AsyncCommands, Commands};
            use $($client)::+::{Config, Connection, Ttl};

            /// Through a proxy (series of its own): every method of a
            /// labelled namespace over its whole prefix.
            pub(crate) $($async)* fn namespace_methods_carry_its_label $($generic)* () {
                let _turn = $crate::observe::install_recorder();
                let server = $crate::TestServer::start();
                let proxy = $crate::Proxy::start(server.addr().clone());
                #[allow(unused_mut)]
                let mut conn = Connection::with_config(Config::new(proxy.addr()))$($aw)*.unwrap();
                let p = $crate::unique_prefix("obs-ns");
                conn.set(format!("{p}k"), "v", Ttl::Never)$($aw)*.unwrap();
                {
                    #[allow(unused_mut)]
                    let mut ns = conn.namespace(&p).unwrap().with_metrics_label("whole");
                    assert_eq!(ns.count_all()$($aw)*.unwrap(), 1);
                    ns.expire_all(Ttl::Seconds(60))$($aw)*.unwrap();
                    ns.lock_all(30)$($aw)*.unwrap();
                    ns.unlock_all()$($aw)*.unwrap();
                    assert_eq!(ns.invalidate()$($aw)*.unwrap(), 1);
                }
                $crate::observe::checks::namespace_methods_are_labelled(
                    $crate::observe::proxy_port(&proxy),
                    "whole",
                    &["COUNT", "MTTL", "MLOCK", "MUNLOCK", "MDEL"],
                );
            }
        }
    };
}

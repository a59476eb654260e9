//! The fan-out over three servers answers as one server holding the same
//! data: random data, random prefix commands (COUNT, MGET with and without
//! a limit, KEYS, MINC, MDEL), absent prefixes (NOT_FOUND) included.

use std::sync::OnceLock;

use gibson_test_support::{unique_prefix, TestServer};
use gibson_tokio::{cmd, AsyncCommands, Command, Connection, Sharded, Ttl};
use proptest::prelude::*;

/// Three servers for the sharded client and a fourth alone, shared by
/// every case (each case writes under its own prefix).
struct World {
    _servers: Vec<TestServer>,
    runtime: tokio::runtime::Runtime,
    sharded: Sharded,
    one: Connection,
}

fn world() -> &'static World {
    static WORLD: OnceLock<World> = OnceLock::new();
    WORLD.get_or_init(|| {
        let servers: Vec<TestServer> = (0..4).map(|_| TestServer::embedded_tcp()).collect();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let list: Vec<String> = servers[..3].iter().map(|s| s.addr().to_string()).collect();
        let (sharded, one) = runtime.block_on(async {
            let sharded = Sharded::connect(&format!("gibson://{}", list.join(",")))
                .await
                .unwrap();
            let one = Connection::with_config(servers[3].config()).await.unwrap();
            (sharded, one)
        });
        World {
            _servers: servers,
            runtime,
            sharded,
            one,
        }
    })
}

impl World {
    /// `command` on the sharded client and on the lone server: the two
    /// outcomes, in Debug form.
    async fn both<C: Command + Clone>(&self, command: C) -> (String, String)
    where
        C::Output: std::fmt::Debug,
    {
        let sharded = self.sharded.execute(command.clone()).await;
        let one = self.one.execute(command).await;
        (format!("{sharded:?}"), format!("{one:?}"))
    }
}

/// A prefix command, relative to the case's prefix.
#[derive(Debug, Clone)]
enum Op {
    Count(String),
    Mget(String),
    MgetLimit(String, u32),
    Keys(String),
    Minc(String),
    Mdel(String),
}

fn sub_prefix() -> impl Strategy<Value = String> {
    // Short alphabets so that prefixes share keys, plus absent ones.
    prop::sample::select(vec!["", "a", "a:", "a:b", "b", "b:1", "c", "zz"]).prop_map(String::from)
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        sub_prefix().prop_map(Op::Count),
        sub_prefix().prop_map(Op::Mget),
        (sub_prefix(), 1u32..6).prop_map(|(p, n)| Op::MgetLimit(p, n)),
        sub_prefix().prop_map(Op::Keys),
        sub_prefix().prop_map(Op::Minc),
        sub_prefix().prop_map(Op::Mdel),
    ]
}

fn data() -> impl Strategy<Value = Vec<(String, u8)>> {
    prop::collection::vec(("[ab](:[b1]?)?[0-9]{1,2}", any::<u8>()), 0..30)
}

/// Sorted, for comparing sets of pairs or names.
fn sorted<T: Ord + std::fmt::Debug>(r: Result<Vec<T>, gibson_tokio::Error>) -> String {
    match r {
        Ok(mut v) => {
            v.sort();
            format!("{v:?}")
        }
        Err(e) => format!("{e}"),
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn fan_out_answers_as_one_server(data in data(), ops in prop::collection::vec(op(), 1..8)) {
        let w = world();
        w.runtime.block_on(async {
            let p = unique_prefix("model");
            for (k, v) in &data {
                let key = format!("{p}{k}");
                w.sharded.set(key.as_str(), v.to_string(), Ttl::Never).await.unwrap();
                w.one.set(key.as_str(), v.to_string(), Ttl::Never).await.unwrap();
            }
            for op in &ops {
                let (sharded, one) = match op {
                    Op::Count(s) => w.both(cmd::Count::new(format!("{p}{s}"))).await,
                    Op::Mget(s) => {
                        let q = format!("{p}{s}");
                        (sorted(w.sharded.mget::<String, String>(q.as_str()).await),
                         sorted(w.one.mget::<String, String>(q.as_str()).await))
                    }
                    Op::MgetLimit(s, n) => {
                        // Which pairs come first differs; how many, and
                        // that they are real, do not.
                        let q = format!("{p}{s}");
                        let got: Result<Vec<(String, String)>, _> =
                            w.sharded.execute(cmd::Mget::new(q.as_str()).limit(*n)).await;
                        let all = w.one.mget::<String, String>(q.as_str()).await;
                        let shape = |r: &Result<Vec<(String, String)>, gibson_tokio::Error>| match r {
                            Ok(v) => format!("{} pairs", v.len().min(*n as usize)),
                            Err(e) => format!("{e}"),
                        };
                        if let (Ok(got), Ok(all)) = (&got, &all) {
                            for pair in got {
                                assert!(all.contains(pair), "{pair:?} not in the data");
                            }
                        }
                        (shape(&got), shape(&all))
                    }
                    Op::Keys(s) => {
                        let q = format!("{p}{s}");
                        (sorted(w.sharded.keys::<String>(q.as_str()).await),
                         sorted(w.one.keys::<String>(q.as_str()).await))
                    }
                    Op::Minc(s) => w.both(cmd::Minc::new(format!("{p}{s}"))).await,
                    Op::Mdel(s) => w.both(cmd::Mdel::new(format!("{p}{s}"))).await,
                };
                assert_eq!(sharded, one, "{op:?} over {data:?}");
            }
        });
    }
}

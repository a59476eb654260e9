//! Typed values under async-std: sensor readings stored in postcard's
//! compact binary format by a pool, read back one by one and all at once
//! with MGET, and what a value that does not decode looks like.
//!
//! `cargo run -p gibson-async-std --example async_std_serde` (set GIBSON_ADDR to use a real server).

use gibson_async_std::{AsyncCommands, Error, Pool, Postcard, Ttl};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Reading {
    sensor: String,
    celsius: f32,
}

fn main() -> Result<(), Error> {
    // GIBSON_ADDR, or an embedded server living as long as `server`.
    let server = gibson_test_support::example_server();
    let p = gibson_test_support::unique_prefix("async-std-serde");
    async_std::task::block_on(async {
        let pool = Pool::with_config(server.config()).await?;
        let readings: Vec<Reading> = ["kitchen", "attic", "cellar"]
            .iter()
            .zip([21.5, 30.0, 12.25])
            .map(|(sensor, celsius)| Reading {
                sensor: sensor.to_string(),
                celsius,
            })
            .collect();
        for r in &readings {
            let key = format!("{p}{}", r.sensor);
            pool.set(key, Postcard(r), Ttl::Seconds(600)).await?;
        }

        // GET decodes the reply's bytes into the codec's wrapper.
        let attic = pool.get::<Postcard<Reading>>(format!("{p}attic")).await?;
        println!("GET attic   -> {attic:?}");
        assert_eq!(attic.map(Postcard::into_inner).as_ref(), Some(&readings[1]));

        // MGET: every reading under the prefix, each value decoded.
        let mut all: Vec<(String, Postcard<Reading>)> = pool.mget(&p).await?;
        all.sort_by(|a, b| a.1 .0.celsius.total_cmp(&b.1 .0.celsius));
        let Postcard(coldest) = &all[0].1;
        println!("MGET        -> {} readings, coldest {coldest:?}", all.len());
        assert_eq!((all.len(), coldest.sensor.as_str()), (3, "cellar"));

        // A value that does not decode is an error naming its key; the
        // pool goes on.
        pool.set(format!("{p}garage"), "not postcard", Ttl::Seconds(600))
            .await?;
        let err = pool
            .get::<Postcard<Reading>>(format!("{p}garage"))
            .await
            .unwrap_err();
        println!("bad value   -> {err}");
        assert!(matches!(err, Error::Decode { .. }), "{err}");
        assert_eq!(pool.mdel(&p).await?, 4);
        Ok(())
    })
}

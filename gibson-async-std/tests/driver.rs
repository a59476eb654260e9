//! The driver on its own: what happens to requests when its socket dies.
//! (Over a Unix socket pair: Unix targets only.)
#![cfg(unix)]

use std::os::unix::net::UnixStream;
use std::sync::Arc;
use std::time::{Duration, Instant};

use async_io::{Async, Timer};
use gibson_async::mux::{Batch, Delivery, DriverCore, Mux, One, WRITE_HIGH_WATER};
use gibson_async::{Driver, Stream};
use gibson_async_std::{AsyncIo, AsyncSocket};
use gibson_proto::{cmd, Limits, Opcode};

/// A request the driver took is failed with the connection's error; one
/// still queued when the driver dies was never written, and its caller
/// learns so (`NotSent`), which is what lets the connection resend it,
/// even a non-idempotent INC.
#[test]
fn queued_requests_are_handed_back_unsent_when_the_driver_dies() {
    async_io::block_on(async {
        let (ours, peer) = UnixStream::pair().unwrap();
        let mux = Arc::new(Mux::new(Limits::default(), 64));
        let driver = Driver::<AsyncIo>::new(
            Stream::Unix(AsyncSocket::new(Async::new(ours).unwrap())),
            DriverCore::new(mux.clone()),
        );
        let deadline = Instant::now() + Duration::from_secs(30);
        // More than the high-water mark: the driver takes no more
        // requests until it is written, which the silent peer never
        // lets happen.
        let frames = vec![0u8; 2 * WRITE_HIGH_WATER];
        let mut big = Batch {
            ops: &[Opcode::Ping],
            frames: &frames,
        };
        let mut inc = One(cmd::Inc::new("counter"));
        let taken = mux.call(&mut big, deadline, Duration::from_secs(30));
        let queued = async {
            // Queued once the big one is in the driver's hands.
            Timer::after(Duration::from_millis(20)).await;
            mux.call(&mut inc, deadline, Duration::from_secs(30)).await
        };
        let killer = async {
            Timer::after(Duration::from_millis(60)).await;
            drop(peer);
        };
        let run = futures_lite::future::zip(driver.run(), killer);
        let ((taken, queued), _) =
            futures_lite::future::zip(futures_lite::future::zip(taken, queued), run).await;
        match taken.unwrap().into_replies().unwrap().as_slice() {
            [Err(e)] => assert!(e.is_connection_broken(), "{e}"),
            other => panic!("{other:?}"),
        }
        assert!(
            matches!(queued.unwrap(), Delivery::NotSent),
            "the queued request must be handed back unsent"
        );
        assert!(!mux.is_up());
    });
}

//! STATS counters that follow the real server's rules: the item pool
//! (obpool.c), `total_requests`, `total_cron_done` and the cron jobs'
//! periods.

mod common;

use std::time::Duration;

use common::target::{args, Target};
use common::*;

fn pool(r: &mut Raw) -> (i64, i64, i64) {
    let s = stats(r);
    (
        s["item_pool_current_used"],
        s["item_pool_current_capacity"],
        s["item_pool_total_capacity"],
    )
}

#[test]
fn item_pool_constants() {
    let t = Target::start("poolconst");
    let mut r = t.conn();
    let s = stats(&mut r);
    assert_eq!(s["item_pool_object_size"], 39);
    assert_eq!(s["item_pool_max_block_size"], 131_072);
    assert!(s["item_pool_current_capacity"] >= 512);
    assert!(s["item_pool_total_capacity"] >= s["item_pool_current_capacity"]);
}

/// The numbers are those the real server reported for the same sequence
/// right after it started.
#[test]
fn item_pool_counts_slots_like_the_real_server() {
    let Some(t) = Target::start_with("pool", "needs a fresh server", |b| b) else {
        return;
    };
    let mut r = t.conn();
    // STATS itself takes 27 slots and gives them back.
    assert_eq!(pool(&mut r), (14, 512, 512));
    assert_eq!(pool(&mut r), (27, 512, 512));
    for i in 0..3 {
        r.req(SET, format!("0 pp:{i} v").as_bytes());
    }
    assert_eq!(pool(&mut r), (27, 512, 512), "freed slots reused");
    r.req(SET, b"0 pp:0 w");
    assert_eq!(pool(&mut r), (30, 512, 512));
    r.req(DEL, b"pp:0");
    r.req(DEL, b"pp:1");
    assert_eq!(pool(&mut r), (30, 512, 512), "never goes down");
    r.req(KEYS, b"pp:");
    assert_eq!(pool(&mut r), (30, 512, 512));
    for i in 0..600 {
        r.req(SET, format!("0 pq:{i} v").as_bytes());
    }
    assert_eq!(pool(&mut r), (103, 1024, 1536), "a new block, twice as big");
    for i in 0..600 {
        r.req(DEL, format!("pq:{i}").as_bytes());
    }
    assert_eq!(pool(&mut r), (116, 1024, 1536), "capacity never shrinks");
}

#[test]
fn a_request_dropped_for_an_unknown_opcode_is_counted() {
    let Some(t) = Target::start_with("reqs", "needs a server no one else uses", |b| b) else {
        return;
    };
    let mut r = t.conn();
    assert_eq!(stats(&mut r)["total_requests"], 1);
    let mut bad = t.conn();
    bad.send(&frame(99, b"x"));
    assert!(bad.closed());
    assert_eq!(stats(&mut r)["total_requests"], 3);
}

#[test]
fn total_cron_done_counts_ticks_of_cron_period() {
    let Some(t) = Target::start_with("cron", "needs cron_period 20", |b| {
        b.cron_period(Duration::from_millis(20))
    }) else {
        return;
    };
    let mut r = t.conn();
    let before = stats(&mut r)["total_cron_done"];
    std::thread::sleep(Duration::from_millis(500));
    let ticks = stats(&mut r)["total_cron_done"] - before;
    assert!((10..=26).contains(&ticks), "{ticks} ticks in 500 ms");
}

#[test]
fn expired_cron_sets_how_often_expired_items_are_deleted() {
    for (every, swept) in [(Duration::from_secs(3600), false), (Duration::ZERO, true)] {
        let Some(t) = Target::start_with("expcron", "needs expired_cron", |b| {
            b.cron_period(Duration::from_millis(10)).expired_cron(every)
        }) else {
            return;
        };
        // Tick 0 runs every job: let it pass first.
        std::thread::sleep(Duration::from_millis(100));
        let mut r = t.conn();
        let a = t.key("a");
        r.req(SET, &args(&[b"1", &a, b"v"]));
        t.wait(1);
        std::thread::sleep(Duration::from_millis(200));
        let listed = r.req(KEYS, &a) == keys_reply(&[&a]);
        assert_eq!(listed, !swept, "expired_cron {every:?}");
    }
}

#[test]
fn max_mem_cron_sets_how_often_memory_is_collected() {
    for (every, collected) in [(Duration::from_secs(3600), false), (Duration::ZERO, true)] {
        let Some(t) = Target::start_with("memcron", "needs max_mem_cron", |b| {
            b.cron_period(Duration::from_millis(10))
                .max_mem_cron(every)
                .max_memory(300)
                .gc_ratio(Duration::from_secs(10))
        }) else {
            return;
        };
        // Tick 0 runs every job: let it pass first.
        std::thread::sleep(Duration::from_millis(100));
        let mut r = t.conn();
        let mut p = b"0 old ".to_vec();
        p.extend_from_slice(&[b'x'; 400]);
        r.req(SET, &p);
        assert_eq!(r.req(SET, b"0 new v"), mem());
        t.wait(10);
        std::thread::sleep(Duration::from_millis(200));
        let gone = r.req(KEYS, b"old") == not_found();
        assert_eq!(gone, collected, "max_mem_cron {every:?}");
    }
}

//! Gibson's cron: one tick every `cron_period`; a job with a period of
//! `every` runs on the ticks whose number (counted from 0) is a multiple
//! of `every / cron_period`, or on every tick when `every` is not longer
//! than `cron_period` (server.c `CRON_EVERY`).

use std::time::Duration;

/// Whether a job of period `every` runs on tick number `tick`.
pub(crate) fn due(every: Duration, cron_period: Duration, tick: u64) -> bool {
    let every = every.as_millis();
    let period = cron_period.as_millis().max(1);
    if every <= period {
        return true;
    }
    u128::from(tick) % (every / period) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jobs_run_on_multiples_of_their_period_in_ticks() {
        let ms = Duration::from_millis;
        let runs: Vec<u64> = (0..35).filter(|&t| due(ms(1000), ms(100), t)).collect();
        assert_eq!(runs, [0, 10, 20, 30]);
        assert!((0..5).all(|t| due(ms(50), ms(100), t)));
        assert!((0..5).all(|t| due(ms(100), ms(100), t)));
        // 250 ms on a 100 ms tick: every second tick (integer division).
        assert!(due(ms(250), ms(100), 4) && !due(ms(250), ms(100), 3));
    }
}

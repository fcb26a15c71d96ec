//! Waiting for the open model's next intended send time, precisely.
//!
//! tokio's timer has a resolution of one millisecond: a request due 0.3 ms
//! into a tick is sent at the next one, about 0.7 ms late on average, and
//! that lag is part of the corrected latency. On Linux each load thread
//! waits on a `timerfd` instead (nanosecond deadlines, with the thread's
//! timer slack cut to a microsecond), registered with the thread's own
//! runtime, so the wait costs one `timerfd_settime` and one `read` and wakes
//! no other thread. Elsewhere, or if the timerfd cannot be had, tokio's
//! timer is used.

use tokio::time::Instant;

/// One load thread's arrival timer.
pub struct Pacer {
    #[cfg(target_os = "linux")]
    fd: Option<tokio::io::unix::AsyncFd<std::os::fd::OwnedFd>>,
}

impl Pacer {
    /// A timer for the current thread. Must be created inside a runtime.
    pub fn new() -> Self {
        #[cfg(target_os = "linux")]
        {
            use rustix::time::{TimerfdClockId, TimerfdFlags, timerfd_create};
            // A microsecond of slack (the default is 50 µs), for this
            // thread's timers only.
            let _ = rustix::thread::set_current_timer_slack(std::num::NonZeroU64::new(1_000));
            let fd = timerfd_create(
                TimerfdClockId::Monotonic,
                TimerfdFlags::NONBLOCK | TimerfdFlags::CLOEXEC,
            )
            .ok()
            .and_then(|fd| {
                // SAFETY: the `OwnedFd` owns the descriptor and moves into
                // the `AsyncFd`, so it stays open, and the same, for the
                // `AsyncFd`'s whole life.
                unsafe {
                    tokio::io::unix::AsyncFd::register_with_interest(
                        fd,
                        tokio::io::Interest::READABLE,
                    )
                }
                .ok()
            });
            Pacer { fd }
        }
        #[cfg(not(target_os = "linux"))]
        Pacer {}
    }

    /// Wait until `at`.
    pub async fn sleep_until(&self, at: Instant) {
        #[cfg(target_os = "linux")]
        if let Some(fd) = &self.fd
            && precise(fd, at).await.is_ok()
        {
            return;
        }
        tokio::time::sleep_until(at).await;
    }
}

impl Default for Pacer {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(target_os = "linux")]
async fn precise(
    fd: &tokio::io::unix::AsyncFd<std::os::fd::OwnedFd>,
    at: Instant,
) -> std::io::Result<()> {
    use rustix::time::{Itimerspec, TimerfdTimerFlags, Timespec, timerfd_settime};
    let now = Instant::now();
    if at <= now {
        return Ok(());
    }
    // A zero value would disarm the timer, hence at least 1 ns.
    let d = (at - now).max(std::time::Duration::from_nanos(1));
    let spec = Itimerspec {
        it_interval: Timespec {
            tv_sec: 0,
            tv_nsec: 0,
        },
        it_value: Timespec {
            tv_sec: d.as_secs() as _,
            tv_nsec: d.subsec_nanos() as _,
        },
    };
    // Re-arming also clears an expiry left unread by an abandoned wait.
    timerfd_settime(fd.get_ref(), TimerfdTimerFlags::empty(), &spec)?;
    loop {
        let mut guard = fd.readable().await?;
        let read = guard.try_io(|inner| {
            let mut ticks = [0u8; 8];
            rustix::io::read(inner.get_ref(), &mut ticks).map_err(std::io::Error::from)
        });
        match read {
            Ok(Ok(_)) => return Ok(()),
            Ok(Err(e)) => return Err(e),
            // Not yet (a stale readiness): wait again.
            Err(_would_block) => continue,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[tokio::test]
    async fn never_wakes_before_the_deadline() {
        let p = Pacer::new();
        let mut late = Vec::new();
        for i in 0..50u64 {
            // Deadlines off the millisecond grid.
            let at = Instant::now() + Duration::from_micros(300 + 37 * i);
            p.sleep_until(at).await;
            let now = Instant::now();
            assert!(now >= at, "woke early");
            late.push(now - at);
        }
        late.sort();
        // How close it wakes is speed, measured by scripts/bench-load.sh
        // (the fixed-rate send lag), not asserted here: a loaded machine
        // would fail a timing bound without anything being wrong.
        eprintln!("pacer: median lateness {:?}", late[late.len() / 2]);
        // A wait abandoned half-way does not spoil the next one.
        let at = Instant::now() + Duration::from_millis(5);
        let _ = tokio::time::timeout(Duration::from_millis(1), p.sleep_until(at)).await;
        let at = Instant::now() + Duration::from_micros(500);
        p.sleep_until(at).await;
        assert!(Instant::now() >= at);
    }
}

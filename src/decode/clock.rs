//! CPU clocks for the decoder's time budget and the benchmarks.
//!
//! A frame's budget is the work the capture thread may spend on it, so it
//! is measured on this thread's own CPU clock: on a machine shared with
//! other work (a build, another program), wall time grows while the
//! decoder waits for a core, and a wall-clock budget would then skip the
//! stages that read hard frames. On an idle machine the two are the same.

use std::time::Duration;

fn clock(id: libc::clockid_t) -> Duration {
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: clock_gettime only writes the timespec it is given.
    let ok = unsafe { libc::clock_gettime(id, &mut ts) } == 0;
    if !ok {
        return Duration::ZERO;
    }
    Duration::new(ts.tv_sec.max(0) as u64, ts.tv_nsec.clamp(0, 999_999_999) as u32)
}

/// CPU time this thread has used.
pub fn thread_cpu() -> Duration {
    clock(libc::CLOCK_THREAD_CPUTIME_ID)
}

/// CPU time this process has used, all threads: unlike wall time, it does
/// not grow when other programs share the cores.
pub fn process_cpu() -> Duration {
    clock(libc::CLOCK_PROCESS_CPUTIME_ID)
}

/// Time spent on this thread since it was started.
#[derive(Debug, Clone, Copy)]
pub struct CpuTimer(Duration);

impl CpuTimer {
    pub fn start() -> CpuTimer {
        CpuTimer(thread_cpu())
    }

    pub fn elapsed(&self) -> Duration {
        thread_cpu().saturating_sub(self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_thread_clock_counts_work_not_sleep() {
        let t = CpuTimer::start();
        std::thread::sleep(Duration::from_millis(30));
        let slept = t.elapsed();
        let mut x = 0u64;
        let t2 = CpuTimer::start();
        while t2.elapsed() < Duration::from_millis(5) {
            x = x.wrapping_add(std::hint::black_box(1));
        }
        assert!(slept < Duration::from_millis(20), "{slept:?} counted while asleep");
        assert!(x > 0 && process_cpu() >= t2.elapsed());
    }
}

//! CPU time from the kernel's clocks. Benchmarks report it beside wall time
//! because it does not grow when other programs share the cores.

use std::time::Duration;

fn clock(id: libc::clockid_t) -> Duration {
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: clock_gettime only writes the timespec it is given.
    if unsafe { libc::clock_gettime(id, &mut ts) } != 0 {
        return Duration::ZERO;
    }
    Duration::new(ts.tv_sec.max(0) as u64, ts.tv_nsec.clamp(0, 999_999_999) as u32)
}

/// CPU time of every thread of this process.
pub(super) fn process() -> Duration {
    clock(libc::CLOCK_PROCESS_CPUTIME_ID)
}

/// CPU time of the calling thread only.
pub(super) fn thread() -> Duration {
    clock(libc::CLOCK_THREAD_CPUTIME_ID)
}

//! Timing: warm-up, batches sized so the clock's cost vanishes, and medians.
//!
//! A fast path (a call of microseconds) is timed in batches of about a
//! millisecond after a warm-up; each sample is one batch's time per
//! iteration, and the figure is the median sample. A slow path (a process
//! start, a compilation) is timed one iteration per sample with its set-up
//! and tear-down outside the clock. The Extism host (`bench/extism`) uses the
//! same method.

use std::hint::black_box;
use std::time::{Duration, Instant};

/// Time spent running a fast path before sampling starts.
const WARM_UP: Duration = Duration::from_millis(300);
/// Target length of one batch.
const BATCH: Duration = Duration::from_millis(1);
/// Sampling stops after this long (once [`MIN_SAMPLES`] are in) ...
const MEASURE: Duration = Duration::from_millis(1500);
/// ... or after this many samples.
const MAX_SAMPLES: usize = 101;
const MIN_SAMPLES: usize = 11;

/// The median of `samples` (sorted in place).
pub fn median(samples: &mut [f64]) -> f64 {
    assert!(!samples.is_empty(), "no samples");
    samples.sort_by(f64::total_cmp);
    samples[samples.len() / 2]
}

fn more(samples: &[f64], start: Instant) -> bool {
    samples.len() < MAX_SAMPLES && (samples.len() < MIN_SAMPLES || start.elapsed() < MEASURE)
}

/// Median nanoseconds per call of `f`, a path of microseconds.
pub fn fast<R>(mut f: impl FnMut() -> R) -> f64 {
    let mut batch = 1u64;
    loop {
        let t = Instant::now();
        for _ in 0..batch {
            black_box(f());
        }
        if t.elapsed() >= BATCH || batch >= 1 << 20 {
            break;
        }
        batch *= 2;
    }
    let warm = Instant::now();
    while warm.elapsed() < WARM_UP {
        black_box(f());
    }
    let mut samples = Vec::new();
    let start = Instant::now();
    while more(&samples, start) {
        let t = Instant::now();
        for _ in 0..batch {
            black_box(f());
        }
        samples.push(t.elapsed().as_nanos() as f64 / batch as f64);
    }
    median(&mut samples)
}

/// [`fast`] for an async path: await it inside the measuring task, so that
/// neither spawning nor `block_on` is on the clock.
pub async fn fast_async<R>(mut f: impl AsyncFnMut() -> R) -> f64 {
    let mut batch = 1u64;
    loop {
        let t = Instant::now();
        for _ in 0..batch {
            black_box(f().await);
        }
        if t.elapsed() >= BATCH || batch >= 1 << 20 {
            break;
        }
        batch *= 2;
    }
    let warm = Instant::now();
    while warm.elapsed() < WARM_UP {
        black_box(f().await);
    }
    let mut samples = Vec::new();
    let start = Instant::now();
    while more(&samples, start) {
        let t = Instant::now();
        for _ in 0..batch {
            black_box(f().await);
        }
        samples.push(t.elapsed().as_nanos() as f64 / batch as f64);
    }
    median(&mut samples)
}

/// Median nanoseconds of `run` over `samples` iterations (after one untimed
/// warm-up iteration); `setup` and dropping the result are not timed.
pub fn slow<S, R>(
    samples: usize,
    mut setup: impl FnMut() -> S,
    mut run: impl FnMut(S) -> R,
) -> f64 {
    drop(run(setup()));
    let mut times = Vec::with_capacity(samples);
    for _ in 0..samples {
        let input = setup();
        let t = Instant::now();
        let out = run(input);
        times.push(t.elapsed().as_nanos() as f64);
        drop(black_box(out));
    }
    median(&mut times)
}

#[cfg(test)]
mod tests {
    use super::median;

    #[test]
    fn median_of_odd_and_even_counts() {
        assert_eq!(median(&mut [3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&mut [4.0, 1.0, 3.0, 2.0]), 3.0);
    }
}

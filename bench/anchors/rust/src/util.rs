//! util.rs: the tcp_echo byte pattern, a seeded generator, RSS, CPU time and percentiles.

use std::sync::OnceLock;

/// xorshift64*: the same small generator the C benches use, for jitter.
pub struct Rng(u64);

impl Rng {
    /// A generator from a seed (0 is replaced by a fixed non-zero state).
    pub fn new(seed: u64) -> Rng {
        Rng(if seed == 0 { 0x9e37_79b9_7f4a_7c15 } else { seed })
    }
    /// The next 64 pseudo-random bits.
    pub fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
}

/// Bytes always readable from a pattern slice.
pub const PATTERN_SPAN: usize = 65536;
const PATTERN_PERIOD: usize = 65521;

/// Connection `conn`'s expected stream bytes from `offset` on (at least PATTERN_SPAN of them):
/// the same construction as bench/impl/common/rtb_util.c, so a lost, duplicated or reordered
/// byte is caught by comparing slices.
pub fn pattern_at(offset: u64, conn: u64) -> &'static [u8] {
    static TABLE: OnceLock<Vec<u8>> = OnceLock::new();
    let t = TABLE.get_or_init(|| {
        let mut rng = Rng::new(0x5eed);
        let mut v: Vec<u8> = (0..PATTERN_PERIOD).map(|_| (rng.next() >> 56) as u8).collect();
        // Extend periodically by SPAN bytes (more than one period, so byte by byte).
        for i in 0..PATTERN_SPAN {
            v.push(v[i]);
        }
        v
    });
    let start = ((offset + conn * 7919) % PATTERN_PERIOD as u64) as usize;
    &t[start..start + PATTERN_SPAN]
}

/// Resident set size in bytes, from /proc/self/statm (resident pages times the page size).
pub fn rss_bytes() -> u64 {
    let s = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    let pages: u64 = s.split_whitespace().nth(1).and_then(|v| v.parse().ok()).unwrap_or(0);
    // SAFETY: sysconf has no preconditions.
    let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    pages * page.max(1) as u64
}

/// CPU time of the whole process in ns (all threads: workers, reactor, timer).
pub fn process_cpu_ns() -> u64 {
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: ts is a valid timespec to write into.
    unsafe { libc::clock_gettime(libc::CLOCK_PROCESS_CPUTIME_ID, &mut ts) };
    ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64
}

/// The p-th percentile (0..=100) by nearest rank of an unsorted sample.
pub fn percentile(sample: &mut [f64], p: f64) -> f64 {
    if sample.is_empty() {
        return f64::NAN;
    }
    sample.sort_by(|a, b| a.partial_cmp(b).unwrap());
    let rank = ((p / 100.0) * sample.len() as f64).ceil() as usize;
    sample[rank.clamp(1, sample.len()) - 1]
}

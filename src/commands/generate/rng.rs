//! Deterministic randomness for the generator.
//!
//! ChaCha8 is value-stable across releases, so the same seed gives the same
//! corpus on every machine. Each company, year and file draws from its own
//! stream, keyed by a label, so files can be written in parallel in any
//! order and still come out byte-identical.

use rand_chacha::rand_core::{Rng as _, SeedableRng};
use rand_chacha::ChaCha8Rng;
use sha2::{Digest, Sha256};

pub struct Rng(ChaCha8Rng);

impl Rng {
    /// A stream for `label` under `seed`.
    pub fn new(seed: u64, label: &str) -> Self {
        let digest = Sha256::digest(format!("chamberstat/{seed}/{label}").as_bytes());
        let mut key = [0u8; 32];
        key.copy_from_slice(&digest);
        Rng(ChaCha8Rng::from_seed(key))
    }

    /// Uniform in [0, 1).
    pub fn unit(&mut self) -> f64 {
        (self.0.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// True with probability `p`.
    pub fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }

    /// Uniform integer in `lo..=hi`.
    pub fn range(&mut self, lo: i64, hi: i64) -> i64 {
        debug_assert!(lo <= hi);
        let span = (hi - lo + 1) as u64;
        lo + (self.0.next_u64() % span) as i64
    }

    pub fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.range(0, items.len() as i64 - 1) as usize]
    }

    /// Index drawn with the given relative weights.
    pub fn weighted(&mut self, weights: &[f64]) -> usize {
        let total: f64 = weights.iter().sum();
        let mut x = self.unit() * total;
        for (i, w) in weights.iter().enumerate() {
            if x < *w {
                return i;
            }
            x -= w;
        }
        weights.len() - 1
    }

    /// Standard normal (Box–Muller).
    pub fn normal(&mut self) -> f64 {
        let u1 = self.unit().max(f64::MIN_POSITIVE);
        let u2 = self.unit();
        (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
    }

    /// Log-normal with median 1: the heavy tail of company sizes.
    pub fn lognormal(&mut self, sigma: f64) -> f64 {
        (sigma * self.normal()).exp()
    }

    pub fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            let j = self.range(0, i as i64) as usize;
            items.swap(i, j);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_and_label_give_the_same_stream() {
        let a: Vec<i64> = (0..5)
            .map({
                let mut r = Rng::new(7, "x");
                move |_| r.range(0, 1000)
            })
            .collect();
        let b: Vec<i64> = (0..5)
            .map({
                let mut r = Rng::new(7, "x");
                move |_| r.range(0, 1000)
            })
            .collect();
        let c: Vec<i64> = (0..5)
            .map({
                let mut r = Rng::new(7, "y");
                move |_| r.range(0, 1000)
            })
            .collect();
        assert_eq!(a, b);
        assert_ne!(a, c);
    }

    #[test]
    fn unit_is_in_range() {
        let mut r = Rng::new(1, "u");
        assert!((0..1000).map(|_| r.unit()).all(|x| (0.0..1.0).contains(&x)));
    }
}

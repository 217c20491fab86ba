//! Random draws for synthetic data, built on a caller-owned seeded generator so every series
//! can be reproduced from its seed. `rand` alone has no normal or Poisson distribution, and
//! these few lines are cheaper than another dependency.

use rand::Rng;

/// Above this mean a Poisson count is drawn from its normal approximation, because the exact
/// method needs a number of uniform draws that grows with the mean.
const POISSON_EXACT_MEAN_MAX: f64 = 30.0;

/// A draw from the standard normal distribution (Box-Muller).
pub(crate) fn standard_normal(rng: &mut impl Rng) -> f64 {
    // `random` yields [0, 1); taking 1 - u keeps the logarithm's argument away from zero.
    let u1 = 1.0 - rng.random::<f64>();
    let u2 = rng.random::<f64>();
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

/// A lognormal multiplier whose mean is 1, so applying it leaves expected demand unchanged.
pub(crate) fn lognormal_mean_one(rng: &mut impl Rng, sigma: f64) -> f64 {
    if sigma <= 0.0 {
        return 1.0;
    }
    (sigma * standard_normal(rng) - sigma * sigma / 2.0).exp()
}

/// A Poisson count with the given mean; a mean that is not positive gives 0.
pub(crate) fn poisson(rng: &mut impl Rng, mean: f64) -> u32 {
    if mean.is_nan() || mean <= 0.0 {
        return 0;
    }
    if mean > POISSON_EXACT_MEAN_MAX {
        let approximate = (mean + mean.sqrt() * standard_normal(rng)).round();
        // A float-to-int `as` cast saturates, which is the behaviour wanted for huge means.
        return approximate.max(0.0) as u32;
    }
    // Knuth: count uniform draws until their product falls below e^-mean.
    let threshold = (-mean).exp();
    let mut count = 0;
    let mut product = rng.random::<f64>();
    while product > threshold {
        count += 1;
        product *= rng.random::<f64>();
    }
    count
}

#[cfg(test)]
mod tests {
    use rand::SeedableRng;
    use rand::rngs::StdRng;

    use super::*;

    fn sample_mean(draws: impl Iterator<Item = f64>) -> f64 {
        let values: Vec<f64> = draws.collect();
        values.iter().sum::<f64>() / values.len() as f64
    }

    #[test]
    fn poisson_draws_average_to_their_mean_on_both_sides_of_the_exact_limit() {
        let mut rng = StdRng::seed_from_u64(7);

        let small = sample_mean((0..20_000).map(|_| f64::from(poisson(&mut rng, 4.0))));
        let large = sample_mean((0..20_000).map(|_| f64::from(poisson(&mut rng, 80.0))));

        assert!((small - 4.0).abs() < 0.1, "mean was {small}");
        assert!((large - 80.0).abs() < 0.5, "mean was {large}");
    }

    #[test]
    fn poisson_with_a_mean_that_is_not_positive_is_zero() {
        let mut rng = StdRng::seed_from_u64(7);

        assert_eq!(poisson(&mut rng, 0.0), 0);
        assert_eq!(poisson(&mut rng, -3.0), 0);
        assert_eq!(poisson(&mut rng, f64::NAN), 0);
    }

    #[test]
    fn lognormal_multiplier_averages_to_one() {
        let mut rng = StdRng::seed_from_u64(7);

        let mean = sample_mean((0..20_000).map(|_| lognormal_mean_one(&mut rng, 0.3)));

        assert!((mean - 1.0).abs() < 0.02, "mean was {mean}");
    }
}

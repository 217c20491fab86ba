//! How far a forecast was from what happened, hour by hour.
//!
//! Both measures pair `actual[i]` with `forecast[i]`, ignore any surplus in the longer slice and
//! are 0 for an empty pair.

/// Symmetric mean absolute percentage error, in percent (0 to 200).
///
/// An hour where both values are 0 counts as a perfect hour rather than 0/0. Hours with small
/// counts weigh heavily (actual 0 against forecast 0.2 is a 200 % miss), so read it next to
/// [`mean_absolute_error`].
pub fn smape_percent(actual: &[f64], forecast: &[f64]) -> f64 {
    mean(actual.iter().zip(forecast).map(|(&a, &f)| {
        let scale = a.abs() + f.abs();
        if scale == 0.0 {
            0.0
        } else {
            200.0 * (a - f).abs() / scale
        }
    }))
}

/// Mean absolute error, in bookings per hour.
pub fn mean_absolute_error(actual: &[f64], forecast: &[f64]) -> f64 {
    mean(actual.iter().zip(forecast).map(|(&a, &f)| (a - f).abs()))
}

fn mean(values: impl Iterator<Item = f64>) -> f64 {
    let (sum, count) = values.fold((0.0, 0_usize), |(sum, count), v| (sum + v, count + 1));
    if count == 0 { 0.0 } else { sum / count as f64 }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn smape_counts_hours_where_both_are_zero_as_exact() {
        assert_eq!(smape_percent(&[0.0, 0.0], &[0.0, 0.0]), 0.0);
    }

    #[test]
    fn smape_is_symmetric_and_bounded_by_200() {
        let over = smape_percent(&[10.0], &[20.0]);
        let under = smape_percent(&[20.0], &[10.0]);

        assert!((over - under).abs() < 1e-12);
        assert!((over - 200.0 / 3.0).abs() < 1e-9);
        assert_eq!(smape_percent(&[0.0], &[5.0]), 200.0);
    }

    #[test]
    fn mean_absolute_error_averages_the_misses() {
        assert_eq!(mean_absolute_error(&[1.0, 5.0], &[2.0, 2.0]), 2.0);
    }

    #[test]
    fn empty_input_has_zero_error() {
        assert_eq!(smape_percent(&[], &[]), 0.0);
        assert_eq!(mean_absolute_error(&[], &[]), 0.0);
    }
}

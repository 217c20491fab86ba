//! Additive Holt-Winters smoothing (level + trend + one seasonal cycle) with its smoothing
//! constants chosen by grid search.
//!
//! Invariant: a fitted model was initialised from at least two full seasons, so its trend and
//! every seasonal slot come from data rather than from a guess. Forecasts are not clamped here;
//! the caller decides what an impossible value means.

/// Candidate constants. Trend candidates stay small because booking demand drifts over months,
/// not hours, and a large beta would chase hourly noise. Seasonal candidates go higher than the
/// usual textbook range because each hour-of-week slot is revised only once per week.
const ALPHA_GRID: [f64; 7] = [0.02, 0.05, 0.1, 0.2, 0.35, 0.5, 0.8];
const BETA_GRID: [f64; 4] = [0.0, 0.005, 0.02, 0.1];
const GAMMA_GRID: [f64; 5] = [0.05, 0.1, 0.2, 0.35, 0.5];

/// Weights of the level, trend and seasonal updates.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct SmoothingConstants {
    pub alpha: f64,
    pub beta: f64,
    pub gamma: f64,
}

/// The model's state after the last observed value.
#[derive(Debug, Clone)]
struct State {
    level: f64,
    trend: f64,
    /// Indexed by `position % season_length`, so the slot for any position is found directly.
    seasonal: Vec<f64>,
}

/// A model fitted to a history, ready to forecast the hours that follow it.
#[derive(Debug, Clone)]
pub(crate) struct FittedModel {
    pub constants: SmoothingConstants,
    state: State,
    observed_len: usize,
}

impl FittedModel {
    /// Forecasts for the `horizon` positions right after the history.
    pub(crate) fn forecast(&self, horizon: usize) -> Vec<f64> {
        let season_length = self.state.seasonal.len();
        (1..=horizon)
            .map(|steps_ahead| {
                let position = self.observed_len + steps_ahead - 1;
                self.state.level
                    + steps_ahead as f64 * self.state.trend
                    + self.state.seasonal[position % season_length]
            })
            .collect()
    }
}

/// Fits the constants that minimise one-step-ahead squared error over the whole history.
/// Returns `None` when the history holds fewer than two full seasons.
pub(crate) fn fit(history: &[f64], season_length: usize) -> Option<FittedModel> {
    if season_length == 0 || history.len() < 2 * season_length {
        return None;
    }
    let initial = initial_state(history, season_length);
    let mut best: Option<(f64, FittedModel)> = None;
    for alpha in ALPHA_GRID {
        for beta in BETA_GRID {
            for gamma in GAMMA_GRID {
                let constants = SmoothingConstants { alpha, beta, gamma };
                let mut state = initial.clone();
                let squared_error = smooth(history, constants, &mut state);
                // Strictly smaller only, so ties keep the earliest, smoothest candidate and the
                // choice never depends on floating-point noise between equal fits.
                if best
                    .as_ref()
                    .is_none_or(|(lowest, _)| squared_error < *lowest)
                {
                    let model = FittedModel {
                        constants,
                        state,
                        observed_len: history.len(),
                    };
                    best = Some((squared_error, model));
                }
            }
        }
    }
    best.map(|(_, model)| model)
}

/// Level, trend and seasonal slots estimated from the first two seasons: the trend is the change
/// between their means, the seasonal slots are the average deviation from that trend line.
fn initial_state(history: &[f64], season_length: usize) -> State {
    let season = season_length as f64;
    let first_mean = history[..season_length].iter().sum::<f64>() / season;
    let second_mean = history[season_length..2 * season_length]
        .iter()
        .sum::<f64>()
        / season;
    let trend = (second_mean - first_mean) / season;
    // The first mean belongs to the middle of the first season, not to its start.
    let trend_line =
        |position: usize| first_mean + trend * (position as f64 - (season - 1.0) / 2.0);
    let seasonal = (0..season_length)
        .map(|slot| {
            let first = history[slot] - trend_line(slot);
            let second = history[season_length + slot] - trend_line(season_length + slot);
            (first + second) / 2.0
        })
        .collect();
    State {
        // Stepping back one position makes the first one-step forecast land on the trend line.
        level: trend_line(0) - trend,
        trend,
        seasonal,
    }
}

/// Runs the updates over the history, leaving `state` after its last value, and returns the sum
/// of squared one-step-ahead errors.
fn smooth(history: &[f64], constants: SmoothingConstants, state: &mut State) -> f64 {
    let SmoothingConstants { alpha, beta, gamma } = constants;
    let season_length = state.seasonal.len();
    let mut squared_error = 0.0;
    for (position, &observed) in history.iter().enumerate() {
        let slot = position % season_length;
        let seasonal = state.seasonal[slot];
        let predicted = state.level + state.trend + seasonal;
        squared_error += (observed - predicted).powi(2);

        let previous_level = state.level;
        state.level =
            alpha * (observed - seasonal) + (1.0 - alpha) * (previous_level + state.trend);
        state.trend = beta * (state.level - previous_level) + (1.0 - beta) * state.trend;
        state.seasonal[slot] = gamma * (observed - state.level) + (1.0 - gamma) * seasonal;
    }
    squared_error
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fit_needs_two_full_seasons() {
        assert!(fit(&[1.0; 7], 4).is_none());
        assert!(fit(&[1.0; 8], 4).is_some());
        assert!(fit(&[1.0; 8], 0).is_none());
    }

    #[test]
    fn initial_state_reproduces_a_clean_trend_plus_season_exactly() {
        let pattern = [3.0, -1.0, 0.5, -2.5];
        let history: Vec<f64> = (0..8)
            .map(|position| 10.0 + 0.25 * position as f64 + pattern[position % 4])
            .collect();

        let model = fit(&history, 4).expect("two seasons are enough");
        let forecast = model.forecast(6);

        for (steps_ahead, value) in forecast.iter().enumerate() {
            let position = 8 + steps_ahead;
            let truth = 10.0 + 0.25 * position as f64 + pattern[position % 4];
            assert!((value - truth).abs() < 1e-9, "{value} vs {truth}");
        }
    }
}

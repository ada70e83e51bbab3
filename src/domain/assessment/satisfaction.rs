//! The public's ratings (政务服务“好差评”): a month's five counts, the satisfaction rate
//! they give, and the steps that turn a rate into an item's points.

use crate::scoring::number::div_round_half_up;

/// A month's counts of the five grades of 好差评.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    /// 非常满意
    pub very_satisfied: i64,
    /// 满意
    pub satisfied: i64,
    /// 基本满意
    pub basically_satisfied: i64,
    /// 不满意
    pub dissatisfied: i64,
    /// 非常不满意
    pub very_dissatisfied: i64,
}

impl Counts {
    pub fn total(&self) -> i64 {
        self.very_satisfied
            + self.satisfied
            + self.basically_satisfied
            + self.dissatisfied
            + self.very_dissatisfied
    }

    /// 差评: 不满意 and 非常不满意.
    pub fn bad(&self) -> i64 {
        self.dissatisfied + self.very_dissatisfied
    }

    /// The satisfaction rate (满意率) in hundredths of a percent, rounded half-up: the
    /// share of 非常满意, 满意 and 基本满意 (the 好评 of the 好差评 system) among all ratings.
    /// `None` when there were no ratings.
    pub fn rate(&self) -> Option<i64> {
        let total = self.total();
        (total > 0).then(|| {
            let good = i128::from(total - self.bad());
            div_round_half_up(good * 10_000, i128::from(total)) as i64
        })
    }
}

/// A rate as a page shows it: `99.52%`.
pub fn rate_text(rate: i64) -> String {
    format!("{}.{:02}%", rate / 100, rate % 100)
}

/// From a satisfaction rate (hundredths of a percent) of at least `min_rate`, the item
/// starts from `points` (hundredths).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Step {
    pub min_rate: i64,
    pub points: i64,
}

impl Counts {
    /// Whether the satisfaction rate is at least `min_rate` (hundredths of a percent),
    /// compared exactly, not after rounding: 296 good of 299 (98.9967%) does not reach 99%.
    pub fn reaches(&self, min_rate: i64) -> bool {
        let total = i128::from(self.total());
        total > 0 && i128::from(self.total() - self.bad()) * 10_000 >= i128::from(min_rate) * total
    }
}

/// The points of the first step (highest rate first) that the counts reach; 0 below them
/// all; `None` when there were no ratings.
pub fn points_for(steps: &[Step], counts: &Counts) -> Option<i64> {
    (counts.total() > 0).then(|| {
        steps
            .iter()
            .find(|s| counts.reaches(s.min_rate))
            .map(|s| s.points)
            .unwrap_or(0)
    })
}

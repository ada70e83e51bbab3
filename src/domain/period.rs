//! Periods (评选周期) and their phases, and the default schemes (评选方案) of SPEC.md.

use crate::scoring::{KindRulesInput, Number, RulesInput, WeightsInput};

/// What a period spans.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PeriodKind {
    Quarter,
    Month,
    Year,
}

impl PeriodKind {
    pub fn as_str(self) -> &'static str {
        match self {
            PeriodKind::Quarter => "quarter",
            PeriodKind::Month => "month",
            PeriodKind::Year => "year",
        }
    }

    pub fn parse(s: &str) -> Option<PeriodKind> {
        [PeriodKind::Quarter, PeriodKind::Month, PeriodKind::Year]
            .into_iter()
            .find(|k| k.as_str() == s)
    }

    /// The award titles of this kind's default scheme (SPEC §3): (windows, staff).
    pub fn default_titles(self) -> (&'static str, &'static str) {
        match self {
            PeriodKind::Quarter => ("优质服务窗口", "优秀服务标兵"),
            PeriodKind::Month | PeriodKind::Year => ("文明服务窗口", "文明服务标兵"),
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            PeriodKind::Quarter => "季度",
            PeriodKind::Month => "月度",
            PeriodKind::Year => "年度",
        }
    }
}

/// A period id: `2026-Q1`, `2026-03` or `2026`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PeriodCode {
    pub year: u16,
    pub kind: PeriodKind,
    /// The quarter (1-4) or month (1-12); 0 for a year.
    pub part: u8,
}

impl PeriodCode {
    pub fn parse(s: &str) -> Option<PeriodCode> {
        let s = s.trim();
        let year: u16 = s
            .get(..4)?
            .parse()
            .ok()
            .filter(|y| (2000..=2100).contains(y))?;
        if !s.as_bytes()[..4].iter().all(u8::is_ascii_digit) {
            return None;
        }
        let rest = &s[4..];
        let (kind, part) = if rest.is_empty() {
            (PeriodKind::Year, 0)
        } else if let Some(q) = rest.strip_prefix("-Q") {
            (
                PeriodKind::Quarter,
                q.parse::<u8>()
                    .ok()
                    .filter(|n| (1..=4).contains(n) && q.len() == 1)?,
            )
        } else if let Some(m) = rest.strip_prefix('-') {
            if m.len() != 2 || !m.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            (
                PeriodKind::Month,
                m.parse().ok().filter(|m| (1..=12).contains(m))?,
            )
        } else {
            return None;
        };
        if kind == PeriodKind::Quarter && rest.len() != 3 {
            return None;
        }
        Some(PeriodCode { year, kind, part })
    }

    pub fn code(&self) -> String {
        match self.kind {
            PeriodKind::Year => format!("{}", self.year),
            PeriodKind::Quarter => format!("{}-Q{}", self.year, self.part),
            PeriodKind::Month => format!("{}-{:02}", self.year, self.part),
        }
    }

    /// The months whose scores the period uses.
    pub fn months(&self) -> Vec<String> {
        let range = match self.kind {
            PeriodKind::Year => 1..=12,
            PeriodKind::Quarter => (self.part * 3 - 2)..=(self.part * 3),
            PeriodKind::Month => self.part..=self.part,
        };
        range.map(|m| format!("{}-{:02}", self.year, m)).collect()
    }

    /// As the offices write it: 2026年第一季度, 2026年3月, 2026年度.
    pub fn label(&self) -> String {
        const Q: [&str; 4] = ["一", "二", "三", "四"];
        match self.kind {
            PeriodKind::Year => format!("{}年度", self.year),
            PeriodKind::Quarter => {
                format!("{}年第{}季度", self.year, Q[usize::from(self.part - 1)])
            }
            PeriodKind::Month => format!("{}年{}月", self.year, self.part),
        }
    }
}

/// A period's name as pages write it (`2026年第二季度`), or its code when it is not one.
pub fn period_label(code: &str) -> String {
    PeriodCode::parse(code)
        .map(|c| c.label())
        .unwrap_or_else(|| code.to_string())
}

pub fn month_label(month: &str) -> String {
    match (
        month.get(..4),
        month.get(5..).and_then(|m| m.parse::<u8>().ok()),
    ) {
        (Some(y), Some(m)) => format!("{y}年{m}月"),
        _ => month.to_string(),
    }
}

/// Whether `s` is a month written `2026-03`.
pub fn is_month(s: &str) -> bool {
    PeriodCode::parse(s).is_some_and(|c| c.kind == PeriodKind::Month)
}

/// The phases of a period, in order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Phase {
    Entry,
    Candidates,
    Voting,
    Rating,
    Review,
    Published,
}

impl Phase {
    pub const ALL: [Phase; 6] = [
        Phase::Entry,
        Phase::Candidates,
        Phase::Voting,
        Phase::Rating,
        Phase::Review,
        Phase::Published,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Phase::Entry => "entry",
            Phase::Candidates => "candidates",
            Phase::Voting => "voting",
            Phase::Rating => "rating",
            Phase::Review => "review",
            Phase::Published => "published",
        }
    }

    pub fn parse(s: &str) -> Option<Phase> {
        Phase::ALL.into_iter().find(|p| p.as_str() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            Phase::Entry => "考核录入",
            Phase::Candidates => "候选确定",
            Phase::Voting => "民主推荐",
            Phase::Rating => "综合评定",
            Phase::Review => "审定",
            Phase::Published => "已发布",
        }
    }

    pub fn next(self) -> Option<Phase> {
        Phase::ALL
            .iter()
            .position(|p| *p == self)
            .and_then(|i| Phase::ALL.get(i + 1).copied())
    }

    /// The phases a period with these rules goes through: a phase whose weight is 0 does not
    /// exist for it (SPEC §3), so a monthly period goes 考核录入 → 候选确定 → 审定 → 已发布.
    pub fn of(rules: &RulesInput) -> Vec<Phase> {
        let weighs = |n: &Number| n.hundredths().map(|h| h != 0).unwrap_or(true);
        Phase::ALL
            .into_iter()
            .filter(|p| match p {
                Phase::Voting => weighs(&rules.weights.democratic),
                Phase::Rating => weighs(&rules.weights.comprehensive),
                _ => true,
            })
            .collect()
    }

    /// The phase after this one for a period with these rules.
    pub fn next_for(self, rules: &RulesInput) -> Option<Phase> {
        let phases = Phase::of(rules);
        let i = phases.iter().position(|p| *p == self)?;
        phases.get(i + 1).copied()
    }

    /// The step back the supervision office may take: only before voting opens.
    pub fn back(self) -> Option<Phase> {
        (self == Phase::Candidates).then_some(Phase::Entry)
    }

    /// Once candidates are confirmed (voting opened), the months' scores are locked.
    pub fn scores_locked(self) -> bool {
        self >= Phase::Voting
    }
}

fn kind_rules(candidates: i64, winners: i64, max: i64) -> KindRulesInput {
    KindRulesInput {
        candidates: Number::from_integer(candidates),
        winners: Number::from_integer(winners),
        max_recommendations: Number::from_integer(max),
    }
}

/// The default scheme of each kind (SPEC.md §2 and §3).
pub fn default_rules(kind: PeriodKind) -> RulesInput {
    let w = |a, d, c| WeightsInput {
        assessment: Number::from_integer(a),
        democratic: Number::from_integer(d),
        comprehensive: Number::from_integer(c),
    };
    match kind {
        PeriodKind::Quarter => RulesInput {
            weights: w(80, 10, 10),
            min_duty_days: Number::from_integer(60),
            trim_extremes_from: Number::from_integer(5),
            window: kind_rules(8, 5, 5),
            staff: kind_rules(13, 10, 10),
        },
        PeriodKind::Month => RulesInput {
            weights: w(100, 0, 0),
            min_duty_days: Number::from_integer(0),
            trim_extremes_from: Number::from_integer(0),
            window: kind_rules(2, 2, 0),
            staff: kind_rules(2, 2, 0),
        },
        PeriodKind::Year => RulesInput {
            weights: w(80, 10, 10),
            min_duty_days: Number::from_integer(240),
            trim_extremes_from: Number::from_integer(5),
            window: kind_rules(4, 2, 2),
            staff: kind_rules(4, 2, 2),
        },
    }
}

/// The default schemes' names.
pub fn default_scheme_name(kind: PeriodKind) -> &'static str {
    match kind {
        PeriodKind::Quarter => "季度评选",
        PeriodKind::Month => "月度评选",
        PeriodKind::Year => "年度综合考评",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn period_codes_read_like_the_offices_write_them() {
        let q = PeriodCode::parse("2026-Q1").unwrap();
        assert_eq!(q.months(), vec!["2026-01", "2026-02", "2026-03"]);
        assert_eq!(q.label(), "2026年第一季度");
        let m = PeriodCode::parse("2026-03").unwrap();
        assert_eq!(
            (m.kind, m.months(), m.label()),
            (
                PeriodKind::Month,
                vec!["2026-03".to_string()],
                "2026年3月".to_string()
            )
        );
        let y = PeriodCode::parse("2026").unwrap();
        assert_eq!((y.months().len(), y.label()), (12, "2026年度".to_string()));
        for bad in [
            "2026-Q5",
            "2026-13",
            "2026-3",
            "26-Q1",
            "2026Q1",
            "2026-Q01",
            "２０２６",
            "",
            "2026-00",
        ] {
            assert_eq!(PeriodCode::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn default_schemes_pass_the_scoring_modules_checks() {
        for kind in [PeriodKind::Quarter, PeriodKind::Month, PeriodKind::Year] {
            crate::scoring::validate_rules(&default_rules(kind)).unwrap();
        }
    }

    #[test]
    fn only_the_candidates_phase_can_step_back() {
        assert_eq!(Phase::Candidates.back(), Some(Phase::Entry));
        assert_eq!(Phase::Voting.back(), None);
        assert_eq!(Phase::Review.next(), Some(Phase::Published));
        assert_eq!(Phase::Published.next(), None);
        assert!(Phase::Voting.scores_locked() && !Phase::Candidates.scores_locked());
    }
}

/// The month `by` months after `month` (before, when negative): `2026-01` − 1 = `2025-12`.
pub fn shift_month(month: &str, by: i32) -> String {
    let y: i32 = month.get(..4).and_then(|y| y.parse().ok()).unwrap_or(2026);
    let m: i32 = month.get(5..).and_then(|m| m.parse().ok()).unwrap_or(1);
    let n = y * 12 + (m - 1) + by;
    format!("{}-{:02}", n.div_euclid(12), n.rem_euclid(12) + 1)
}

/// The current month in China Standard Time, e.g. `2026-12`.
pub fn current_month() -> String {
    let now = time::OffsetDateTime::now_utc().to_offset(time::macros::offset!(+8));
    format!("{}-{:02}", now.year(), u8::from(now.month()))
}

#[cfg(test)]
mod month_tests {
    use super::shift_month;

    #[test]
    fn months_shift_across_years() {
        assert_eq!(shift_month("2026-01", -1), "2025-12");
        assert_eq!(shift_month("2026-12", 1), "2027-01");
        assert_eq!(shift_month("2026-06", -18), "2024-12");
    }
}

//! The city-wide round's words (SPEC.md §3): its phases, how a condition is checked, and
//! where a nomination stands.

/// Where a round stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RoundPhase {
    Nomination,
    Review,
    Notice,
    Confirmation,
    Published,
}

impl RoundPhase {
    pub const ALL: [RoundPhase; 5] = [
        RoundPhase::Nomination,
        RoundPhase::Review,
        RoundPhase::Notice,
        RoundPhase::Confirmation,
        RoundPhase::Published,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            RoundPhase::Nomination => "nomination",
            RoundPhase::Review => "review",
            RoundPhase::Notice => "notice",
            RoundPhase::Confirmation => "confirmation",
            RoundPhase::Published => "published",
        }
    }

    pub fn parse(s: &str) -> Option<RoundPhase> {
        RoundPhase::ALL.into_iter().find(|p| p.as_str() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            RoundPhase::Nomination => "申报推荐",
            RoundPhase::Review => "资格审核",
            RoundPhase::Notice => "公示",
            RoundPhase::Confirmation => "审核确认",
            RoundPhase::Published => "已通报表彰",
        }
    }
}

/// How the system checks a condition from its own records; a condition without one is
/// declared by the county with a note or a file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConditionRule {
    /// At least `min_count` honors won in the county's published periods since `since_year`.
    Honors { min_count: i32, since_year: i32 },
    /// At the window `years` years or more (staff).
    Tenure { years: i32 },
    /// Still active at the window.
    Active,
    /// A satisfaction rate (好差评满意率) of at least `min_percent` over the public's ratings
    /// imported since January of `since_year`.
    Satisfaction { min_percent: i32, since_year: i32 },
}

impl ConditionRule {
    /// The rule as its columns: (rule, min_count, since_year).
    pub fn columns(self) -> (Option<&'static str>, Option<i32>, Option<i32>) {
        match self {
            ConditionRule::Honors {
                min_count,
                since_year,
            } => (Some("honors"), Some(min_count), Some(since_year)),
            ConditionRule::Tenure { years } => (Some("tenure"), Some(years), None),
            ConditionRule::Active => (Some("active"), None, None),
            ConditionRule::Satisfaction {
                min_percent,
                since_year,
            } => (Some("satisfaction"), Some(min_percent), Some(since_year)),
        }
    }

    pub fn from_columns(
        rule: &str,
        min_count: Option<i32>,
        since_year: Option<i32>,
    ) -> Option<ConditionRule> {
        match (rule, min_count, since_year) {
            ("honors", Some(min_count), Some(since_year)) => Some(ConditionRule::Honors {
                min_count,
                since_year,
            }),
            ("tenure", Some(years), _) => Some(ConditionRule::Tenure { years }),
            ("active", _, _) => Some(ConditionRule::Active),
            ("satisfaction", Some(min_percent), Some(since_year)) => {
                Some(ConditionRule::Satisfaction {
                    min_percent,
                    since_year,
                })
            }
            _ => None,
        }
    }

    /// How it is checked, in the office's words.
    pub fn describe(self) -> String {
        match self {
            ConditionRule::Honors {
                min_count,
                since_year,
            } => format!("系统核对：{since_year}年以来获评表彰 {min_count} 次以上"),
            ConditionRule::Tenure { years } => format!("系统核对：在本窗口工作满 {years} 年"),
            ConditionRule::Active => "系统核对：目前仍在岗".to_string(),
            ConditionRule::Satisfaction {
                min_percent,
                since_year,
            } => format!("系统核对：{since_year}年以来好差评满意率 {min_percent}% 以上"),
        }
    }
}

/// Where a nomination stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NominationStatus {
    Draft,
    Submitted,
    Returned,
    Accepted,
    Rejected,
}

impl NominationStatus {
    pub const ALL: [NominationStatus; 5] = [
        NominationStatus::Draft,
        NominationStatus::Submitted,
        NominationStatus::Returned,
        NominationStatus::Accepted,
        NominationStatus::Rejected,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            NominationStatus::Draft => "draft",
            NominationStatus::Submitted => "submitted",
            NominationStatus::Returned => "returned",
            NominationStatus::Accepted => "accepted",
            NominationStatus::Rejected => "rejected",
        }
    }

    pub fn parse(s: &str) -> Option<NominationStatus> {
        NominationStatus::ALL.into_iter().find(|p| p.as_str() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            NominationStatus::Draft => "草稿",
            NominationStatus::Submitted => "已提交",
            NominationStatus::Returned => "退回补正",
            NominationStatus::Accepted => "审核通过",
            NominationStatus::Rejected => "审核未通过",
        }
    }

    /// Whether it takes one of the county's places: a returned nomination keeps its place
    /// until it is resubmitted or its own deadline passes.
    pub fn holds_place(self) -> bool {
        matches!(
            self,
            NominationStatus::Submitted | NominationStatus::Returned | NominationStatus::Accepted
        )
    }
}

/// Where a piece of feedback on a nominee came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FeedbackSource {
    Public,
    Letter,
    Telephone,
    Media,
    Other,
}

impl FeedbackSource {
    pub const ALL: [FeedbackSource; 5] = [
        FeedbackSource::Public,
        FeedbackSource::Letter,
        FeedbackSource::Telephone,
        FeedbackSource::Media,
        FeedbackSource::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            FeedbackSource::Public => "public",
            FeedbackSource::Letter => "letter",
            FeedbackSource::Telephone => "telephone",
            FeedbackSource::Media => "media",
            FeedbackSource::Other => "other",
        }
    }

    pub fn parse(s: &str) -> Option<FeedbackSource> {
        FeedbackSource::ALL.into_iter().find(|p| p.as_str() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            FeedbackSource::Public => "公示页面",
            FeedbackSource::Letter => "来信",
            FeedbackSource::Telephone => "来电",
            FeedbackSource::Media => "媒体",
            FeedbackSource::Other => "其他",
        }
    }
}

/// The office's answer to a piece of feedback.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FeedbackAnswer {
    Substantiated,
    Partly,
    Unfounded,
    Unrelated,
}

impl FeedbackAnswer {
    pub const ALL: [FeedbackAnswer; 4] = [
        FeedbackAnswer::Substantiated,
        FeedbackAnswer::Partly,
        FeedbackAnswer::Unfounded,
        FeedbackAnswer::Unrelated,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            FeedbackAnswer::Substantiated => "substantiated",
            FeedbackAnswer::Partly => "partly",
            FeedbackAnswer::Unfounded => "unfounded",
            FeedbackAnswer::Unrelated => "unrelated",
        }
    }

    pub fn parse(s: &str) -> Option<FeedbackAnswer> {
        FeedbackAnswer::ALL.into_iter().find(|p| p.as_str() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            FeedbackAnswer::Substantiated => "查实",
            FeedbackAnswer::Partly => "部分查实",
            FeedbackAnswer::Unfounded => "不实",
            FeedbackAnswer::Unrelated => "与评选无关",
        }
    }
}

//! The six one-vote vetoes (一票否决) of SPEC.md §2: their codes, as stored and in the
//! recount format, and their wording, in one place.

/// A veto's kind. Stored as its [`VetoCode::as_str`] in `veto.code`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum VetoCode {
    ReformViolation,
    Disciplinary,
    VerifiedComplaint,
    Corruption,
    MajorIncident,
    OverdueCase,
}

impl VetoCode {
    pub const ALL: [VetoCode; 6] = [
        VetoCode::ReformViolation,
        VetoCode::Disciplinary,
        VetoCode::VerifiedComplaint,
        VetoCode::Corruption,
        VetoCode::MajorIncident,
        VetoCode::OverdueCase,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            VetoCode::ReformViolation => "reform_violation",
            VetoCode::Disciplinary => "disciplinary",
            VetoCode::VerifiedComplaint => "verified_complaint",
            VetoCode::Corruption => "corruption",
            VetoCode::MajorIncident => "major_incident",
            VetoCode::OverdueCase => "overdue_case",
        }
    }

    pub fn parse(s: &str) -> Option<VetoCode> {
        VetoCode::ALL.into_iter().find(|c| c.as_str() == s)
    }

    /// The wording of SPEC.md §2.
    pub fn label(self) -> &'static str {
        match self {
            VetoCode::ReformViolation => "违反行政审批制度改革等有关规定",
            VetoCode::Disciplinary => "违规违纪被中心或上级部门通报批评、被新闻媒体曝光",
            VetoCode::VerifiedComplaint => "被群众举报投诉且经查证属实、造成不良影响",
            VetoCode::Corruption => "吃、拿、卡、要等不廉洁行为经查证属实",
            VetoCode::MajorIncident => "发生安全责任、维稳等其他方面的重大事件",
            VetoCode::OverdueCase => "由于窗口原因导致有超期办件",
        }
    }

    /// The wording of a stored or exported code, or 未知情形 for one this version does not know.
    pub fn label_of(code: &str) -> &'static str {
        VetoCode::parse(code).map_or("未知情形", VetoCode::label)
    }
}

//! Typed row ids. Each table's key is its own type, so that a window's id cannot be passed
//! where a staff member's is expected: swapping two ids of different kinds does not compile.
//! They are `bigint` in PostgreSQL and plain numbers in URLs, forms and JSON.

use std::fmt;

macro_rules! ids {
    ($($(#[$doc:meta])* $name:ident;)*) => {$(
        $(#[$doc])*
        #[derive(
            Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash,
            serde::Serialize, serde::Deserialize, sqlx::Type,
        )]
        #[sqlx(transparent)]
        #[serde(transparent)]
        pub struct $name(pub i64);

        impl $name {
            /// An id from the path or a form: a positive whole number.
            pub fn parse(raw: &str) -> Option<$name> {
                raw.parse::<i64>().ok().filter(|id| *id > 0).map($name)
            }
        }

        impl From<i64> for $name {
            fn from(id: i64) -> $name {
                $name(id)
            }
        }

        impl From<$name> for i64 {
            fn from(id: $name) -> i64 {
                id.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }
    )*};
}

ids! {
    /// A service center (`center.center_id`).
    CenterId;
    /// An evaluation period (`period.period_id`).
    PeriodId;
    /// A service window (`service_window.window_id`).
    WindowId;
    /// A staff member (`staff.staff_id`).
    StaffId;
    /// A sign-in account (`account.account_id`).
    AccountId;
    /// An evaluation scheme (`scheme.scheme_id`).
    SchemeId;
    /// A recorded veto (`veto.veto_id`).
    VetoId;
    /// A version of the assessment rules (`assessment_rules.assessment_rules_id`).
    RulesId;
    /// A standard deduction or bonus (`assessment_standard.assessment_standard_id`).
    StandardId;
    /// An assessment record (`assessment_record.assessment_record_id`).
    RecordId;
    /// An appeal against a record (`assessment_appeal.assessment_appeal_id`).
    AppealId;
}

/// What is evaluated: a window or a staff member. Stored as two nullable columns of which
/// exactly one is set (`window_id`, `staff_id`); in the recount format as `W<id>` / `S<id>`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Entrant {
    Window(WindowId),
    Staff(StaffId),
}

impl Entrant {
    /// From the two nullable columns; `None` unless exactly one is set.
    pub fn from_columns(window: Option<i64>, staff: Option<i64>) -> Option<Entrant> {
        match (window, staff) {
            (Some(w), None) => Some(Entrant::Window(WindowId(w))),
            (None, Some(s)) => Some(Entrant::Staff(StaffId(s))),
            _ => None,
        }
    }

    /// The two nullable columns (`window_id`, `staff_id`): exactly one is set, so a row of
    /// this entrant is matched by `(window_id = $w or staff_id = $s)`, which each column's
    /// index serves (`is not distinct from` on both, which no index serves, read a whole
    /// month of a center to find one row).
    pub fn columns(self) -> (Option<i64>, Option<i64>) {
        match self {
            Entrant::Window(w) => (Some(w.0), None),
            Entrant::Staff(s) => (None, Some(s.0)),
        }
    }

    /// The id in the recount format (SPEC.md §5): `W12`, `S34`.
    pub fn recount_id(self) -> String {
        match self {
            Entrant::Window(w) => format!("W{w}"),
            Entrant::Staff(s) => format!("S{s}"),
        }
    }

    /// The value of a select box that offers windows and staff together: `w12`, `s34`.
    pub fn choice_value(self) -> String {
        match self {
            Entrant::Window(w) => format!("w{w}"),
            Entrant::Staff(s) => format!("s{s}"),
        }
    }

    /// Reads [`Entrant::choice_value`].
    pub fn parse_choice(raw: &str) -> Option<Entrant> {
        if let Some(w) = raw.strip_prefix('w') {
            WindowId::parse(w).map(Entrant::Window)
        } else {
            StaffId::parse(raw.strip_prefix('s')?).map(Entrant::Staff)
        }
    }

    pub fn is_staff(self) -> bool {
        matches!(self, Entrant::Staff(_))
    }

    /// Whether it is a window or a staff member.
    pub fn kind(self) -> crate::scoring::Kind {
        match self {
            Entrant::Window(_) => crate::scoring::Kind::Window,
            Entrant::Staff(_) => crate::scoring::Kind::Staff,
        }
    }

    /// The window's or the staff member's id, as a number.
    pub fn id(self) -> i64 {
        match self {
            Entrant::Window(w) => w.0,
            Entrant::Staff(s) => s.0,
        }
    }

    /// A window's or a staff member's id, as the grid of one kind carries it.
    pub fn of(kind: crate::scoring::Kind, id: i64) -> Entrant {
        match kind {
            crate::scoring::Kind::Window => Entrant::Window(WindowId(id)),
            crate::scoring::Kind::Staff => Entrant::Staff(StaffId(id)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_entrant_reads_back_what_it_writes() {
        for e in [Entrant::Window(WindowId(12)), Entrant::Staff(StaffId(34))] {
            assert_eq!(Entrant::parse_choice(&e.choice_value()), Some(e));
            assert_eq!(Entrant::from_columns(e.columns().0, e.columns().1), Some(e));
        }
        assert_eq!(Entrant::Window(WindowId(12)).recount_id(), "W12");
        for bad in ["", "w", "w0", "w-1", "s1x", "x1", "12", "w 1"] {
            assert_eq!(Entrant::parse_choice(bad), None, "{bad}");
        }
        assert_eq!(Entrant::from_columns(Some(1), Some(2)), None);
        assert_eq!(Entrant::from_columns(None, None), None);
    }
}

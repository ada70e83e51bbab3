//! A center's organization as the score grid lists it (departments, windows, active staff
//! in the grid's order), read in one go and kept by each process for as long as the
//! center's `org_revision` (migration 0025) stays the same. A province's largest center has
//! 1,200 windows and 6,000 staff: reading them for every page of the grid (the window
//! filter, the departments' counts, a page of staff in window order) was most of its cost.
//!
//! Every order here is the database's (`order by` in the queries that read them), so the
//! pages list rows exactly as the queries they replace did.

use crate::domain::ids::{CenterId, WindowId};
use crate::scoring::Kind;
use sqlx::PgConnection;

use crate::db::score::GridSection;

/// A department, in the departments' order (`sort_order`, then name).
#[derive(Debug, Clone)]
pub struct RosterDepartment {
    pub department_id: i64,
    pub name: String,
    pub active: bool,
}

/// A window, in the windows' order (the length of the number, then the number).
#[derive(Debug, Clone)]
pub struct RosterWindow {
    pub window_id: i64,
    pub department_id: i64,
    pub number: String,
    pub name: String,
    pub active: bool,
}

impl RosterWindow {
    /// "12号窗口 不动产登记", as every list names a window.
    pub fn label(&self) -> String {
        format!("{}号窗口 {}", self.number, self.name)
    }
}

/// An active staff member, in the grid's order: by window (whatever the window's state),
/// then employee number.
#[derive(Debug, Clone)]
pub struct RosterStaff {
    pub staff_id: i64,
    pub window_id: i64,
    pub department_id: i64,
    /// Name and employee number, as the grid labels the row.
    pub label: String,
    pub name: String,
    /// 工号.
    pub employee_no: String,
    /// 岗位.
    pub position: String,
    /// The window, as the grid shows it under the label.
    pub detail: String,
}

/// A center's departments, windows and active staff, each in its order.
#[derive(Debug, Clone, Default)]
pub struct Roster {
    pub departments: Vec<RosterDepartment>,
    pub windows: Vec<RosterWindow>,
    pub staff: Vec<RosterStaff>,
    /// How many staff each window has, active or not (the admin's staff list counts them).
    pub all_staff_by_window: std::collections::HashMap<i64, i64>,
    /// Where each department is in `departments`, by id.
    department_at: std::collections::HashMap<i64, usize>,
    /// Where each window is in `windows`, by id.
    window_at: std::collections::HashMap<i64, usize>,
    /// Where each active staff member is in `staff`, by id.
    staff_at: std::collections::HashMap<i64, usize>,
    /// [`Roster::sections`] of the windows and of the staff, counted once.
    window_sections: Vec<GridSection>,
    staff_sections: Vec<GridSection>,
}

/// Reads a center's roster from the database, its four statements in one snapshot (a change
/// committed between them would otherwise drop a new window's staff, or list staff of a
/// window not read).
pub async fn load(conn: &mut PgConnection, center_id: CenterId) -> sqlx::Result<Roster> {
    use sqlx::Connection;
    let mut tx = conn.begin().await?;
    sqlx::query("set transaction isolation level repeatable read, read only")
        .execute(&mut *tx)
        .await?;
    let roster = read(&mut tx, center_id).await?;
    tx.commit().await?;
    Ok(roster)
}

async fn read(conn: &mut PgConnection, center_id: CenterId) -> sqlx::Result<Roster> {
    let departments: Vec<(i64, String, bool)> = sqlx::query_as(
        "select department_id, name, active from department where center_id = $1
         order by sort_order, name",
    )
    .bind(center_id.0)
    .fetch_all(&mut *conn)
    .await?;
    let windows: Vec<(i64, i64, String, String, bool)> = sqlx::query_as(
        "select window_id, department_id, number, name, active from service_window
          where center_id = $1 order by length(number), number",
    )
    .bind(center_id.0)
    .fetch_all(&mut *conn)
    .await?;
    let staff: Vec<(i64, i64, String, String, String, String)> = sqlx::query_as(
        "select s.staff_id, s.window_id, s.name || '（' || s.employee_no || '）', s.name, s.employee_no, s.position
           from service_window w
           join staff s on s.center_id = w.center_id and s.window_id = w.window_id and s.active
          where w.center_id = $1
          order by length(w.number), w.number, s.employee_no",
    )
    .bind(center_id.0)
    .fetch_all(&mut *conn)
    .await?;
    let all_staff_by_window: Vec<(i64, i64)> = sqlx::query_as(
        "select window_id, count(*) from staff where center_id = $1 group by window_id",
    )
    .bind(center_id.0)
    .fetch_all(conn)
    .await?;
    let windows: Vec<RosterWindow> = windows
        .into_iter()
        .map(
            |(window_id, department_id, number, name, active)| RosterWindow {
                window_id,
                department_id,
                number,
                name,
                active,
            },
        )
        .collect();
    let window_at: std::collections::HashMap<i64, usize> = windows
        .iter()
        .enumerate()
        .map(|(i, w)| (w.window_id, i))
        .collect();
    let staff: Vec<RosterStaff> = staff
        .into_iter()
        .filter_map(
            |(staff_id, window_id, label, name, employee_no, position)| {
                let w = &windows[*window_at.get(&window_id)?];
                Some(RosterStaff {
                    staff_id,
                    window_id,
                    department_id: w.department_id,
                    label,
                    name,
                    employee_no,
                    position,
                    detail: w.label(),
                })
            },
        )
        .collect();
    let staff_at = staff
        .iter()
        .enumerate()
        .map(|(i, s)| (s.staff_id, i))
        .collect();
    let departments: Vec<RosterDepartment> = departments
        .into_iter()
        .map(|(department_id, name, active)| RosterDepartment {
            department_id,
            name,
            active,
        })
        .collect();
    let department_at = departments
        .iter()
        .enumerate()
        .map(|(i, d)| (d.department_id, i))
        .collect();
    let mut roster = Roster {
        departments,
        windows,
        staff,
        all_staff_by_window: all_staff_by_window.into_iter().collect(),
        department_at,
        window_at,
        staff_at,
        window_sections: Vec::new(),
        staff_sections: Vec::new(),
    };
    roster.window_sections = roster.count_sections(Kind::Window);
    roster.staff_sections = roster.count_sections(Kind::Staff);
    Ok(roster)
}

impl Roster {
    /// The grid's sections in the departments' order: every active department, and an
    /// inactive one as long as it still holds active entrants of `kind`, with how many
    /// active entrants of `kind` each holds.
    pub fn sections(&self, kind: Kind) -> &[GridSection] {
        match kind {
            Kind::Window => &self.window_sections,
            Kind::Staff => &self.staff_sections,
        }
    }

    fn count_sections(&self, kind: Kind) -> Vec<GridSection> {
        let mut entrants: std::collections::HashMap<i64, i64> = std::collections::HashMap::new();
        match kind {
            Kind::Staff => {
                for s in &self.staff {
                    *entrants.entry(s.department_id).or_default() += 1;
                }
            }
            Kind::Window => {
                for w in self.windows.iter().filter(|w| w.active) {
                    *entrants.entry(w.department_id).or_default() += 1;
                }
            }
        }
        self.departments
            .iter()
            .filter_map(|d| {
                let n = entrants.get(&d.department_id).copied().unwrap_or(0);
                (d.active || n > 0).then(|| GridSection {
                    department_id: d.department_id,
                    name: if d.active {
                        d.name.clone()
                    } else {
                        format!("{}（已停用）", d.name)
                    },
                    entrants: n,
                })
            })
            .collect()
    }

    /// The windows a filter offers: the active ones (of `department_id`, when given), and
    /// `keep` whatever its state, labelled as [`crate::db::org::department_window_options`].
    pub fn window_options(
        &self,
        department_id: Option<i64>,
        keep: Option<WindowId>,
    ) -> Vec<(i64, String)> {
        self.windows
            .iter()
            .filter(|w| {
                (w.active && department_id.is_none_or(|d| w.department_id == d))
                    || keep.is_some_and(|k| k.0 == w.window_id)
            })
            .map(|w| {
                let label = w.label();
                if w.active {
                    (w.window_id, label)
                } else {
                    (w.window_id, format!("{label}（已停用）"))
                }
            })
            .collect()
    }

    /// The active staff of a department or of a window (or all), in the grid's order.
    pub fn staff_of(
        &self,
        department_id: Option<i64>,
        window_id: Option<WindowId>,
    ) -> impl Iterator<Item = &RosterStaff> {
        self.staff.iter().filter(move |s| {
            department_id.is_none_or(|d| s.department_id == d)
                && window_id.is_none_or(|w| s.window_id == w.0)
        })
    }

    /// The window with this id, active or not.
    pub fn window(&self, window_id: i64) -> Option<&RosterWindow> {
        self.window_at.get(&window_id).map(|&i| &self.windows[i])
    }

    /// Where the window stands in the windows' order (after every window when unknown).
    pub fn place(&self, window_id: i64) -> usize {
        self.window_at
            .get(&window_id)
            .copied()
            .unwrap_or(usize::MAX)
    }

    /// The active staff member with this id.
    pub fn active_staff(&self, staff_id: i64) -> Option<&RosterStaff> {
        self.staff_at.get(&staff_id).map(|&i| &self.staff[i])
    }

    /// The department's name (as it is, without a mark of its state).
    pub fn department_name(&self, department_id: i64) -> Option<&str> {
        self.department_at
            .get(&department_id)
            .map(|&i| self.departments[i].name.as_str())
    }

    /// How many staff, active or not, the center has (or a window has).
    pub fn all_staff(&self, window_id: Option<WindowId>) -> i64 {
        match window_id {
            Some(w) => self.all_staff_by_window.get(&w.0).copied().unwrap_or(0),
            None => self.all_staff_by_window.values().sum(),
        }
    }

    /// How many active windows and active staff the center has: the totals of a month's
    /// assessment ([`crate::db::not_assessed::month_counts`]).
    pub fn entrant_totals(&self) -> [i64; 2] {
        [
            self.windows.iter().filter(|w| w.active).count() as i64,
            self.staff.len() as i64,
        ]
    }

    /// The active windows (of a department, when given), in the windows' order.
    pub fn active_windows(
        &self,
        department_id: Option<i64>,
    ) -> impl Iterator<Item = &RosterWindow> {
        self.windows
            .iter()
            .filter(move |w| w.active && department_id.is_none_or(|d| w.department_id == d))
    }
}

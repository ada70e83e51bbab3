//! The window filter (筛选窗口) of the staff list, the score grid and the duty days. A
//! province's largest center offers 1,200 windows in it: building, escaping and writing
//! 1,200 options for every page was most of the processor time those pages took. The
//! options of a center's organization (per department, or all) are rendered once per
//! revision of it and kept; a page writes them with its own choice marked.

use std::fmt;
use std::sync::Arc;

use askama::Template;

use super::AppState;
use super::extract::CurrentUser;
use crate::db::org::Roster;
use crate::domain::ids::{CenterId, WindowId};

/// The rendered options kept: a center's whole list and each department's.
pub const KEPT: usize = 1024;

/// The cache of rendered options, by center and department (`None`: every department).
pub type Cache = crate::db::snapshot::VersionedCache<String, (CenterId, Option<i64>)>;

#[derive(Template)]
#[template(
    source = r#"{% for (id, label) in options %}<option value="{{ id }}">{{ label }}</option>{% endfor %}"#,
    ext = "html"
)]
struct Options<'a> {
    options: &'a [(i64, String)],
}

fn render(options: &[(i64, String)]) -> String {
    // Ids and labels only: rendering cannot fail.
    Options { options }.render().unwrap_or_default()
}

/// The `<option>`s of a window filter, one of them selected; written into a page unescaped
/// (`{{ windows|safe }}`): the labels were escaped when the options were rendered.
pub struct WindowFilter {
    options: Arc<String>,
    selected: Option<i64>,
}

impl WindowFilter {
    /// No options (a page without the filter).
    pub fn none() -> WindowFilter {
        WindowFilter {
            options: Arc::default(),
            selected: None,
        }
    }

    /// The active windows of `department` (every department's when `None`) and `selected`,
    /// whatever its state, in the windows' order (as [`Roster::window_options`]).
    pub async fn of(
        state: &AppState,
        user: &CurrentUser,
        roster: &Roster,
        department: Option<i64>,
        selected: Option<WindowId>,
    ) -> WindowFilter {
        let listed = |w: WindowId| {
            roster
                .window(w.0)
                .is_some_and(|w| w.active && department.is_none_or(|d| w.department_id == d))
        };
        // Only a department of the center is kept (an id typed into the address would
        // otherwise take a place in the cache).
        let known = department.is_none_or(|d| roster.department_name(d).is_some());
        let options = if known && selected.is_none_or(listed) {
            let loaded = state
                .window_options
                .get_or_load(
                    (user.center_id, department),
                    user.org_revision,
                    async || {
                        Ok::<_, std::convert::Infallible>(render(
                            &roster.window_options(department, None),
                        ))
                    },
                )
                .await;
            match loaded {
                Ok(options) => options,
                Err(never) => match never {},
            }
        } else {
            // A window the list does not hold (inactive, or of another department) is
            // added where it stands, or the department is not the center's: rendered for
            // this page alone.
            Arc::new(render(&roster.window_options(department, selected)))
        };
        WindowFilter {
            options,
            selected: selected.map(|w| w.0),
        }
    }
}

impl fmt::Display for WindowFilter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let html = self.options.as_str();
        let Some(id) = self.selected else {
            return f.write_str(html);
        };
        // `">` ends the value: "12" does not match the option of window 123.
        let tag = format!("<option value=\"{id}\">");
        match html.find(&tag) {
            Some(at) => {
                let end = at + tag.len();
                f.write_str(&html[..end - 1])?;
                f.write_str(" selected>")?;
                f.write_str(&html[end..])
            }
            None => f.write_str(html),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn filter(selected: Option<i64>) -> String {
        let options = vec![
            (12, "12号窗口 <不动产>".to_string()),
            (123, "123号窗口 社保".to_string()),
        ];
        WindowFilter {
            options: Arc::new(render(&options)),
            selected,
        }
        .to_string()
    }

    #[test]
    fn marks_the_chosen_window_only_and_escapes_labels() {
        assert_eq!(
            filter(Some(123)),
            r#"<option value="12">12号窗口 &#60;不动产&#62;</option><option value="123" selected>123号窗口 社保</option>"#
        );
        assert_eq!(
            filter(Some(12)),
            r#"<option value="12" selected>12号窗口 &#60;不动产&#62;</option><option value="123">123号窗口 社保</option>"#
        );
        assert!(!filter(None).contains("selected"));
        assert!(!filter(Some(1)).contains("selected"));
    }
}

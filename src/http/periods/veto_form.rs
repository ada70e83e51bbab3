//! The veto form, shared by recording a veto before candidates are confirmed and by a
//! correction after publication: each field's name is written once, here, where it is read,
//! checked and kept as typed for the page.

use time::Date;

use crate::db;
use crate::domain::ids::Entrant;
use crate::domain::veto::VetoCode;
use crate::http::AppState;
use crate::http::error::AppResult;
use crate::http::extract::CurrentUser;
use crate::http::form::{FieldError, Fields, FormData};
use crate::http::page::Choice;

/// The fields as typed, shown again when the form comes back with a message.
#[derive(Default)]
pub struct VetoValues {
    pub target: String,
    pub code: String,
    pub occurred_on: String,
    pub description: String,
    pub evidence: String,
}

/// A veto as read from a valid form.
pub struct VetoForm {
    pub entrant: Entrant,
    pub code: VetoCode,
    pub occurred_on: Date,
    pub description: String,
}

impl VetoForm {
    /// Reads whom, which veto, when and what happened; `None` with a message per bad field
    /// in `f.errors`. `with_evidence` also keeps the evidence field as typed.
    pub fn read(
        f: &mut Fields,
        form: &FormData,
        with_evidence: bool,
    ) -> (VetoValues, Option<VetoForm>) {
        let values = VetoValues {
            target: form.echo("target"),
            code: form.echo("code"),
            occurred_on: form.echo("occurred_on"),
            description: form.echo("description"),
            evidence: if with_evidence {
                form.echo("evidence")
            } else {
                String::new()
            },
        };
        let entrant = f.with("target", |raw| {
            Entrant::parse_choice(raw)
                .ok_or_else(|| FieldError::Message("请选择窗口或工作人员".to_string()))
        });
        let code = f.with("code", |raw| {
            VetoCode::parse(raw)
                .ok_or_else(|| FieldError::Message("请选择一票否决情形".to_string()))
        });
        let occurred_on = f.with("occurred_on", parse_date);
        let description = f.paragraph("description", 1000);
        let veto = match (entrant, code, occurred_on, description) {
            (Some(entrant), Some(code), Some(occurred_on), Some(description)) => Some(VetoForm {
                entrant,
                code,
                occurred_on,
                description,
            }),
            _ => None,
        };
        (values, veto)
    }

    /// The row to store, with its evidence.
    pub fn input(&self, evidence: String) -> db::veto::VetoInput {
        db::veto::VetoInput {
            entrant: self.entrant,
            code: self.code,
            occurred_on: self.occurred_on,
            description: self.description.clone(),
            evidence,
        }
    }
}

/// A date as `2026-03-12`, within 2000–2100.
fn parse_date(raw: &str) -> Result<Date, FieldError> {
    let fmt = time::macros::format_description!("[year]-[month]-[day]");
    Date::parse(raw.trim(), &fmt)
        .ok()
        .filter(|d| (2000..=2100).contains(&d.year()))
        .ok_or_else(|| FieldError::Message("日期应如 2026-03-12".to_string()))
}

/// The select boxes of a veto form (windows, staff, codes), the typed choice selected.
pub struct VetoChoices {
    pub windows: Vec<Choice>,
    pub staff: Vec<Choice>,
    pub codes: Vec<Choice>,
}

pub async fn veto_choices(
    state: &AppState,
    user: &CurrentUser,
    values: &VetoValues,
) -> AppResult<VetoChoices> {
    let mut conn = state.db.acquire().await?;
    let windows = db::org::window_options(&mut conn, user.center_id, None).await?;
    let staff = db::org::staff_options(&mut conn, user.center_id, None).await?;
    let choice = |prefix: char, (id, label): &(i64, String)| Choice {
        value: format!("{prefix}{id}"),
        label: label.clone(),
        selected: values.target == format!("{prefix}{id}"),
    };
    Ok(VetoChoices {
        windows: windows.iter().map(|w| choice('w', w)).collect(),
        staff: staff.iter().map(|s| choice('s', s)).collect(),
        codes: VetoCode::ALL
            .iter()
            .map(|c| Choice {
                value: c.as_str().to_string(),
                label: c.label().to_string(),
                selected: values.code == c.as_str(),
            })
            .collect(),
    })
}

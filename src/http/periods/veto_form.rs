//! The veto form, shared by recording a veto before candidates are confirmed and by a
//! correction after publication: each field's name is written once, here, where it is read,
//! checked and kept as typed for the page.

use time::Date;

use crate::db;
use crate::domain::ids::{Entrant, StaffId, WindowId};
use crate::domain::veto::VetoCode;
use crate::http::AppState;
use crate::http::error::AppResult;
use crate::http::extract::CurrentUser;
use crate::http::form::{FieldError, Fields};
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
    /// Reads whom, which veto, when and what happened, each field once: what was typed
    /// (evidence left empty: only the veto form has it), and the veto when every field is
    /// valid (else a message per bad field in `f.errors`).
    pub fn read(f: &mut Fields) -> (VetoValues, Option<VetoForm>) {
        let (target, entrant) = f.read("target", |raw| {
            Entrant::parse_choice(raw)
                .ok_or_else(|| FieldError::Message("请选择窗口或工作人员".to_string()))
        });
        let (code_typed, code) = f.read("code", |raw| {
            VetoCode::parse(raw)
                .ok_or_else(|| FieldError::Message("请选择一票否决情形".to_string()))
        });
        let (occurred_typed, occurred_on) = f.read("occurred_on", crate::http::form::date);
        let (description_typed, description) = f.read("description", |raw| {
            Ok(crate::domain::text::paragraph(raw, 1000)?)
        });
        let values = VetoValues {
            target,
            code: code_typed,
            occurred_on: occurred_typed,
            description: description_typed,
            evidence: String::new(),
        };
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
    let choice = |entrant: Entrant, label: &String| {
        let value = entrant.choice_value();
        Choice {
            selected: values.target == value,
            value,
            label: label.clone(),
        }
    };
    Ok(VetoChoices {
        windows: windows
            .iter()
            .map(|(id, label)| choice(Entrant::Window(WindowId(*id)), label))
            .collect(),
        staff: staff
            .iter()
            .map(|(id, label)| choice(Entrant::Staff(StaffId(*id)), label))
            .collect(),
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

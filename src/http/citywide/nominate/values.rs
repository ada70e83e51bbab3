//! The nomination form as typed: the accounts counted in 字, a note per condition, and what
//! the records say of each checked condition.

use crate::db;
use crate::db::citywide::nomination::{Nomination, NominationInput};
use crate::db::citywide::{Condition, Round};
use crate::domain::text;
use crate::http::error::AppResult;
use crate::http::form::{Errors, Fields, FormData};
use crate::http::urls;
use crate::scoring::Kind;

/// The longest an account may be in characters, whatever its limit in 字 (the columns'
/// own limits).
const MAX_BRIEF_CHARS: usize = 20000;
const MAX_FULL_CHARS: usize = 100000;

/// The most characters an account of `limit` 字 may have: ten a 字 (a long English word
/// is one 字, a run of 10,000 letters is not an account).
fn chars_for(limit: usize, max: usize) -> usize {
    (limit * 10).clamp(100, max)
}

/// A declared condition's row of the form.
pub struct NoteValues {
    pub id: i64,
    pub text: String,
    pub how: String,
    pub declared: bool,
    pub note: String,
    /// What the records say, for a checked condition of a nomination already started.
    pub check: Option<CheckView>,
}

/// What the records say of each checked condition of a nomination, by condition.
pub(crate) async fn check_views(
    conn: &mut sqlx::PgConnection,
    n: &Nomination,
    conditions: &[Condition],
    now: time::OffsetDateTime,
) -> AppResult<std::collections::HashMap<i64, CheckView>> {
    let today = crate::clock::china_date(now);
    let mut out = std::collections::HashMap::new();
    for c in conditions {
        let Some(rule) = c.rule else { continue };
        let k = db::citywide::evidence::check(conn, n.county, n.kind, n.entrant_id, rule, today)
            .await?;
        out.insert(
            c.id,
            CheckView {
                met: k.met,
                summary: k.summary,
                evidence: k
                    .evidence
                    .into_iter()
                    .map(|e| {
                        (
                            e.label,
                            e.certificate.map(|no| format!("{}/{no}", urls::VERIFY)),
                        )
                    })
                    .collect(),
            },
        );
    }
    Ok(out)
}

/// A checked condition's outcome as shown.
pub struct CheckView {
    pub met: bool,
    pub summary: String,
    /// (label, certificate verification page).
    pub evidence: Vec<(String, Option<String>)>,
}

/// The nomination form as typed.
pub(crate) struct NominationValues {
    pub entrant: String,
    pub brief: String,
    pub full_text: String,
    pub version: String,
    pub notes: Vec<NoteValues>,
}

impl NominationValues {
    pub(crate) fn empty(conditions: &[Condition]) -> NominationValues {
        NominationValues {
            entrant: String::new(),
            brief: String::new(),
            full_text: String::new(),
            version: String::new(),
            notes: note_rows(conditions, &[]),
        }
    }

    pub(crate) fn of(
        n: &Nomination,
        conditions: &[Condition],
        notes: &[(i64, String)],
    ) -> NominationValues {
        NominationValues {
            entrant: n.entrant_id.to_string(),
            brief: n.brief.clone(),
            full_text: n.full_text.clone(),
            version: n.version.to_string(),
            notes: note_rows(conditions, notes),
        }
    }

    /// The form, each field read once. A submission also needs both accounts and a note
    /// for each declared condition; a draft may lack them.
    pub(crate) fn read(
        form: &FormData,
        round: &Round,
        kind: Kind,
        conditions: &[Condition],
        submitting: bool,
        evidenced: &[i64],
    ) -> (NominationValues, Option<NominationInput>, Errors) {
        let (brief_limit, full_limit) = round.limits(kind);
        let mut f = Fields::new(form);
        let (brief_typed, brief) = f.read("brief", |raw| {
            let t = text::account(raw, brief_limit, chars_for(brief_limit, MAX_BRIEF_CHARS))?;
            if submitting && t.is_empty() {
                return Err(text::TextError::Empty.into());
            }
            Ok(t)
        });
        let (full_typed, full_text) = f.read("full_text", |raw| {
            let t = text::account(raw, full_limit, chars_for(full_limit, MAX_FULL_CHARS))?;
            if submitting && t.is_empty() {
                return Err(text::TextError::Empty.into());
            }
            Ok(t)
        });
        let mut notes = Vec::new();
        let mut typed = Vec::new();
        for c in conditions {
            let name = format!("note_{}", c.id);
            let declared = c.rule.is_none();
            let (shown, note) = f.read(&name, |raw| {
                let t = text::account(raw, 2000, 2000)?;
                if submitting && declared && t.is_empty() && !evidenced.contains(&c.id) {
                    return Err(crate::http::form::FieldError::Message(
                        "提交前请说明本条件的情况（或上传证明材料后注明）".to_string(),
                    ));
                }
                Ok(t)
            });
            if let Some(note) = note {
                notes.push((c.id, note));
            }
            typed.push((c.id, shown));
        }
        let values = NominationValues {
            entrant: form.echo("entrant"),
            brief: brief_typed,
            full_text: full_typed,
            version: form.echo("version"),
            notes: note_rows(conditions, &typed),
        };
        let input = match (brief, full_text) {
            (Some(brief), Some(full_text)) if f.ok() => Some(NominationInput {
                brief,
                full_text,
                notes,
            }),
            _ => None,
        };
        (values, input, f.errors)
    }
}

fn note_rows(conditions: &[Condition], notes: &[(i64, String)]) -> Vec<NoteValues> {
    conditions
        .iter()
        .map(|c| NoteValues {
            id: c.id,
            text: c.text.clone(),
            how: c.rule.map_or("须说明或提供证明材料".to_string(), |r| {
                r.describe()
            }),
            declared: c.rule.is_none(),
            note: notes
                .iter()
                .find(|(id, _)| *id == c.id)
                .map(|(_, n)| n.clone())
                .unwrap_or_default(),
            check: None,
        })
        .collect()
}

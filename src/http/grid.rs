//! What the keyboard grids (monthly scores, duty days) share: reading the submitted cells
//! with the value and version each showed, and deciding what to write without ever
//! overwriting a change made since the page was opened.

use std::collections::BTreeMap;

use super::form::FormData;

/// A grid shown again after a refused save: every cell as typed (with what is wrong with
/// it), and the reason typed below the grid with what is wrong with that.
#[derive(Default)]
pub struct Typed<'a> {
    pub cells: Option<&'a BTreeMap<i64, (String, Option<String>)>>,
    pub reason: String,
    pub reason_error: Option<String>,
}

/// Shown when the hidden fields of a grid are missing or forged.
pub const STALE: &str = "页面内容不完整或已过期，请刷新页面后重新录入。";

/// A cell as submitted: what was typed, what it means, and the value and version the page
/// showed when it was opened.
pub struct Submitted {
    pub typed: String,
    pub parsed: Result<Option<i32>, String>,
    pub original: Option<i32>,
    pub version: i32,
}

/// Reads cells named `c<id>` with their `o<id>`: the value shown and its version, as
/// `87.50/3` (`/0` for an empty cell never written).
pub fn read_cells(
    form: &FormData,
    parse: fn(&str) -> Result<Option<i32>, &'static str>,
) -> Result<BTreeMap<i64, Submitted>, String> {
    let mut cells = BTreeMap::new();
    for name in form.names() {
        let Some(id) = name
            .strip_prefix('c')
            .and_then(|n| n.parse::<i64>().ok())
            .filter(|id| *id > 0)
        else {
            continue;
        };
        let typed = form.raw(&name).map_err(|_| STALE.to_string())?;
        let shown = form.raw(&format!("o{id}")).map_err(|_| STALE.to_string())?;
        let (original, version) = shown.rsplit_once('/').ok_or_else(|| STALE.to_string())?;
        let original = parse(original).map_err(|_| STALE.to_string())?;
        let version = version
            .parse::<i32>()
            .ok()
            .filter(|v| *v >= 0)
            .ok_or_else(|| STALE.to_string())?;
        let parsed = parse(typed).map_err(str::to_string);
        cells.insert(
            id,
            Submitted {
                typed: typed.chars().take(20).collect(),
                parsed,
                original,
                version,
            },
        );
        if cells.len() > 5000 {
            return Err(STALE.to_string());
        }
    }
    Ok(cells)
}

/// The typed text and message of each cell the user changed (or typed wrongly), to show the
/// grid again. A cell left as it was shows the stored value afresh: keeping its old text
/// beside a fresh version would write that old value back over a colleague's change.
pub fn typed(cells: &BTreeMap<i64, Submitted>) -> BTreeMap<i64, (String, Option<String>)> {
    cells
        .iter()
        .filter(|(_, c)| c.parsed != Ok(c.original))
        .map(|(id, c)| (*id, (c.typed.clone(), c.parsed.clone().err())))
        .collect()
}

/// How many cells hold something that is not a valid value.
pub fn bad(cells: &BTreeMap<i64, Submitted>) -> usize {
    cells.values().filter(|c| c.parsed.is_err()).count()
}

/// The cells whose typed value differs from what the page showed: (id, new, version).
pub fn changed(cells: &BTreeMap<i64, Submitted>) -> Vec<(i64, Option<i32>, i32)> {
    cells
        .iter()
        .filter_map(|(id, c)| {
            let new = *c.parsed.as_ref().ok()?;
            (new != c.original).then_some((*id, new, c.version))
        })
        .collect()
}

/// What a save will do, decided under the rows' locks.
pub enum Plan {
    /// (id, before, after) for each cell to write.
    Write(Vec<(i64, Option<i32>, Option<i32>)>),
    /// Cells changed by someone else since the page was opened: (id, value now, by whom).
    Conflicts(Vec<(i64, Option<i32>, Option<String>)>),
    /// A cell names a row that is not (or no longer) in this center's grid.
    Unknown,
}

/// Compares the changes with the current values and versions (`id → (value, version, by)`).
pub fn plan(
    changed: &[(i64, Option<i32>, i32)],
    current: &BTreeMap<i64, (Option<i32>, i32, Option<String>)>,
) -> Plan {
    let mut writes = Vec::new();
    let mut conflicts = Vec::new();
    for &(id, new, version) in changed {
        let Some((now, now_version, by)) = current.get(&id) else {
            return Plan::Unknown;
        };
        if *now == new {
            continue;
        }
        if *now_version != version {
            conflicts.push((id, *now, by.clone()));
        } else {
            writes.push((id, *now, new));
        }
    }
    if conflicts.is_empty() {
        Plan::Write(writes)
    } else {
        Plan::Conflicts(conflicts)
    }
}

//! Imports from Excel or WPS: the supervision office's monthly scores and duty days, and
//! the admin's roster of a new center. Each is an upload, a preview of what every row would do, and a
//! confirmation that writes all of it in one transaction, or nothing.

use super::routes::Routes;

mod duty_days;
mod roster;
mod roster_plan;
pub(crate) mod scores;

pub fn routes(r: Routes) -> Routes {
    let r = scores::routes(r);
    let r = duty_days::routes(r);
    roster::routes(r)
}

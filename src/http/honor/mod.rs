//! The public face: the honor roll (光荣榜) and its hall-screen mode, winners' photos, and
//! the public verification of certificates; and, signed in, the printable certificates.
//!
//! The honor roll is the most-read page, so it is rendered once and served from memory:
//! no query and no session per request. Publication and corrections notify every server
//! process (PostgreSQL `LISTEN/NOTIFY` on [`db::honor::CHANNEL`]), which drops its cache;
//! a lost listening connection drops it too, since a notification may have been missed.

use super::routes::{Access, Routes};
use super::urls;
use crate::domain::Role;

pub(crate) mod cache;
pub(crate) mod certificates;
mod roll;
pub(crate) mod site;

pub use cache::{HonorCache, ListenerHandle, front, start_listener};

pub fn routes(r: Routes) -> Routes {
    const CERTIFICATES: &[Role] = &[Role::Admin, Role::Supervision];
    r.public(urls::HONOR_ROLL, roll::roll_latest)
        .public("/honor-roll/hall", roll::hall_latest)
        .public("/honor-roll/{code}", roll::roll_of)
        .public("/honor-roll/{code}/hall", roll::hall_of)
        .public("/centers", site::centers)
        .public("/c/{center}/honor-roll", roll::center_roll)
        .public("/c/{center}/honor-roll/hall", roll::center_hall)
        .public("/c/{center}/honor-roll/{code}", roll::center_roll_of)
        .public("/c/{center}/honor-roll/{code}/hall", roll::center_hall_of)
        .public("/c/{center}/verify", certificates::center_verify_form)
        .public(
            "/c/{center}/verify/{number}",
            certificates::center_verify_number,
        )
        .public("/photos/{staff}", roll::photo)
        .public(urls::VERIFY, certificates::verify_form)
        .public("/verify/{number}", certificates::verify_number)
        .get(
            "/certificates/{code}",
            Access::Roles(CERTIFICATES),
            certificates::certificates,
        )
        .get(
            "/certificates/{code}/{number}",
            Access::Roles(CERTIFICATES),
            certificates::certificate,
        )
}

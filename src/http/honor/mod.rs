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

mod cache;
mod certificates;
mod roll;

pub use cache::{HonorCache, ListenerHandle, front, start_listener};

pub fn routes(r: Routes) -> Routes {
    const CERTIFICATES: &[Role] = &[Role::Admin, Role::Supervision];
    r.get(urls::HONOR_ROLL, Access::Public, roll::roll_latest)
        .get("/honor-roll/hall", Access::Public, roll::hall_latest)
        .get("/honor-roll/{code}", Access::Public, roll::roll_of)
        .get("/honor-roll/{code}/hall", Access::Public, roll::hall_of)
        .get("/photos/{staff}", Access::Public, roll::photo)
        .get(urls::VERIFY, Access::Public, certificates::verify_form)
        .get(
            "/verify/{number}",
            Access::Public,
            certificates::verify_number,
        )
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

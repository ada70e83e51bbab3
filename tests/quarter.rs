//! A whole quarter through the pages, in one process (the steps are in
//! `common/quarter.rs`, which `tests/cluster.rs` also runs through nginx).

mod common;

use common::*;
use sqlx::PgPool;

#[sqlx::test]
async fn a_quarter_from_the_first_score_to_the_published_winners(pool: PgPool) {
    let app = spawn(pool).await;
    quarter::a_whole_quarter(&app).await;
}

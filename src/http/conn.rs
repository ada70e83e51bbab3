//! The database as the handlers reach it: the pool, and for a page one connection from the
//! session's check to the end of the request.
//!
//! A signed-in page used to take a connection from the pool to read its session, give it
//! back, then take one for each part of the page (its data, the to-do list, the warnings)
//! and give each back. sqlx checks every connection it takes back with a round trip to
//! PostgreSQL, and on a busy two-core machine a round trip costs about as much as a light
//! statement (docs/PERFORMANCE.md, "the sixth pass"). For a page (GET or HEAD),
//! [`super::extract::load_session`] keeps the session's connection for the whole request
//! ([`hand_on`]): [`Db::acquire`] lends it, and a [`Conn`] that is dropped gives it back to
//! the request, not to the pool. The pool gets it back once, when the request is done.
//!
//! A part of a page that takes a second connection while holding the first gets one from
//! the pool, as before. Forms (POST) keep nothing: a ballot waits for its turn without
//! holding a connection (see [`super::ballot_turns`]).

use std::cell::RefCell;
use std::future::Future;
use std::ops::{Deref, DerefMut};

use sqlx::pool::PoolConnection;
use sqlx::{PgConnection, PgPool, Postgres, Transaction};

tokio::task_local! {
    /// The request's connection while no part of the page holds it.
    static REQUEST_CONN: RefCell<Option<PoolConnection<Postgres>>>;
}

/// The pool, with the request's own connection lent first.
#[derive(Clone, Debug)]
pub struct Db {
    pool: PgPool,
}

impl Db {
    pub fn new(pool: PgPool) -> Db {
        Db { pool }
    }

    /// The pool itself: its gauges, and the work that is not a request's.
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// A connection: the request's own when it has one and no part of the page holds it;
    /// else the pool's.
    pub async fn acquire(&self) -> sqlx::Result<Conn> {
        Ok(match lent() {
            Some(conn) => Conn {
                conn: Some(conn),
                own: true,
            },
            None => Conn {
                conn: Some(self.pool.acquire().await?),
                own: false,
            },
        })
    }

    /// A transaction: on the request's own connection when it has one and no part of the
    /// page holds it (the pool gets it back when the transaction ends); else on the pool's.
    /// A page that opens a transaction thus holds one connection, not its idle own and a
    /// second one.
    pub async fn begin(&self) -> sqlx::Result<Transaction<'static, Postgres>> {
        match lent() {
            Some(conn) => Transaction::begin(conn, None).await,
            None => self.pool.begin().await,
        }
    }
}

/// The request's own connection, when there is one and no part of the page holds it.
fn lent() -> Option<PoolConnection<Postgres>> {
    REQUEST_CONN
        .try_with(|slot| slot.borrow_mut().take())
        .ok()
        .flatten()
}

/// A connection lent by [`Db::acquire`]. The request's own goes back to the request when
/// dropped; one of the pool's, to the pool.
#[derive(Debug)]
pub struct Conn {
    conn: Option<PoolConnection<Postgres>>,
    /// The request's own connection, lent by it.
    own: bool,
}

impl Deref for Conn {
    type Target = PgConnection;

    fn deref(&self) -> &PgConnection {
        self.conn
            .as_ref()
            .expect("a Conn holds its connection until it is dropped")
    }
}

impl DerefMut for Conn {
    fn deref_mut(&mut self) -> &mut PgConnection {
        self.conn
            .as_mut()
            .expect("a Conn holds its connection until it is dropped")
    }
}

impl Drop for Conn {
    fn drop(&mut self) {
        let Some(conn) = self.conn.take() else { return };
        if !self.own {
            return;
        }
        // Back to the request. Outside it (moved into a task of its own, say) the closure
        // is not run: `conn` is dropped with it and goes back to the pool.
        let _ = REQUEST_CONN.try_with(move |slot| {
            let mut slot = slot.borrow_mut();
            if slot.is_none() {
                *slot = Some(conn);
            }
        });
    }
}

/// Runs `fut` (the rest of a page's request) keeping `conn` for it: what [`Db::acquire`]
/// lends first. The pool gets it back when `fut` is done.
pub async fn hand_on<F: Future>(conn: PoolConnection<Postgres>, fut: F) -> F::Output {
    REQUEST_CONN.scope(RefCell::new(Some(conn)), fut).await
}

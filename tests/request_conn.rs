//! A page's request keeps one connection from its session's check to its end
//! (`http::conn`): its parts read on it one after another, a part that asks while another
//! holds it gets the pool's, what one part leaves open does not reach the next, a part's
//! own transaction runs on it too, and the pool has it back when the request is done.

use pingxuan::http::conn::{Db, hand_on};
use sqlx::{Connection, PgConnection, PgPool};

async fn backend(conn: &mut PgConnection) -> i32 {
    sqlx::query_scalar("select pg_backend_pid()")
        .fetch_one(conn)
        .await
        .unwrap()
}

async fn insert_row(conn: &mut PgConnection, x: i32) {
    sqlx::query("insert into part_rows values ($1)")
        .bind(x)
        .execute(conn)
        .await
        .unwrap();
}

#[sqlx::test]
async fn the_parts_of_a_request_read_on_its_connection_one_after_another(pool: PgPool) {
    let db = Db::new(pool.clone());
    let mut session = pool.acquire().await.unwrap();
    let session_backend = backend(&mut session).await;
    sqlx::query("create table part_rows (x int)")
        .execute(&mut *session)
        .await
        .unwrap();
    hand_on(session, async {
        let mut first = db.acquire().await.unwrap();
        assert_eq!(
            backend(&mut first).await,
            session_backend,
            "the page's first part"
        );
        // A part that asks while another holds the request's connection: the pool's.
        let mut second = db.acquire().await.unwrap();
        assert_ne!(backend(&mut second).await, session_backend);
        drop(second);
        // A part that leaves its transaction open, neither committed nor rolled back.
        {
            let mut tx = first.begin().await.unwrap();
            insert_row(&mut tx, 1).await;
        }
        drop(first);
        let mut next = db.acquire().await.unwrap();
        assert_eq!(
            backend(&mut next).await,
            session_backend,
            "the next part, same connection"
        );
        let rows: i64 = sqlx::query_scalar("select count(*) from part_rows")
            .fetch_one(&mut *next)
            .await
            .unwrap();
        assert_eq!(
            rows, 0,
            "what a part left open is rolled back before the next reads"
        );
        // And the next part's own transaction is a transaction, not a savepoint of the last.
        let mut tx = next.begin().await.unwrap();
        insert_row(&mut tx, 2).await;
        tx.commit().await.unwrap();
        // Seen from another connection: committed, not a savepoint inside an open transaction.
        let mut other = pool.acquire().await.unwrap();
        let rows: Vec<i32> = sqlx::query_scalar("select x from part_rows")
            .fetch_all(&mut *other)
            .await
            .unwrap();
        assert_eq!(rows, vec![2]);
        drop(other);
        drop(next);
        // A part that opens a transaction of its own opens it on the request's connection.
        let mut tx = db.begin().await.unwrap();
        assert_eq!(
            backend(&mut tx).await,
            session_backend,
            "a transaction of a part"
        );
        tx.commit().await.unwrap();
    })
    .await;
    // Outside a request: the pool's connections, the request's among them again (once
    // every connection is back: sqlx takes them back in a task of its own).
    for _ in 0..200 {
        if pool.num_idle() == pool.size() as usize {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    let mut seen = Vec::new();
    let mut held = Vec::new();
    for _ in 0..pool.size() {
        let mut c = db.acquire().await.unwrap();
        seen.push(backend(&mut c).await);
        held.push(c);
    }
    assert!(
        seen.contains(&session_backend),
        "the pool has the request's connection back: {seen:?}"
    );
}

//! The write queue: per-poll writes from many concurrent refreshes are committed
//! together.
//!
//! Each refresh used to commit its own transaction; with 10,000 feeds that is
//! 10,000 commits, each rewriting the same index and `feeds` pages into the WAL
//! (a profile of the cold 10,000-feed poll put a quarter of all CPU in commits
//! and their checkpoints). Now a poll's write is queued to one writer thread,
//! which takes whatever has queued up while it was busy (up to [`MAX_BATCH`])
//! and runs it in one transaction, each write in its own savepoint: a write that
//! fails is rolled back alone and reported to its caller; the others commit.
//! When nothing else is queued a write commits at once, so a lone poll waits no
//! longer than before.
//!
//! The queue is an unbounded channel, but each caller waits for its reply, so it
//! never holds more than the number of polls running at once (`concurrency`).

use std::sync::Arc;
use std::sync::mpsc;

use rusqlite::Connection;
use tokio::sync::oneshot;

use super::Shared;
use crate::store::{Pending, StoreError};

/// Most writes committed in one transaction. With `concurrency` polls at most
/// that many are ever queued; the cap bounds how long one batch holds the
/// writer connection when something else (extraction results, reevaluation) waits for it.
const MAX_BATCH: usize = 128;

/// A queued write, type-erased so one channel carries them all.
pub(super) trait Job: Send {
    /// Runs inside the batch's transaction, in the job's own savepoint. On
    /// failure (the job is rolled back alone) returns a copy of its error.
    fn run(&mut self, c: &Connection, shared: &Shared) -> Result<(), rusqlite::Error>;
    /// After the batch: `committed` is the batch's outcome. Replies to the caller.
    fn finish(self: Box<Self>, shared: &Shared, committed: Result<(), &rusqlite::Error>);
}

/// `run` does the SQL inside the transaction; `after` turns its value into the
/// caller's reply once the transaction has committed (cache updates and change
/// counters belong there: a rolled-back write must not show).
struct Queued<T, U, R, A> {
    run: Option<R>,
    after: Option<A>,
    value: Option<Result<T, StoreError>>,
    reply: oneshot::Sender<Result<U, StoreError>>,
}

impl<T, U, R, A> Job for Queued<T, U, R, A>
where
    T: Send,
    U: Send,
    R: FnOnce(&Connection, &Shared) -> rusqlite::Result<T> + Send,
    A: FnOnce(T, &Shared) -> U + Send,
{
    fn run(&mut self, c: &Connection, shared: &Shared) -> Result<(), rusqlite::Error> {
        let run = self.run.take().expect("a job runs once");
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| run(c, shared)));
        let value = match result {
            Ok(Ok(v)) => Ok(v),
            Ok(Err(e)) => Err(StoreError::Sqlite(e)),
            Err(panic) => Err(StoreError::Task(format!(
                "a database write panicked: {}",
                panic_message(&*panic)
            ))),
        };
        let outcome = match &value {
            Ok(_) => Ok(()),
            Err(StoreError::Sqlite(e)) => Err(copy_error(e)),
            Err(e) => Err(failure(rusqlite::ffi::SQLITE_ERROR, e.to_string())),
        };
        self.value = Some(value);
        outcome
    }

    fn finish(mut self: Box<Self>, shared: &Shared, committed: Result<(), &rusqlite::Error>) {
        let reply = match (self.value.take(), committed) {
            // The job's own failure is its answer, whatever became of the batch.
            (Some(Err(e)), _) => Err(e),
            (Some(Ok(v)), Ok(())) => Ok(self.after.take().expect("finish runs once")(v, shared)),
            (_, Err(e)) => Err(StoreError::Sqlite(copy_error(e))),
            (None, Ok(())) => Err(StoreError::Task("a queued write never ran".into())),
        };
        // The caller may have gone away (shutdown); nothing to tell then.
        let _ = self.reply.send(reply);
    }
}

/// The sending side, held by every `Store` clone; the writer thread ends when
/// the last one is dropped.
#[derive(Clone)]
pub(super) struct Queue {
    tx: mpsc::Sender<Box<dyn Job>>,
}

impl Queue {
    /// Starts the writer thread for `shared`'s connection.
    pub(super) fn start(shared: Arc<Shared>) -> std::io::Result<Queue> {
        let (tx, rx) = mpsc::channel::<Box<dyn Job>>();
        std::thread::Builder::new()
            .name("tidings-writer".into())
            .spawn(move || serve(&shared, &rx))?;
        Ok(Queue { tx })
    }

    /// Queues `run`; `after` maps its value once the batch has committed.
    pub(super) fn push<T, U, R, A>(&self, run: R, after: A) -> Pending<U>
    where
        T: Send + 'static,
        U: Send + 'static,
        R: FnOnce(&Connection, &Shared) -> rusqlite::Result<T> + Send + 'static,
        A: FnOnce(T, &Shared) -> U + Send + 'static,
    {
        let (reply, pending) = Pending::channel();
        let job = Box::new(Queued {
            run: Some(run),
            after: Some(after),
            value: None,
            reply,
        });
        // If the writer thread is gone (it only ends with the last Store, so
        // that would be a bug), the job is dropped with its reply sender and the
        // caller hears "the database writer stopped".
        let _ = self.tx.send(job);
        pending
    }
}

fn serve(shared: &Shared, rx: &mpsc::Receiver<Box<dyn Job>>) {
    while let Ok(first) = rx.recv() {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        let committed = {
            let mut conn = shared.connection();
            run_batch(&mut conn, shared, &mut batch)
        };
        for job in batch {
            job.finish(shared, committed.as_ref().map(|_| ()));
        }
    }
}

/// One transaction for the whole batch, a savepoint per job.
fn run_batch(
    conn: &mut Connection,
    shared: &Shared,
    batch: &mut [Box<dyn Job>],
) -> Result<(), rusqlite::Error> {
    let mut all_ran = true;
    let result = run_jobs(conn, shared, batch, &mut all_ran);
    // What a rolled-back write did to the stories' key index is undone too.
    super::stories::settle(&shared.keys, result.is_ok() && all_ran);
    result
}

fn run_jobs(
    conn: &mut Connection,
    shared: &Shared,
    batch: &mut [Box<dyn Job>],
    all_ran: &mut bool,
) -> Result<(), rusqlite::Error> {
    let mut tx = conn.transaction()?;
    for job in batch.iter_mut() {
        let sp = tx.savepoint()?;
        match job.run(&sp, shared) {
            Ok(()) => sp.commit()?,
            Err(e) => {
                *all_ran = false;
                drop(sp); // rolls the job's writes back
                if tx.is_autocommit() {
                    // SQLite rolled the whole transaction back (a full disk can):
                    // the jobs before this one lost their writes too.
                    return Err(e);
                }
            }
        }
    }
    tx.commit()
}

/// An error to hand to each job of a failed batch, keeping SQLite's code (so
/// a full disk still reads as one).
fn copy_error(e: &rusqlite::Error) -> rusqlite::Error {
    match e {
        rusqlite::Error::SqliteFailure(code, msg) => {
            rusqlite::Error::SqliteFailure(*code, msg.clone())
        }
        other => failure(rusqlite::ffi::SQLITE_ERROR, other.to_string()),
    }
}

fn failure(code: std::ffi::c_int, message: String) -> rusqlite::Error {
    rusqlite::Error::SqliteFailure(rusqlite::ffi::Error::new(code), Some(message))
}

fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".into())
}

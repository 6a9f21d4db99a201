//! A few read-only stores shared by every request, each call on a blocking thread.
//!
//! Both backends are synchronous (rusqlite; the `postgres` crate's sync client, which
//! must never run on a tokio worker), so a call takes a store out of the pool, runs on
//! `spawn_blocking`, and puts it back when it returns. A semaphore caps the calls in
//! flight at the pool's size, and each call has a time limit: a request whose call runs
//! late is answered 503 at once, while the call itself finishes on its thread and gives
//! its store and its permit back then, so the pool is never oversubscribed. A store
//! whose call failed in the backend is dropped and replaced by a fresh opening, so a
//! database restart heals itself.

use dossier_store::{AnyStore, Location, StoreError};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::Semaphore;

/// Why a store call gave no answer.
#[derive(Debug)]
pub enum PoolError {
    /// The store answered with an error.
    Store(StoreError),
    /// No answer within the time limit (waiting for a free store included).
    Timeout,
    /// The call panicked (a bug); the request still gets an answer.
    Panicked,
}

impl From<StoreError> for PoolError {
    fn from(e: StoreError) -> PoolError {
        PoolError::Store(e)
    }
}

pub struct StorePool {
    at: Location,
    idle: Mutex<Vec<AnyStore>>,
    permits: Arc<Semaphore>,
    limit: Duration,
}

impl StorePool {
    /// A pool of up to `size` stores opened read-only at `at`, with `first` (already
    /// open, so that a bad location is found at start) as its first.
    pub fn new(at: Location, first: AnyStore, size: usize, limit: Duration) -> Arc<StorePool> {
        Arc::new(StorePool {
            at,
            idle: Mutex::new(vec![first]),
            permits: Arc::new(Semaphore::new(size.max(1))),
            limit,
        })
    }

    /// Runs `f` on a store of the pool, on a blocking thread, within the time limit.
    pub async fn call<T, F>(self: &Arc<Self>, f: F) -> Result<T, PoolError>
    where
        T: Send + 'static,
        F: FnOnce(&AnyStore) -> Result<T, StoreError> + Send + 'static,
    {
        let pool = Arc::clone(self);
        let work = async move {
            let permit = Arc::clone(&pool.permits)
                .acquire_owned()
                .await
                .map_err(|_| PoolError::Timeout)?;
            let task = tokio::task::spawn_blocking(move || {
                let _permit = permit;
                let store = match pool.take() {
                    Some(store) => store,
                    None => AnyStore::open_read_only(&pool.at)?,
                };
                let out = f(&store);
                // A store whose backend failed may hold a broken connection: the next
                // call opens a fresh one instead.
                if !matches!(out, Err(StoreError::Backend { .. })) {
                    pool.give_back(store);
                }
                out
            });
            match task.await {
                Ok(out) => out.map_err(PoolError::Store),
                Err(_) => Err(PoolError::Panicked),
            }
        };
        match tokio::time::timeout(self.limit, work).await {
            Ok(out) => out,
            Err(_) => Err(PoolError::Timeout),
        }
    }

    fn take(&self) -> Option<AnyStore> {
        self.idle.lock().unwrap_or_else(|p| p.into_inner()).pop()
    }

    fn give_back(&self, store: AnyStore) {
        self.idle
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(store);
    }
}

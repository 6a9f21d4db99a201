//! Host leases: how runs on several machines share one store's feeds.
//!
//! A run claims whole hosts (`host:port`), a few at a time, with a lease that runs out
//! after a while by the database's clock (`FOR UPDATE SKIP LOCKED` in a CTE, so two claims
//! never take one host and never wait for each other). It fetches the due feeds of the
//! hosts it holds, renews its leases while it works, and gives a host back once every
//! feed it was handed for that host is recorded. So two runs never fetch one host at
//! once, and per-host limits, gaps and `Retry-After` holds keep their meaning across
//! machines. A run that dies loses its hosts when their leases run out; a run paused past
//! its lease finds the host gone when it records, and its feeds' state is not written
//! (their items are: storing a story twice is impossible anyway).

use super::{PgStore, connect, read};
use crate::{HostClaim, HostLeases, Pick, Result};
use postgres::Client;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The name a run holds leases under.
pub(super) fn holder(run: i64) -> String {
    format!("run {run}")
}

/// What the run's writer and its lease thread share: which hosts the run holds and how
/// many of the feeds handed out for each are still to be recorded.
pub(super) struct LeaseBook {
    pub(super) holder: String,
    pending: Mutex<Pending>,
}

#[derive(Default)]
struct Pending {
    /// Feeds left to record per host.
    left: HashMap<String, usize>,
    /// The host each handed-out feed was claimed with.
    host_of: HashMap<String, String>,
}

impl LeaseBook {
    fn lock(&self) -> std::sync::MutexGuard<'_, Pending> {
        self.pending.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Notes that `feeds` of `host` were handed out; `false` when there are none.
    fn expect(&self, host: &str, feeds: &[String]) -> bool {
        if feeds.is_empty() {
            return false;
        }
        let mut p = self.lock();
        *p.left.entry(host.to_string()).or_default() += feeds.len();
        for f in feeds {
            p.host_of.insert(f.clone(), host.to_string());
        }
        true
    }

    /// Notes that `feeds` were recorded; the hosts with nothing left to record.
    pub(super) fn recorded(&self, feeds: &[&str]) -> Vec<String> {
        let mut p = self.lock();
        let mut done = Vec::new();
        for f in feeds {
            let Some(host) = p.host_of.remove(*f) else {
                continue;
            };
            if let Some(left) = p.left.get_mut(&host) {
                *left = left.saturating_sub(1);
                if *left == 0 {
                    p.left.remove(&host);
                    done.push(host);
                }
            }
        }
        done
    }
}

/// Gives `hosts` back, where `holder` still holds them.
pub(super) fn release(c: &mut Client, holder: &str, hosts: &[String]) -> Result<()> {
    c.execute(
        "UPDATE hosts SET leased_by = NULL, lease_until = NULL
         WHERE host_key = ANY($1) AND leased_by = $2",
        &[&hosts, &holder],
    )?;
    Ok(())
}

/// A run's leases, on a connection of their own (the lease thread's).
pub struct PgLeases {
    client: Client,
    book: Arc<LeaseBook>,
    run: i64,
    ttl: Duration,
}

impl PgStore {
    /// Opens the run's leases (after [`crate::IngestStore::begin_run`]): a connection for
    /// the lease thread, and the book the writer releases hosts by.
    pub(super) fn leases(&mut self, ttl: Duration) -> Result<PgLeases> {
        let run = self.run.ok_or_else(|| crate::StoreError::Backend {
            op: "open the run's host leases",
            source: "no run has begun".into(),
        })?;
        let book = Arc::new(LeaseBook {
            holder: holder(run),
            pending: Mutex::default(),
        });
        self.book = Some(book.clone());
        Ok(PgLeases {
            client: connect(&self.url)?,
            book,
            run,
            ttl,
        })
    }
}

impl HostLeases for PgLeases {
    fn claim(&mut self, max_hosts: usize, pick: &Pick<'_>) -> Result<Vec<HostClaim>> {
        let secs = self.ttl.as_secs_f64();
        let limit = max_hosts as i64;
        let holder = self.book.holder.clone();
        let (keys, skip): (Option<&[String]>, &[String]) = match pick {
            Pick::Due { skip } => (None, skip),
            Pick::Feeds { keys, skip } => (Some(keys), skip),
        };
        let mut tx = self.client.transaction()?;
        // Due feeds, or the named ones due or not (`--all`, `--feed`); disabled ones never.
        // Due feeds (never one disabled), or the named ones due or not (`--all` names
        // only feeds not disabled; `--feed` may name any).
        let wanted = "f.host_key = h.host_key AND f.active = 1
            AND (CASE WHEN $4::text[] IS NULL
                      THEN f.disabled_reason IS NULL
                           AND (f.next_due_at IS NULL OR f.next_due_at <= dossier_now())
                      ELSE f.key = ANY($4) END)";
        let hosts: Vec<String> = tx
            .query(
                &format!(
                    "WITH picked AS (
                        SELECT h.host_key FROM hosts h
                        WHERE (h.lease_until IS NULL OR h.lease_until < now())
                          AND NOT (h.host_key = ANY($3))
                          AND EXISTS (SELECT 1 FROM feeds f WHERE {wanted})
                        LIMIT $1
                        FOR UPDATE OF h SKIP LOCKED)
                     UPDATE hosts h SET leased_by = $2, lease_until = now() + make_interval(secs => $5)
                     FROM picked WHERE h.host_key = picked.host_key
                     RETURNING h.host_key"
                ),
                &[&limit, &holder, &skip, &keys, &secs],
            )?
            .iter()
            .map(|r| r.get(0))
            .collect();
        if hosts.is_empty() {
            tx.commit()?;
            return Ok(Vec::new());
        }
        let feeds = tx.query(
            &format!(
                "SELECT {}, f.host_key AS claimed_host FROM unnest($1::text[]) AS h(host)
                 JOIN feeds f ON f.host_key = h.host
                 WHERE f.active = 1
                   AND (CASE WHEN $2::text[] IS NULL
                             THEN f.disabled_reason IS NULL
                                  AND (f.next_due_at IS NULL OR f.next_due_at <= dossier_now())
                             ELSE f.key = ANY($2) END)",
                read::STATE_COLUMNS
                    .split(',')
                    .map(|c| format!("f.{}", c.trim()))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            &[&hosts, &keys],
        )?;
        let holds = tx.query(
            "SELECT host, until, status FROM host_holds WHERE host = ANY($1) AND until > dossier_now()",
            &[&hosts],
        )?;
        tx.commit()?;
        let mut claims: HashMap<String, HostClaim> = hosts
            .iter()
            .map(|h| {
                (
                    h.clone(),
                    HostClaim {
                        host: h.clone(),
                        hold: None,
                        feeds: Vec::new(),
                    },
                )
            })
            .collect();
        for r in &feeds {
            let host: String = r.try_get("claimed_host")?;
            if let Some(c) = claims.get_mut(&host) {
                c.feeds.push(read::feed_state(r)?);
            }
        }
        for r in &holds {
            let hold = read::host_hold(r)?;
            if let Some(c) = claims.get_mut(&hold.host) {
                c.hold = Some(hold);
            }
        }
        let mut out: Vec<HostClaim> = claims.into_values().collect();
        out.sort_by(|a, b| a.host.cmp(&b.host));
        Ok(out)
    }

    fn handed_out(&mut self, host: &str, feeds: &[String]) -> Result<()> {
        if !self.book.expect(host, feeds) {
            // Nothing to fetch there after all (feeds this run's config does not have).
            release(&mut self.client, &self.book.holder, &[host.to_string()])?;
        }
        Ok(())
    }

    fn renew(&mut self) -> Result<()> {
        let secs = self.ttl.as_secs_f64();
        self.client.execute(
            "UPDATE hosts SET lease_until = now() + make_interval(secs => $2) WHERE leased_by = $1",
            &[&self.book.holder, &secs],
        )?;
        self.client.execute(
            "UPDATE runs SET lease_until = now() + make_interval(secs => $2)
             WHERE id = $1 AND status = 'running'",
            &[&self.run, &secs],
        )?;
        Ok(())
    }

    fn release_all(&mut self) -> Result<()> {
        self.client.execute(
            "UPDATE hosts SET leased_by = NULL, lease_until = NULL WHERE leased_by = $1",
            &[&self.book.holder],
        )?;
        Ok(())
    }
}

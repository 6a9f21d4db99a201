//! The fetching pass of a run that shares its store with runs on other machines
//! (PostgreSQL): instead of every due feed at once, the hosts this run claims, a few at a
//! time, as the fetchers have room for them.
//!
//! A lease thread (the store's client must not run on a tokio worker) claims hosts, tells
//! the fetcher of any `Retry-After` another run heard there, and hands their feeds to the
//! async side through a bounded channel, renewing the run's leases while it waits. The
//! writer gives a host back once its feeds are recorded; whatever is left when the pass
//! ends (a deadline) is given back at once.

use crate::feed::{self, FeedResult};
use chrono::{DateTime, Utc};
use dossier_fetch::Fetcher;
use dossier_model::{FeedSpec, FeedState};
use dossier_normalize::TopicMatcher;
use dossier_store::{HostLeases, Pick, StoreError};
use futures_util::StreamExt;
use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::mpsc::error::SendTimeoutError;

/// A feed to fetch, with its state as the claim read it.
type Job = (FeedSpec, FeedState);

/// What the fetching pass needs to claim and fetch.
pub struct Shared<'a> {
    pub leases: Box<dyn HostLeases>,
    /// The config's feeds, by key: a claimed feed this run's config lacks is not fetched.
    pub specs: HashMap<String, FeedSpec>,
    /// The feeds named by `--all` or `--feed`, fetched due or not; `None`: the due ones.
    pub named: Option<Vec<String>>,
    pub fetcher: &'a Arc<Fetcher>,
    pub matcher: &'a Arc<TopicMatcher>,
    pub started: DateTime<Utc>,
    pub concurrency: usize,
    pub lease: Duration,
}

/// What the pass came to: results sent to the writer, feeds handed out by claims, and
/// the leases, to give back what is left once the writer has recorded everything (not
/// before: a host given back is no longer this run's to record).
pub struct Fetched {
    pub sent: u64,
    pub handed_out: u64,
    pub leases: Option<Box<dyn HostLeases>>,
}

impl Shared<'_> {
    pub fn fetch(
        self,
        runtime: &tokio::runtime::Runtime,
        tx: tokio::sync::mpsc::Sender<FeedResult>,
        deadline: Option<Duration>,
    ) -> Result<Fetched, StoreError> {
        let concurrency = self.concurrency.max(1);
        let (jobs_tx, jobs_rx) = tokio::sync::mpsc::channel::<Job>(concurrency);
        let claimer = Claimer {
            leases: self.leases,
            jobs: jobs_tx,
            specs: self.specs,
            named: self.named.map(|n| n.into_iter().collect()),
            fetcher: self.fetcher.clone(),
            hosts_at_once: (concurrency + 1).clamp(2, 64),
            renew_every: self.lease / 4,
            waiter: tokio::runtime::Builder::new_current_thread()
                .enable_time()
                .build()
                .map_err(|e| StoreError::Backend {
                    op: "claim hosts",
                    source: Box::new(e),
                })?,
        };
        let lease_thread = std::thread::spawn(move || claimer.run());
        let (fetcher, matcher, started) = (self.fetcher, self.matcher, self.started);
        let sent = runtime.block_on(async move {
            let jobs = futures_util::stream::unfold(jobs_rx, |mut rx| async move {
                rx.recv().await.map(|job| (job, rx))
            });
            let results = jobs
                .map(|(spec, state)| {
                    feed::process(fetcher.clone(), matcher.clone(), spec, Some(state), started)
                })
                .buffer_unordered(concurrency);
            let sent = crate::send_results(results, &tx, deadline).await;
            // Dropping the jobs' receiver here tells the lease thread to stop.
            sent
        });
        let (handed_out, leases) = lease_thread.join().map_err(|_| StoreError::Backend {
            op: "claim hosts",
            source: "the lease thread crashed".into(),
        })??;
        Ok(Fetched {
            sent,
            handed_out,
            leases: Some(leases),
        })
    }
}

/// The lease thread: claims hosts and hands their feeds out until none are left.
struct Claimer {
    leases: Box<dyn HostLeases>,
    jobs: tokio::sync::mpsc::Sender<Job>,
    specs: HashMap<String, FeedSpec>,
    named: Option<HashSet<String>>,
    fetcher: Arc<Fetcher>,
    /// Hosts to hold at once: one per fetcher, so that neither `per_host` nor a host's
    /// gap between requests leaves a fetcher idle, and one more so the next is ready;
    /// no more, so that runs share the last hosts instead of one run holding a backlog.
    hosts_at_once: usize,
    renew_every: Duration,
    /// A runtime of the lease thread's own, to wait on the channel with a timeout.
    waiter: tokio::runtime::Runtime,
}

/// What a claim came to.
enum Claimed {
    /// Hosts, each with the queue of its feeds to hand out (those this run's config has).
    Hosts(Vec<VecDeque<Job>>),
    /// No host has feeds for this run: the pass is over once the queues are empty.
    NoneLeft,
    /// The feeds named are on hosts that other runs hold now.
    HeldElsewhere,
}

/// How long to wait before claiming again when the hosts of named feeds are held by
/// other runs.
const WAIT_FOR_HOSTS: Duration = Duration::from_millis(200);

impl Claimer {
    fn run(mut self) -> Result<(u64, Box<dyn HostLeases>), StoreError> {
        // Hosts with due feeds this run will not fetch (its config lacks them).
        let mut skip: Vec<String> = Vec::new();
        let mut handed = 0u64;
        let mut renewed = Instant::now();
        // The claimed hosts whose feeds are not all handed out yet. Feeds go out host
        // by host in turn, so that the fetchers work on as many hosts at once as they
        // may; a host is claimed only when one of these runs dry, so that a run never
        // sits on hosts it cannot start while another run has none left.
        let mut queues: Vec<VecDeque<Job>> = Vec::new();
        let mut none_left = false;
        // When named feeds are on hosts other runs hold, the next try waits a little.
        let mut next_try = Instant::now();
        loop {
            if self.jobs.is_closed() {
                break;
            }
            if !none_left && queues.len() < self.hosts_at_once && Instant::now() >= next_try {
                // One host a claim: queues handed out in turn empty together, and a run
                // that then claimed all it lacks at once could take the last hosts from
                // runs about to need them. One at a time, between rounds of handing
                // out, the runs that run dry together share what is left.
                match self.claim(1, &mut skip)? {
                    Claimed::Hosts(mut more) => queues.append(&mut more),
                    Claimed::NoneLeft => none_left = true,
                    Claimed::HeldElsewhere => next_try = Instant::now() + WAIT_FOR_HOSTS,
                }
            }
            if queues.is_empty() && !none_left {
                // Named feeds left, on hosts other runs hold: wait for them.
                std::thread::sleep(next_try.saturating_duration_since(Instant::now()));
                self.renew_if_due(&mut renewed)?;
                continue;
            }
            if queues.is_empty() {
                break;
            }
            for queue in &mut queues {
                if let Some(job) = queue.pop_front() {
                    if !self.send(job, &mut renewed)? {
                        return Ok((handed, self.leases));
                    }
                    handed += 1;
                }
            }
            queues.retain(|q| !q.is_empty());
            self.renew_if_due(&mut renewed)?;
        }
        Ok((handed, self.leases))
    }

    /// Claims up to `wanted` hosts and makes a queue of each one's feeds.
    fn claim(&mut self, wanted: usize, skip: &mut Vec<String>) -> Result<Claimed, StoreError> {
        let named: Option<Vec<String>> = self.named.as_ref().map(|n| n.iter().cloned().collect());
        if named.as_ref().is_some_and(Vec::is_empty) {
            return Ok(Claimed::NoneLeft);
        }
        let pick = match &named {
            None => Pick::Due { skip },
            Some(keys) => Pick::Feeds { keys, skip },
        };
        let claims = self.leases.claim(wanted, &pick)?;
        if claims.is_empty() {
            return Ok(match named {
                None => Claimed::NoneLeft,
                Some(_) => Claimed::HeldElsewhere,
            });
        }
        let mut queues = Vec::with_capacity(claims.len());
        for claim in claims {
            if let Some(hold) = &claim.hold
                && let Ok(left) = (hold.until - Utc::now()).to_std()
            {
                self.fetcher.hold(&hold.host, left, hold.status);
            }
            let claimed = claim.feeds.len();
            let mut mine = VecDeque::with_capacity(claimed);
            for state in claim.feeds {
                if let Some(named) = self.named.as_mut() {
                    named.remove(&state.key);
                }
                if let Some(spec) = self.specs.get(&state.key) {
                    mine.push_back((spec.clone(), state));
                }
            }
            if mine.len() < claimed {
                skip.push(claim.host.clone());
            }
            let keys: Vec<String> = mine.iter().map(|(s, _)| s.key.clone()).collect();
            self.leases.handed_out(&claim.host, &keys)?;
            if !mine.is_empty() {
                queues.push(mine);
            }
        }
        Ok(Claimed::Hosts(queues))
    }

    /// Sends a job as soon as the fetchers have room, renewing the leases while it waits;
    /// `false` when the pass is over.
    fn send(&mut self, job: Job, renewed: &mut Instant) -> Result<bool, StoreError> {
        let mut job = job;
        loop {
            let wait = self.renew_every.saturating_sub(renewed.elapsed());
            match self.waiter.block_on(self.jobs.send_timeout(job, wait)) {
                Ok(()) => return Ok(true),
                Err(SendTimeoutError::Closed(_)) => return Ok(false),
                Err(SendTimeoutError::Timeout(back)) => {
                    job = back;
                    self.renew_if_due(renewed)?;
                }
            }
        }
    }

    fn renew_if_due(&mut self, renewed: &mut Instant) -> Result<(), StoreError> {
        if renewed.elapsed() >= self.renew_every {
            self.leases.renew()?;
            *renewed = Instant::now();
        }
        Ok(())
    }
}

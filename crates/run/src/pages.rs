//! Article pages: after the feeds, the pages of items whose `page_reason` asks for it
//! (undated, AMP or opaquely redirected links), read politely through the same fetcher, at
//! most [`PAGES_PER_RUN`] a run, and what they tell stored. A page is fetched at the link
//! its feed gave (never at an address worked out from it: an AMP link's article may live
//! anywhere, and the page's own canonical link says where).

use crate::Error;
use crate::contain::contain;
use chrono::Utc;
use dossier_fetch::{FetchOutcome, FetchRequest, Fetched, Fetcher};
use dossier_store::{IngestStore, PageFindings};
use futures_util::StreamExt;
use std::sync::Arc;

/// Most item pages read in one run: dating old backlogs is spread over runs.
pub const PAGES_PER_RUN: usize = 100;

/// Reads the pages due; how many of them dated their item.
pub fn read<S: IngestStore>(
    runtime: &tokio::runtime::Runtime,
    store: &mut S,
    fetcher: &Arc<Fetcher>,
    concurrency: usize,
    deadline: Option<std::time::Duration>,
) -> Result<u64, Error> {
    let candidates = store.page_candidates(PAGES_PER_RUN)?;
    if candidates.is_empty() {
        return Ok(0);
    }
    let mut found: Vec<(i64, PageFindings)> = Vec::with_capacity(candidates.len());
    runtime.block_on(async {
        let mut pages = futures_util::stream::iter(candidates)
            .map(|c| {
                let fetcher = fetcher.clone();
                async move {
                    let request = FetchRequest {
                        url: dossier_normalize::page_address_of(&c.url, c.canonical.as_deref())
                            .map_or_else(|| c.url.clone(), String::from),
                        ..Default::default()
                    };
                    let findings = match fetcher.fetch(&request).await {
                        FetchOutcome::Fetched(page) if is_html(&page) => {
                            let url = page.final_url.clone();
                            tokio::task::spawn_blocking(move || contain(|| findings(&page)))
                                .await
                                .unwrap_or_else(|join| Err(join.to_string()))
                                .unwrap_or_else(|crash| {
                                    let problem =
                                        format!("the page reader crashed on {url} ({crash})");
                                    tracing::warn!("{problem}");
                                    // On record for the item, not defaulted away.
                                    PageFindings {
                                        problem: Some(problem),
                                        ..PageFindings::default()
                                    }
                                })
                        }
                        _ => PageFindings::default(),
                    };
                    (c.item_id, findings)
                }
            })
            .buffer_unordered(concurrency.max(1));
        let collect = async {
            while let Some(one) = pages.next().await {
                found.push(one);
            }
        };
        match deadline {
            Some(limit) => {
                let _ = tokio::time::timeout(limit, collect).await;
            }
            None => collect.await,
        }
    });
    let now = Utc::now();
    let mut dated = 0;
    for (item_id, findings) in &found {
        if store.apply_page(*item_id, findings, now)? {
            dated += 1;
        }
    }
    Ok(dated)
}

/// Only HTML is read as an article page (a PDF or an image link is checked and left).
fn is_html(page: &Fetched) -> bool {
    match page.content_type.as_deref() {
        Some(ct) => ct.to_ascii_lowercase().contains("html"),
        None => page.body.trim_ascii_start().first() == Some(&b'<'),
    }
}

fn findings(page: &Fetched) -> PageFindings {
    let info = dossier_extract::inspect_page(
        &page.body,
        page.content_type.as_deref(),
        Some(&page.final_url),
        Utc::now(),
    );
    PageFindings {
        published_at: info.date.as_ref().map(|d| d.found.instant),
        date_source: info.date.as_ref().map(|d| d.source),
        date_evidence: info.date.map(|d| d.evidence),
        canonical: info.canonical.and_then(|c| {
            let url = dossier_normalize::canonical_url(&c)?;
            Some((url.to_string(), dossier_normalize::dedup_key(&url)))
        }),
        title: info.title,
        summary: info.summary,
        problem: None,
    }
}

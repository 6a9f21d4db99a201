//! The store's conformance suite: what every backend must do, written against the store
//! traits only (`IngestStore`, `ReadStore`, `VersionStore`), so that a second backend is
//! held to exactly the behaviour of the first. Each test is a function taking a fresh,
//! empty store; `conformance_tests!` makes a `#[test]` of each for one backend.

#![allow(dead_code, unused_imports)]

mod reading;
mod stories;
pub use reading::*;
pub use stories::*;

use chrono::{DateTime, Duration, Utc};
use dossier_model::{
    Change, DateSource, ErrorClass, FeedKind, FeedSpec, FeedUpdate, FetchStatus, IdentityRule,
    Item, ItemKey, PageReason, TopicReason, TopicSpec, Validators, parse_time,
};
use dossier_normalize::stories::group;
use dossier_store::{
    FetchRecord, IngestCounts, IngestStore, ItemQuery, PageFindings, ReadStore, VersionStore,
};

/// A store of any backend.
pub trait Backend: IngestStore + ReadStore + VersionStore + Sized {}
impl<T: IngestStore + ReadStore + VersionStore> Backend for T {}

/// Records a fetch as if its run started when the fetch did.
pub trait Record {
    fn record(
        &mut self,
        key: &str,
        u: &FeedUpdate,
        items: &[Item],
    ) -> dossier_store::Result<IngestCounts>;
}

impl<S: IngestStore> Record for S {
    fn record(
        &mut self,
        key: &str,
        u: &FeedUpdate,
        items: &[Item],
    ) -> dossier_store::Result<IngestCounts> {
        let rec = FetchRecord {
            feed_key: key,
            update: u,
            items,
        };
        self.record_fetches(&[rec], u.fetched_at)?
            .pop()
            .expect("one result per fetch")
    }
}

/// Makes a `#[test]` of each named conformance test, on stores `make` makes.
#[macro_export]
macro_rules! conformance_tests {
    ($make:expr; $($name:ident),* $(,)?) => {
        $(
            #[test]
            fn $name() {
                let _ = conformance::$name($make);
            }
        )*
    };
}

/// Every conformance test, in one list: each backend's test file runs them all through
/// `$then!(name, …)`, so that no test can be left out on one backend.
#[macro_export]
macro_rules! for_every_conformance_test {
    ($then:ident) => {
        $then!(
            same_story_from_two_feeds_is_one_item_with_two_sightings,
            refetching_a_feed_adds_nothing,
            failures_count_up_and_success_resets,
            versions_keep_numbers_and_number_new_items_oldest_first,
            a_version_is_frozen_against_later_edits,
            duplicates_of_an_item_in_the_version_are_left_out,
            rendering_follows_the_contract,
            queries_filter_by_topic_feed_time_and_text,
            unknown_topic_is_a_clear_error,
            within_one_run_the_feed_listed_first_is_the_origin_whatever_finished_first,
            a_take_over_inside_one_batch_leaves_a_sound_search_index,
            a_gone_feed_is_disabled_until_its_url_changes,
            pages_to_read_are_the_items_with_a_page_reason_at_the_feeds_link,
            a_page_canonical_folds_the_item_into_the_story_it_repeats,
            a_cited_item_is_marked_duplicate_instead,
            a_feeds_own_second_entry_is_marked_duplicate_instead,
            search_finds_substrings_in_scripts_written_without_spaces,
            every_source_is_in_exactly_one_story,
            stories_are_ordered_by_date_undated_last_and_numbered_from_one,
            a_versions_stories_are_frozen_when_it_is_cut,
            stories_of_an_unknown_topic_or_version,
            stories_render_as_paragraphs_of_source_lines,
            a_listing_continues_after_its_cursor_without_repeats_or_gaps,
            a_source_number_tells_its_history,
        );
    };
}

/// The guid key an item of `feed` has.
pub fn guid_key(feed: &str, guid: &str) -> ItemKey {
    ItemKey::Guid {
        feed: feed.into(),
        guid: guid.into(),
    }
}

pub fn t0() -> DateTime<Utc> {
    parse_time("2026-05-22T11:00:00Z").unwrap()
}

pub fn feed(name: &str, owner: Option<&str>) -> FeedSpec {
    FeedSpec {
        key: name.into(),
        name: name.into(),
        label: owner.map_or(name.to_string(), |o| format!("reactive:{o}")),
        url: format!(
            "https://{}.example/rss",
            name.to_lowercase().replace(' ', "-")
        ),
        kind: FeedKind::Feed,
        interval_mins: 30,
        topics: vec![],
        owner_topic: owner.map(str::to_string),
        select: None,
        search: None,
    }
}

pub fn topic(slug: &str) -> TopicSpec {
    TopicSpec {
        slug: slug.into(),
        title: format!("Topic {slug}"),
        match_any: vec![],
        match_none: vec![],
    }
}

pub fn item(guid: &str, url: &str, title: &str, published: Option<&str>, topics: &[&str]) -> Item {
    Item {
        guid: Some(guid.into()),
        url: Some(url.into()),
        original_url: Some(url.into()),
        title: title.into(),
        summary: None,
        author: None,
        published_at: published.and_then(parse_time),
        date_source: if published.is_some() {
            DateSource::Feed
        } else {
            DateSource::FirstSeen
        },
        date_evidence: None,
        page_reason: published.is_none().then_some(PageReason::Undated),
        identity: IdentityRule::Guid,
        keys: vec![
            guid_key("x", guid),
            ItemKey::Url(url.trim_start_matches("https://").to_string()),
        ],
        topics: topics
            .iter()
            .map(|t| (t.to_string(), TopicReason::TopicFeed))
            .collect(),
    }
}

pub fn ok(at: DateTime<Utc>) -> FeedUpdate {
    FeedUpdate {
        status: FetchStatus::Http(200),
        validators: Change::Set(Validators {
            etag: Some("\"v1\"".into()),
            last_modified: None,
        }),
        next_due_at: Some(at + Duration::minutes(30)),
        ..FeedUpdate::new(at)
    }
}

pub fn setup<S: Backend>(mut s: S) -> S {
    s.sync_config(
        &[feed("A", Some("ai")), feed("B", None)],
        &[topic("ai"), topic("chips")],
    )
    .unwrap();
    s
}

pub fn same_story_from_two_feeds_is_one_item_with_two_sightings<S: Backend>(s: S) -> S {
    let mut s = setup(s);
    let c1 = s
        .record(
            "A",
            &ok(t0()),
            &[item(
                "a1",
                "https://n.example/story",
                "Story",
                None,
                &["ai"],
            )],
        )
        .unwrap();
    let mut other = item(
        "b9",
        "https://n.example/story",
        "Story (syndicated)",
        None,
        &[],
    );
    other.keys[0] = guid_key("B", "b9");
    let c2 = s.record("B", &ok(t0()), &[other]).unwrap();
    assert_eq!((c1.new, c1.duplicate), (1, 0));
    assert_eq!((c2.new, c2.duplicate), (0, 1));
    let items = s.items(&ItemQuery::default()).unwrap();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0].sightings, 2);
    assert_eq!(
        items[0].title, "Story",
        "a second feed never overwrites the first one's item"
    );
    assert_eq!(items[0].label, "reactive:ai");
    assert_eq!(items[0].topics, vec!["ai".to_string()]);
    let feeds = s.feeds().unwrap();
    assert_eq!(
        feeds.iter().map(|f| f.items).collect::<Vec<_>>(),
        vec![1, 1]
    );
    s
}

pub fn refetching_a_feed_adds_nothing<S: Backend>(s: S) -> S {
    let mut s = setup(s);
    let it = item("a1", "https://n.example/1", "One", None, &["ai"]);
    s.record("A", &ok(t0()), std::slice::from_ref(&it)).unwrap();
    let again = s
        .record("A", &ok(t0() + Duration::hours(1)), &[it])
        .unwrap();
    assert_eq!((again.new, again.duplicate), (0, 0));
    assert_eq!(s.items(&ItemQuery::default()).unwrap()[0].sightings, 1);
    s
}

pub fn failures_count_up_and_success_resets<S: Backend>(s: S) -> S {
    let mut s = setup(s);
    let mut fail = ok(t0());
    fail.fail(
        ErrorClass::Http5xx,
        Some(500),
        "HTTP 500 Internal Server Error".into(),
    );
    fail.validators = Change::Keep;
    s.record("A", &fail, &[]).unwrap();
    s.record("A", &fail, &[]).unwrap();
    let f = &s.feeds().unwrap()[0];
    assert_eq!(
        (f.consecutive_failures, f.last_status),
        (2, Some(FetchStatus::Http(500)))
    );
    assert_eq!(f.error_class, Some(ErrorClass::Http5xx));
    s.record("A", &ok(t0()), &[]).unwrap();
    let f = &s.feeds().unwrap()[0];
    assert_eq!((f.consecutive_failures, f.error_class), (0, None));
    assert_eq!(
        s.feed_states().unwrap()["A"].etag.as_deref(),
        Some("\"v1\"")
    );
    s
}

pub fn versions_keep_numbers_and_number_new_items_oldest_first<S: Backend>(s: S) -> S {
    let mut s = setup(s);
    s.record(
        "A",
        &ok(t0()),
        &[
            item("u", "https://n.example/undated", "Undated", None, &["ai"]),
            item(
                "n",
                "https://n.example/new",
                "Newer",
                Some("2026-05-21T00:00:00Z"),
                &["ai"],
            ),
            item(
                "o",
                "https://n.example/old",
                "Older",
                Some("2026-05-20T00:00:00Z"),
                &["ai"],
            ),
        ],
    )
    .unwrap();
    let v1 = s.cut_version("ai", t0(), group).unwrap();
    let titles: Vec<_> = v1.sources.iter().map(|x| (x.n, x.title.as_str())).collect();
    assert_eq!(titles, vec![(1, "Older"), (2, "Newer"), (3, "Undated")]);
    assert_eq!((v1.version, v1.item_count, v1.new_items), (1, 3, 3));

    s.record(
        "A",
        &ok(t0()),
        &[item(
            "e",
            "https://n.example/earliest",
            "Earliest",
            Some("2026-01-01T00:00:00Z"),
            &["ai"],
        )],
    )
    .unwrap();
    let v2 = s
        .cut_version("ai", t0() + Duration::hours(1), group)
        .unwrap();
    let titles: Vec<_> = v2.sources.iter().map(|x| (x.n, x.title.as_str())).collect();
    assert_eq!(
        titles,
        vec![(1, "Older"), (2, "Newer"), (3, "Undated"), (4, "Earliest")]
    );
    assert_eq!((v2.version, v2.item_count, v2.new_items), (2, 4, 1));

    let v3 = s
        .cut_version("ai", t0() + Duration::hours(2), group)
        .unwrap();
    assert_eq!((v3.version, v3.new_items), (3, 0));
    assert_eq!(
        v3.sources, v2.sources,
        "cutting with nothing new repeats the sources"
    );
    let list = s.versions("ai").unwrap();
    assert_eq!(
        list.iter().map(|v| v.version).collect::<Vec<_>>(),
        vec![1, 2, 3]
    );
    s
}

pub fn a_version_is_frozen_against_later_edits<S: Backend>(s: S) -> S {
    let mut s = setup(s);
    s.record(
        "A",
        &ok(t0()),
        &[item(
            "a",
            "https://n.example/a",
            "Original headline",
            None,
            &["ai"],
        )],
    )
    .unwrap();
    s.cut_version("ai", t0(), group).unwrap();
    s.record(
        "A",
        &ok(t0()),
        &[item(
            "a",
            "https://n.example/a",
            "Edited headline",
            None,
            &["ai"],
        )],
    )
    .unwrap();
    assert_eq!(
        s.items(&ItemQuery::default()).unwrap()[0].title,
        "Edited headline"
    );
    let v1 = s.version("ai", Some(1)).unwrap().unwrap();
    assert_eq!(v1.sources[0].title, "Original headline");
    s
}

pub fn duplicates_of_an_item_in_the_version_are_left_out<S: Backend>(s: S) -> S {
    let mut s = setup(s);
    s.record(
        "A",
        &ok(t0()),
        &[
            item("a", "https://n.example/a", "Story", None, &["ai"]),
            item("b", "https://n.example/b", "Story - Wire", None, &["ai"]),
        ],
    )
    .unwrap();
    assert_eq!(s.mark_duplicates(&[(2, 1)]).unwrap(), 1);
    let v = s.cut_version("ai", t0(), group).unwrap();
    assert_eq!(
        v.sources.iter().map(|x| x.item_id).collect::<Vec<_>>(),
        vec![1]
    );
    s
}

pub fn rendering_follows_the_contract<S: Backend>(s: S) -> S {
    let mut s = setup(s);
    let long = "L".repeat(130);
    s.record(
        "A",
        &ok(t0()),
        &[
            item(
                "a",
                "https://n.example/a",
                "Dated story",
                Some("2026-05-22T10:15:00Z"),
                &["ai"],
            ),
            item("b", "https://n.example/b", &long, None, &["ai"]),
        ],
    )
    .unwrap();
    let v = s
        .cut_version("ai", parse_time("2026-05-23T03:09:41Z").unwrap(), group)
        .unwrap();
    let expected = format!(
        "Topic ai\nVersion 1 · 2026-05-23 03:09 UTC · 2 items\n\nSources\n\
         [1] Dated story — reactive:ai (2026-05-22)\n[2] {}... — reactive:ai\n",
        "L".repeat(120)
    );
    assert_eq!(v.render(), expected);
    s
}

pub fn queries_filter_by_topic_feed_time_and_text<S: Backend>(s: S) -> S {
    let mut s = setup(s);
    s.record(
        "A",
        &ok(t0()),
        &[
            item(
                "1",
                "https://n.example/1",
                "DeepSeek ships a model",
                Some("2026-05-20T00:00:00Z"),
                &["ai"],
            ),
            item(
                "2",
                "https://n.example/2",
                "Export controls tighten",
                Some("2026-05-21T00:00:00Z"),
                &["chips"],
            ),
        ],
    )
    .unwrap();
    let q = |q: ItemQuery| {
        s.items(&q)
            .unwrap()
            .into_iter()
            .map(|i| i.id)
            .collect::<Vec<_>>()
    };
    assert_eq!(q(ItemQuery::default()), vec![2, 1], "newest first");
    assert_eq!(
        q(ItemQuery {
            topic: Some("chips".into()),
            ..Default::default()
        }),
        vec![2]
    );
    assert_eq!(
        q(ItemQuery {
            search: Some("deepseek".into()),
            ..Default::default()
        }),
        vec![1]
    );
    assert_eq!(
        q(ItemQuery {
            search: Some("export \"controls".into()),
            ..Default::default()
        }),
        vec![2],
        "stray quotes are no syntax error"
    );
    assert_eq!(
        q(ItemQuery {
            search: Some("export controls".into()),
            ..Default::default()
        }),
        vec![2]
    );
    assert_eq!(
        q(ItemQuery {
            since: parse_time("2026-05-21T00:00:00Z"),
            ..Default::default()
        }),
        vec![2]
    );
    assert_eq!(
        q(ItemQuery {
            until: parse_time("2026-05-21T00:00:00Z"),
            ..Default::default()
        }),
        vec![1]
    );
    assert_eq!(
        q(ItemQuery {
            feed: Some("B".into()),
            ..Default::default()
        }),
        Vec::<i64>::new()
    );
    assert_eq!(
        q(ItemQuery {
            limit: Some(1),
            ..Default::default()
        }),
        vec![2]
    );
    s
}

pub fn unknown_topic_is_a_clear_error<S: Backend>(s: S) -> S {
    let mut s = setup(s);
    assert_eq!(
        s.cut_version("nope", t0(), group).unwrap_err().to_string(),
        "unknown topic `nope`"
    );
    s
}

pub fn within_one_run_the_feed_listed_first_is_the_origin_whatever_finished_first<S: Backend>(
    s: S,
) -> S {
    let mut s = setup(s);
    let mut from_b = item(
        "b1",
        "https://n.example/story",
        "Story as B tells it",
        None,
        &[],
    );
    from_b.keys[0] = guid_key("B", "b1");
    s.record("B", &ok(t0()), &[from_b]).unwrap();
    s.record(
        "A",
        &ok(t0()),
        &[item(
            "a1",
            "https://n.example/story",
            "Story as A tells it",
            None,
            &["ai"],
        )],
    )
    .unwrap();
    let items = s.items(&ItemQuery::default()).unwrap();
    assert_eq!(items.len(), 1);
    assert_eq!(
        (items[0].label.as_str(), items[0].title.as_str()),
        ("reactive:ai", "Story as A tells it")
    );
    assert_eq!(items[0].sightings, 2);

    // In a later run the origin stays put.
    let mut later = item("b2", "https://n.example/other", "Other", None, &[]);
    later.keys[0] = guid_key("B", "b2");
    s.record("B", &ok(t0() + Duration::hours(1)), &[later])
        .unwrap();
    s.record(
        "A",
        &ok(t0() + Duration::hours(2)),
        &[item(
            "a2",
            "https://n.example/other",
            "Other per A",
            None,
            &["ai"],
        )],
    )
    .unwrap();
    let other = &s
        .items(&ItemQuery {
            search: Some("other".into()),
            ..Default::default()
        })
        .unwrap()[0];
    assert_eq!(other.label, "B");
    s
}

pub fn a_take_over_inside_one_batch_leaves_a_sound_search_index<S: Backend>(s: S) -> S {
    let mut s = setup(s);
    // B (listed second) brings the story first; A takes it over in the same transaction,
    // before the batch's items are indexed.
    let mut from_b = item("b1", "https://n.example/story", "Quince harvest", None, &[]);
    from_b.keys[0] = guid_key("B", "b1");
    let from_a = item(
        "a1",
        "https://n.example/story",
        "Walnut harvest",
        None,
        &["ai"],
    );
    let (ua, ub) = (ok(t0()), ok(t0()));
    let results = s
        .record_fetches(
            &[
                FetchRecord {
                    feed_key: "B",
                    update: &ub,
                    items: std::slice::from_ref(&from_b),
                },
                FetchRecord {
                    feed_key: "A",
                    update: &ua,
                    items: std::slice::from_ref(&from_a),
                },
            ],
            t0(),
        )
        .unwrap();
    assert!(results.iter().all(Result::is_ok));
    let search = |s: &S, q: &str| {
        s.items(&ItemQuery {
            search: Some(q.into()),
            ..Default::default()
        })
        .unwrap()
        .into_iter()
        .map(|i| i.title)
        .collect::<Vec<_>>()
    };
    assert_eq!(search(&s, "walnut"), ["Walnut harvest"]);
    assert!(
        search(&s, "quince").is_empty(),
        "the replaced text is not indexed"
    );
    // A later edit of an indexed item re-indexes it.
    let mut edited = from_a.clone();
    edited.title = "Walnut harvest doubles".into();
    s.record("A", &ok(t0() + Duration::hours(1)), &[edited])
        .unwrap();
    assert_eq!(search(&s, "doubles"), ["Walnut harvest doubles"]);
    s
}

pub fn a_gone_feed_is_disabled_until_its_url_changes<S: Backend>(s: S) -> S {
    let mut s = setup(s);
    let mut gone = FeedUpdate {
        disable: Some("gone (HTTP 410)".into()),
        ..FeedUpdate::new(t0())
    };
    gone.fail(ErrorClass::Http4xx, Some(410), "HTTP 410 Gone".into());
    s.record("A", &gone, &[]).unwrap();
    assert_eq!(
        s.feed_states().unwrap()["A"].disabled_reason.as_deref(),
        Some("gone (HTTP 410)")
    );
    assert_eq!(
        s.feeds().unwrap()[0].disabled.as_deref(),
        Some("gone (HTTP 410)")
    );
    let mut moved = feed("A", Some("ai"));
    moved.url = "https://new.example/rss".into();
    s.sync_config(&[moved, feed("B", None)], &[topic("ai"), topic("chips")])
        .unwrap();
    let state = &s.feed_states().unwrap()["A"];
    assert_eq!(
        (state.disabled_reason.as_deref(), state.consecutive_failures),
        (None, 0)
    );
    s
}

/// An AMP item as normalize hands it over: its link kept as given, a page check asked.
pub fn amp_item(feed: &str, guid: &str, url: &str, published: Option<&str>) -> Item {
    let mut it = item(guid, url, "Story (AMP)", published, &[]);
    it.keys[0] = guid_key(feed, guid);
    it.page_reason = Some(PageReason::Amp);
    it
}

pub fn canonical_is(url: &str) -> PageFindings {
    PageFindings {
        canonical: Some((url.into(), url.trim_start_matches("https://").into())),
        ..PageFindings::default()
    }
}

pub fn pages_to_read_are_the_items_with_a_page_reason_at_the_feeds_link<S: Backend>(s: S) -> S {
    let mut s = setup(s);
    s.record(
        "A",
        &ok(t0()),
        &[
            item(
                "d",
                "https://n.example/dated",
                "Dated",
                Some("2026-05-20T10:00:00Z"),
                &[],
            ),
            item("u", "https://n.example/undated", "Undated", None, &[]),
        ],
    )
    .unwrap();
    s.record(
        "B",
        &ok(t0()),
        &[amp_item(
            "B",
            "b1",
            "https://n.example/amp/story.html",
            Some("2026-05-20T10:00:00Z"),
        )],
    )
    .unwrap();
    let urls: Vec<String> = s
        .page_candidates(10)
        .unwrap()
        .into_iter()
        .map(|c| c.url)
        .collect();
    assert_eq!(
        urls,
        vec![
            "https://n.example/amp/story.html",
            "https://n.example/undated"
        ],
        "newest first; the dated, plain item needs no page"
    );
    s
}

/// The AMP item's page names the story another feed brought under its plain link: the
/// two are one item, with both sightings, as if the AMP feed had linked the story itself.
pub fn a_page_canonical_folds_the_item_into_the_story_it_repeats<S: Backend>(s: S) -> S {
    let mut s = setup(s);
    s.record(
        "A",
        &ok(t0()),
        &[item(
            "a1",
            "https://n.example/story.html",
            "Story",
            Some("2026-05-20T10:00:00Z"),
            &["ai"],
        )],
    )
    .unwrap();
    let mut amp = amp_item("B", "b1", "https://n.example/amp/story.html", None);
    amp.topics = vec![("chips".into(), TopicReason::Keyword("chips".into()))];
    amp.summary = Some("Only the AMP feed had a summary.".into());
    s.record("B", &ok(t0()), &[amp.clone()]).unwrap();
    let before = s.items(&ItemQuery::default()).unwrap();
    assert_eq!(before.len(), 2);
    let amp_id = before
        .iter()
        .find(|i| i.guid.as_deref() == Some("b1"))
        .unwrap()
        .id;
    s.apply_page(amp_id, &canonical_is("https://n.example/story.html"), t0())
        .unwrap();
    let after = s.items(&ItemQuery::default()).unwrap();
    assert_eq!(after.len(), 1, "{after:?}");
    let story = &after[0];
    assert_eq!(story.sightings, 2);
    assert_eq!(story.url.as_deref(), Some("https://n.example/story.html"));
    assert_eq!(
        story.label, "reactive:ai",
        "the earlier item stays the origin"
    );
    assert_eq!(story.topics, vec!["ai".to_string(), "chips".to_string()]);
    assert_eq!(story.published_at, parse_time("2026-05-20T10:00:00Z"));
    assert_eq!(
        story.summary.as_deref(),
        Some("Only the AMP feed had a summary.")
    );
    assert_eq!(story.duplicate_of, None);
    assert!(s.page_candidates(10).unwrap().is_empty());
    // The AMP feed's next delivery finds the story by the keys that moved with it.
    let again = s
        .record("B", &ok(t0() + Duration::hours(1)), &[amp])
        .unwrap();
    assert_eq!((again.new, again.duplicate), (0, 0));
    let items = s.items(&ItemQuery::default()).unwrap();
    assert_eq!((items.len(), items[0].sightings), (1, 2));
    assert_eq!(
        s.items(&ItemQuery {
            search: Some("Story".into()),
            ..ItemQuery::default()
        })
        .unwrap()
        .len(),
        1,
        "the folded item left the full-text index"
    );
    let feeds = s.feeds().unwrap();
    assert_eq!(
        feeds.iter().map(|f| f.items).collect::<Vec<_>>(),
        vec![1, 1]
    );
    s
}

/// A cited item cannot go (versions are immutable), and two entries of one feed stay two:
/// then the later is marked a duplicate of the earlier, as before.
fn cited_or_own<S: Backend>(s: S, cited: bool) -> S {
    let mut s = setup(s);
    let (first_feed, amp_feed) = if cited { ("A", "B") } else { ("B", "B") };
    s.record(
        first_feed,
        &ok(t0()),
        &[item(
            "a1",
            "https://n.example/story.html",
            "Story",
            Some("2026-05-20T10:00:00Z"),
            &["ai"],
        )],
    )
    .unwrap();
    let mut amp = amp_item(amp_feed, "b1", "https://n.example/amp/story.html", None);
    amp.topics = vec![("ai".into(), TopicReason::FeedTopics)];
    s.record(amp_feed, &ok(t0()), &[amp]).unwrap();
    if cited {
        s.cut_version("ai", t0(), group).unwrap();
    }
    let ids: Vec<i64> = s
        .items(&ItemQuery::default())
        .unwrap()
        .iter()
        .map(|i| i.id)
        .collect();
    let (first, later) = (*ids.iter().min().unwrap(), *ids.iter().max().unwrap());
    s.apply_page(later, &canonical_is("https://n.example/story.html"), t0())
        .unwrap();
    let items = s.items(&ItemQuery::default()).unwrap();
    assert_eq!(items.len(), 2, "cited: {cited}");
    let l = items.iter().find(|i| i.id == later).unwrap();
    assert_eq!(l.duplicate_of, Some(first), "cited: {cited}");
    s
}

pub fn a_cited_item_is_marked_duplicate_instead<S: Backend>(s: S) -> S {
    cited_or_own(s, true)
}

pub fn a_feeds_own_second_entry_is_marked_duplicate_instead<S: Backend>(s: S) -> S {
    cited_or_own(s, false)
}

/// Regression: `--search 智能` found nothing in "人工智能+制造", since the word index cuts
/// text at spaces only. Scripts written without spaces are searched by character pairs,
/// and a Latin word glued to them is a word of its own; Latin search is unchanged.
pub fn search_finds_substrings_in_scripts_written_without_spaces<S: Backend>(s: S) -> S {
    let mut s = setup(s);
    let mut items = vec![
        item(
            "c1",
            "https://c.example/1",
            "人工智能+制造: 上海行动计划",
            None,
            &[],
        ),
        item("c2", "https://c.example/2", "DeepSeek发布新模型", None, &[]),
        item(
            "c3",
            "https://c.example/3",
            "Export controls tighten on chips",
            None,
            &[],
        ),
        item("c4", "https://c.example/4", "日本のAI戦略", None, &[]),
        item(
            "c5",
            "https://c.example/5",
            "ปัญญาประดิษฐ์ในประเทศไทย",
            None,
            &[],
        ),
    ];
    items[2].summary = Some("The rules name DeepSeek and Qwen.".into());
    s.record("A", &ok(t0()), &items).unwrap();
    let search = |s: &S, q: &str| {
        let mut t: Vec<String> = s
            .items(&ItemQuery {
                search: Some(q.into()),
                ..Default::default()
            })
            .unwrap()
            .into_iter()
            .map(|i| i.title)
            .collect();
        t.sort();
        t
    };
    assert_eq!(search(&s, "智能"), ["人工智能+制造: 上海行动计划"]);
    assert_eq!(search(&s, "人工智能 制造"), ["人工智能+制造: 上海行动计划"]);
    assert_eq!(search(&s, "能"), ["人工智能+制造: 上海行动计划"]);
    assert!(
        search(&s, "智造").is_empty(),
        "a pair the text does not hold"
    );
    assert_eq!(
        search(&s, "deepseek"),
        ["DeepSeek发布新模型", "Export controls tighten on chips"]
    );
    assert_eq!(search(&s, "DeepSeek 模型"), ["DeepSeek发布新模型"]);
    assert_eq!(
        search(&s, "export controls"),
        ["Export controls tighten on chips"]
    );
    assert_eq!(search(&s, "AI戦略"), ["日本のAI戦略"]);
    assert_eq!(search(&s, "ประเทศ"), ["ปัญญาประดิษฐ์ในประเทศไทย"]);
    assert!(search(&s, "-- !").is_empty());
    // An edit re-indexes: the old pairs go, the new ones come.
    let mut edited = items[0].clone();
    edited.title = "机器人产业规划".into();
    s.record("A", &ok(t0() + Duration::hours(1)), &[edited])
        .unwrap();
    assert!(search(&s, "智能").is_empty());
    assert_eq!(search(&s, "机器人"), ["机器人产业规划"]);
    s
}

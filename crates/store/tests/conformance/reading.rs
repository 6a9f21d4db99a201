//! What readers on other machines rely on: listings continued by cursor, and one source
//! number's history across versions.

use super::*;
use dossier_store::{ItemCursor, StoreError};

fn ids(rows: &[dossier_store::ItemRow]) -> Vec<i64> {
    rows.iter().map(|r| r.id).collect()
}

pub fn a_listing_continues_after_its_cursor_without_repeats_or_gaps<S: Backend>(s: S) -> S {
    let mut s = setup(s);
    // Ties on the date (three at 10:00), undated items (ordered by first sight) and
    // dated ones, so the cursor must order by date and then id.
    let dated = |g: &str, at: &str| {
        item(
            g,
            &format!("https://n.example/{g}"),
            &format!("Story {g}"),
            Some(at),
            &["ai"],
        )
    };
    s.record(
        "A",
        &ok(t0()),
        &[
            dated("a", "2026-05-20T10:00:00Z"),
            dated("b", "2026-05-20T10:00:00Z"),
            dated("c", "2026-05-20T10:00:00Z"),
            dated("d", "2026-05-19T08:00:00Z"),
            item("e", "https://n.example/e", "Story e", None, &["ai"]),
            dated("f", "2026-05-21T00:00:00Z"),
            dated("g", "2026-05-18T00:00:00Z"),
        ],
    )
    .unwrap();
    let before = ids(&s.items(&ItemQuery::default()).unwrap());
    assert_eq!(before.len(), 7);
    let page = |s: &S, after: Option<ItemCursor>| {
        s.items(&ItemQuery {
            limit: Some(3),
            after,
            ..Default::default()
        })
        .unwrap()
    };
    let first = page(&s, None);
    assert_eq!(ids(&first), before[..3]);
    // New items arrive between pages: one newer than everything listed, one older.
    s.record(
        "A",
        &ok(t0()),
        &[
            dated("new", "2026-05-30T00:00:00Z"),
            dated("old", "2026-01-01T00:00:00Z"),
        ],
    )
    .unwrap();
    let mut seen = ids(&first);
    let mut after = first.last().map(|r| r.cursor());
    while let Some(cursor) = after {
        let rows = page(&s, Some(cursor));
        seen.extend(ids(&rows));
        after = (rows.len() == 3).then(|| rows[2].cursor());
    }
    let mut unique = seen.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), seen.len(), "no item twice: {seen:?}");
    let kept: Vec<i64> = seen
        .iter()
        .copied()
        .filter(|id| before.contains(id))
        .collect();
    assert_eq!(kept, before, "every item listed before, in its order");
    assert_eq!(
        seen.len(),
        8,
        "the older new item is listed, the newer is not"
    );
    // A cursor combines with the filters.
    let searched = s
        .items(&ItemQuery {
            search: Some("story".into()),
            after: Some(first[0].cursor()),
            ..Default::default()
        })
        .unwrap();
    assert!(!ids(&searched).contains(&first[0].id));
    assert_eq!(searched.len(), 7, "{searched:?}");
    s
}

pub fn a_source_number_tells_its_history<S: Backend>(s: S) -> S {
    let mut s = setup(s);
    s.record(
        "A",
        &ok(t0()),
        &[
            item(
                "a",
                "https://n.example/a",
                "Original headline",
                None,
                &["ai"],
            ),
            item(
                "b",
                "https://n.example/b",
                "Original headline - Wire",
                None,
                &["ai"],
            ),
        ],
    )
    .unwrap();
    let all = s.items(&ItemQuery::default()).unwrap();
    let id_of = |g: &str| {
        all.iter()
            .find(|r| r.guid.as_deref() == Some(g))
            .map(|r| r.id)
            .unwrap()
    };
    let (a, b) = (id_of("a"), id_of("b"));
    assert_eq!(s.mark_duplicates(&[(b, a)]).unwrap(), 1);
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
    s.cut_version("ai", t0() + Duration::hours(1), group)
        .unwrap();
    let rec = s.source("ai", 1).unwrap().expect("source 1");
    assert_eq!((rec.n, rec.item_id), (1, a));
    assert_eq!(
        rec.copies
            .iter()
            .map(|c| (c.version, c.source.title.as_str()))
            .collect::<Vec<_>>(),
        vec![(1, "Original headline"), (2, "Edited headline")]
    );
    assert_eq!(rec.copies[1].created_at, t0() + Duration::hours(1));
    assert_eq!(rec.joined, Some(TopicReason::TopicFeed));
    assert_eq!(rec.duplicates, vec![b]);
    assert_eq!(
        serde_json::to_value(&rec).unwrap()["joined"],
        serde_json::json!({"reason": "topic_feed", "detail": null})
    );
    assert!(s.source("ai", 2).unwrap().is_none(), "no source 2");
    assert!(s.source("chips", 1).unwrap().is_none(), "no version yet");
    assert!(matches!(
        s.source("nope", 1),
        Err(StoreError::UnknownTopic(_))
    ));
    s
}

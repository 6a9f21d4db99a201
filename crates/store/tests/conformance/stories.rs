//! Stories: a version's sources grouped by the event they report, made when the version
//! is cut and frozen with it. The grouping is the real one (`normalize::stories::group`);
//! what is checked here is the store's part: every source in one story, the order and
//! numbering of the contract, and that nothing later changes a cut version's stories.

use super::*;
use dossier_model::{Story, StorySource};
use dossier_store::VersionStories;

/// Two outlets reporting one launch (shared rare names and a model code), and a report of
/// an unrelated event.
fn launch_and_fine() -> Vec<Item> {
    let mut a = item(
        "sensetime",
        "https://n.example/sensetime",
        "SenseTime open-sources SenseNova U1, a multimodal model",
        Some("2026-04-30T08:00:00Z"),
        &["ai"],
    );
    a.summary = Some("SenseTime released SenseNova U1 under an open licence.".into());
    let mut b = item(
        "sensenova",
        "https://wire.example/sensenova-u1",
        "SenseNova U1: SenseTime releases its open multimodal model",
        Some("2026-04-30T11:30:00Z"),
        &["ai"],
    );
    b.summary = Some("The SenseNova U1 weights are open, SenseTime said.".into());
    let c = item(
        "fine",
        "https://n.example/fine",
        "EU regulators fine Meta €200 million over data transfers",
        Some("2026-05-02T09:00:00Z"),
        &["ai"],
    );
    vec![a, b, c]
}

/// The stories' source lists, in order.
fn shape(v: &VersionStories) -> Vec<Vec<i64>> {
    v.stories.iter().map(|s| s.sources.clone()).collect()
}

/// Each source alone: a grouping that, handed to a read, shows whether the read grouped
/// anew or read what the cut froze.
fn each_alone(sources: &[StorySource]) -> Vec<Story> {
    let mut sorted: Vec<&StorySource> = sources.iter().collect();
    sorted.sort_by_key(|s| s.n);
    sorted
        .into_iter()
        .map(|s| Story {
            sources: vec![s.n],
            title: s.title.clone(),
            published_at: s.published_at,
        })
        .collect()
}

pub fn every_source_is_in_exactly_one_story<S: Backend>(s: S) -> S {
    let mut s = setup(s);
    let mut items = launch_and_fine();
    items.push(item(
        "undated",
        "https://n.example/undated",
        "Rail timetables change in Lyon this winter",
        None,
        &["ai"],
    ));
    s.record("A", &ok(t0()), &items).unwrap();
    let v = s.cut_version("ai", t0(), group).unwrap();
    let stories = s.stories("ai", None, group).unwrap().unwrap();
    assert!(stories.frozen, "stored when the version was cut");
    assert_eq!((stories.topic.as_str(), stories.version), ("ai", 1));
    let mut cited: Vec<i64> = stories
        .stories
        .iter()
        .flat_map(|s| s.sources.clone())
        .collect();
    cited.sort_unstable();
    let all: Vec<i64> = v.sources.iter().map(|x| x.n).collect();
    assert_eq!(cited, all, "each source once, none left out");
    assert_eq!(
        shape(&stories),
        vec![vec![1, 2], vec![3], vec![4]],
        "the two reports of the launch are one story"
    );
    let launch = &stories.stories[0];
    assert!(launch.title.contains("SenseNova U1"), "{}", launch.title);
    assert_eq!(
        launch.published_at,
        parse_time("2026-04-30T08:00:00Z"),
        "the earliest date of its sources"
    );
    assert_eq!(stories.stories[2].published_at, None);
    s
}

pub fn stories_are_ordered_by_date_undated_last_and_numbered_from_one<S: Backend>(s: S) -> S {
    let mut s = setup(s);
    s.record(
        "A",
        &ok(t0()),
        &[item(
            "late",
            "https://n.example/late",
            "Chip export rules tighten for Nvidia H20",
            Some("2026-05-21T00:00:00Z"),
            &["ai"],
        )],
    )
    .unwrap();
    s.cut_version("ai", t0(), group).unwrap();
    s.record(
        "A",
        &ok(t0()),
        &[
            item(
                "undated",
                "https://n.example/undated",
                "Undated essay on open weights",
                None,
                &["ai"],
            ),
            item(
                "early",
                "https://n.example/early",
                "Moonshot ships Kimi K3 with a million-token context",
                Some("2026-05-19T00:00:00Z"),
                &["ai"],
            ),
        ],
    )
    .unwrap();
    s.cut_version("ai", t0() + Duration::hours(1), group)
        .unwrap();
    // Version 2 numbers its new sources after the old one ([1] is from 21 May, [2] from
    // 19 May, [3] undated): stories follow dates, not source numbers.
    let stories = s.stories("ai", Some(2), group).unwrap().unwrap();
    let json = serde_json::to_value(&stories).unwrap();
    assert_eq!(
        json,
        serde_json::json!({"topic": "ai", "version": 2, "stories": [
            {"story": 1, "title": "Moonshot ships Kimi K3 with a million-token context",
             "published_at": "2026-05-19T00:00:00Z", "sources": [2]},
            {"story": 2, "title": "Chip export rules tighten for Nvidia H20",
             "published_at": "2026-05-21T00:00:00Z", "sources": [1]},
            {"story": 3, "title": "Undated essay on open weights",
             "published_at": null, "sources": [3]},
        ]})
    );
    s
}

pub fn a_versions_stories_are_frozen_when_it_is_cut<S: Backend>(s: S) -> S {
    let mut s = setup(s);
    s.record("A", &ok(t0()), &launch_and_fine()).unwrap();
    s.cut_version("ai", t0(), group).unwrap();
    let v1 = s.stories("ai", Some(1), group).unwrap().unwrap();
    assert_eq!(shape(&v1), vec![vec![1, 2], vec![3]]);

    // The wire's report is retitled into another story altogether, and a new item joins
    // the fine's story: the items change, version 1 must not.
    let mut items = launch_and_fine();
    items[1].title = "EU regulators fine Meta: €200 million for data transfers".into();
    items[1].summary = None;
    items.push(item(
        "fine2",
        "https://other.example/meta-fine",
        "Meta fined €200 million by EU regulators over data transfers",
        Some("2026-05-02T12:00:00Z"),
        &["ai"],
    ));
    s.record("A", &ok(t0()), &items).unwrap();
    s.cut_version("ai", t0() + Duration::hours(1), group)
        .unwrap();
    let v2 = s.stories("ai", Some(2), group).unwrap().unwrap();
    assert_ne!(shape(&v2), shape(&v1), "the edit regroups what is cut now");
    assert!(shape(&v2).contains(&vec![1]), "{:?}", shape(&v2));

    assert_eq!(s.stories("ai", Some(1), group).unwrap().unwrap(), v1);
    let read_again = s.stories("ai", Some(1), each_alone).unwrap().unwrap();
    assert_eq!(read_again, v1, "read as stored, not grouped anew");
    s
}

pub fn stories_of_an_unknown_topic_or_version<S: Backend>(s: S) -> S {
    let mut s = setup(s);
    assert_eq!(
        s.stories("nope", None, group).unwrap_err().to_string(),
        "unknown topic `nope`"
    );
    assert_eq!(
        s.stories("ai", None, group).unwrap(),
        None,
        "no version yet"
    );
    let empty = s.cut_version("chips", t0(), group).unwrap();
    assert_eq!(empty.item_count, 0);
    let stories = s.stories("chips", None, group).unwrap().unwrap();
    assert!(stories.stories.is_empty() && stories.frozen);
    assert_eq!(s.stories("chips", Some(2), group).unwrap(), None);
    s
}

pub fn stories_render_as_paragraphs_of_source_lines<S: Backend>(s: S) -> S {
    let mut s = setup(s);
    let mut items = launch_and_fine();
    items.push(item(
        "undated",
        "https://n.example/undated",
        "Rail timetables change in Lyon this winter",
        None,
        &["ai"],
    ));
    s.record("A", &ok(t0()), &items).unwrap();
    let v = s
        .cut_version("ai", parse_time("2026-05-23T03:09:41Z").unwrap(), group)
        .unwrap();
    let stories = s.stories("ai", None, group).unwrap().unwrap();
    let title = &stories.stories[0].title;
    let expected = format!(
        "Topic ai\nVersion 1 · 2026-05-23 03:09 UTC · 4 items · 3 stories\n\
         \n2026-04-30 · {title}\n\
         [1] SenseTime open-sources SenseNova U1, a multimodal model — reactive:ai (2026-04-30)\n\
         [2] SenseNova U1: SenseTime releases its open multimodal model — reactive:ai (2026-04-30)\n\
         \n2026-05-02 · EU regulators fine Meta €200 million over data transfers\n\
         [3] EU regulators fine Meta €200 million over data transfers — reactive:ai (2026-05-02)\n\
         \nundated · Rail timetables change in Lyon this winter\n\
         [4] Rail timetables change in Lyon this winter — reactive:ai\n"
    );
    assert_eq!(stories.render(&v), expected);
    s
}

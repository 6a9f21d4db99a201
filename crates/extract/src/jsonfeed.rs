//! JSON Feed (1.0 and 1.1) read straight from the bytes, one field at a time.
//!
//! JSON Feeds in the wild break the spec's types freely: numeric ids, `tags` as one
//! string, an `author` that is a bare name, `version` written `http://jsonfeed.org/…` or
//! left out, an item that is not an object. A typed deserializer refuses the whole
//! document for any of these; here every value is read leniently ([`Str`], [`Person`],
//! [`Many`]): a value of the wrong type costs that field, an item that is not an object
//! costs that item, and only bytes that are not JSON at all refuse the document. Strings
//! without escapes are borrowed from the document (`serde_json::from_slice`), which keeps
//! this path as fast as a typed one.

use crate::text::{collapse_ws_owned, html_to_text_owned, truncate_chars};
use crate::{ExtractError, MAX_ITEMS_PER_DOCUMENT, MAX_SUMMARY_CHARS, ParsedFeed, has_scheme};
use dossier_model::RawItem;
use serde::Deserialize;
use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use std::borrow::Cow;
use std::fmt;

/// A text value, whatever JSON type the document gave it: strings as they are, numbers
/// as their decimal text (JSON Feed 1.0 ids), anything else as no value.
#[derive(Default, Debug)]
struct Str<'a>(Option<Cow<'a, str>>);

impl<'de> Deserialize<'de> for Str<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Str<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("any value")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Str<'de>, E> {
                Ok(Str(Some(Cow::Borrowed(v))))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Str<'de>, E> {
                Ok(Str(Some(Cow::Owned(v.to_string()))))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Str<'de>, E> {
                Ok(Str(Some(Cow::Owned(v))))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Str<'de>, E> {
                Ok(Str(Some(Cow::Owned(v.to_string()))))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Str<'de>, E> {
                Ok(Str(Some(Cow::Owned(v.to_string()))))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Str<'de>, E> {
                Ok(Str(Some(Cow::Owned(v.to_string()))))
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> Result<Str<'de>, E> {
                Ok(Str(None))
            }
            fn visit_unit<E: de::Error>(self) -> Result<Str<'de>, E> {
                Ok(Str(None))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Str<'de>, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(Str(None))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Str<'de>, A::Error> {
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(Str(None))
            }
        }
        d.deserialize_any(V)
    }
}

impl<'a> Str<'a> {
    fn get(&self) -> Option<&str> {
        self.0.as_deref().map(str::trim).filter(|s| !s.is_empty())
    }
}

/// A value that is an object whose keys are read one by one (a duplicate key keeps its
/// first value); any other value reads as nothing.
trait Fields<'de>: Default {
    /// Reads the value of `key` when it is a field of this object; `false` when not.
    fn field<A: MapAccess<'de>>(&mut self, key: &str, map: &mut A) -> Result<bool, A::Error>;
    /// Whether the value was an object at all.
    fn set_object(&mut self) {}
}

struct ObjectVisitor<T>(std::marker::PhantomData<T>);

impl<'de, T: Fields<'de>> Visitor<'de> for ObjectVisitor<T> {
    type Value = T;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any value")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<T, A::Error> {
        let mut out = T::default();
        out.set_object();
        while let Some(key) = map.next_key::<Str<'de>>()? {
            let key = key.0.unwrap_or_default();
            if !out.field(&key, &mut map)? {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(out)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<T, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(T::default())
    }
    fn visit_borrowed_str<E: de::Error>(self, _: &'de str) -> Result<T, E> {
        Ok(T::default())
    }
    fn visit_str<E: de::Error>(self, _: &str) -> Result<T, E> {
        Ok(T::default())
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<T, E> {
        Ok(T::default())
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<T, E> {
        Ok(T::default())
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<T, E> {
        Ok(T::default())
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<T, E> {
        Ok(T::default())
    }
    fn visit_unit<E: de::Error>(self) -> Result<T, E> {
        Ok(T::default())
    }
}

/// Reads `key` into the first field whose name it is; the value of a key seen before is
/// skipped.
macro_rules! fields {
    ($ty:ident { $($name:literal => $field:ident),* $(,)? }) => {
        impl<'de> Fields<'de> for $ty<'de> {
            fn field<A: MapAccess<'de>>(&mut self, key: &str, map: &mut A) -> Result<bool, A::Error> {
                match key {
                    $($name if !self.seen(stringify!($field)) => {
                        self.$field = map.next_value()?;
                        self.mark(stringify!($field));
                        Ok(true)
                    })*
                    _ => Ok(false),
                }
            }
            fn set_object(&mut self) {
                self.object = true;
            }
        }
        impl<'de> Deserialize<'de> for $ty<'de> {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                d.deserialize_any(ObjectVisitor(std::marker::PhantomData))
            }
        }
        impl<'de> $ty<'de> {
            fn seen(&self, field: &'static str) -> bool {
                self.seen.contains(&field)
            }
            fn mark(&mut self, field: &'static str) {
                self.seen.push(field);
            }
        }
    };
}

/// A list of values, or one value standing for a list of one (`"authors": {...}`).
#[derive(Debug)]
struct Many<T>(Vec<T>);

impl<T> Default for Many<T> {
    fn default() -> Self {
        Many(Vec::new())
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Many<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<T>(std::marker::PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for V<T> {
            type Value = Many<T>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a list")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Many<T>, A::Error> {
                let mut out = Vec::new();
                while let Some(v) = seq.next_element()? {
                    out.push(v);
                }
                Ok(Many(out))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Many<T>, A::Error> {
                let one = T::deserialize(de::value::MapAccessDeserializer::new(map))?;
                Ok(Many(vec![one]))
            }
            fn visit_borrowed_str<E: de::Error>(self, _: &'de str) -> Result<Many<T>, E> {
                Ok(Many::default())
            }
            fn visit_str<E: de::Error>(self, _: &str) -> Result<Many<T>, E> {
                Ok(Many::default())
            }
            fn visit_u64<E: de::Error>(self, _: u64) -> Result<Many<T>, E> {
                Ok(Many::default())
            }
            fn visit_i64<E: de::Error>(self, _: i64) -> Result<Many<T>, E> {
                Ok(Many::default())
            }
            fn visit_f64<E: de::Error>(self, _: f64) -> Result<Many<T>, E> {
                Ok(Many::default())
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> Result<Many<T>, E> {
                Ok(Many::default())
            }
            fn visit_unit<E: de::Error>(self) -> Result<Many<T>, E> {
                Ok(Many::default())
            }
        }
        d.deserialize_any(V(std::marker::PhantomData))
    }
}

/// An author: an object with a `name`, or (as some feeds write it) just the name.
#[derive(Default, Debug)]
struct Person<'a> {
    name: Str<'a>,
}

impl<'de> Deserialize<'de> for Person<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Person<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an author")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Person<'de>, E> {
                Ok(Person {
                    name: Str(Some(Cow::Borrowed(v))),
                })
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Person<'de>, E> {
                Ok(Person {
                    name: Str(Some(Cow::Owned(v.to_string()))),
                })
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Person<'de>, A::Error> {
                ObjectVisitor::<PersonFields>(std::marker::PhantomData)
                    .visit_map(map)
                    .map(|p| Person { name: p.name })
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Person<'de>, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(Person::default())
            }
            fn visit_u64<E: de::Error>(self, _: u64) -> Result<Person<'de>, E> {
                Ok(Person::default())
            }
            fn visit_i64<E: de::Error>(self, _: i64) -> Result<Person<'de>, E> {
                Ok(Person::default())
            }
            fn visit_f64<E: de::Error>(self, _: f64) -> Result<Person<'de>, E> {
                Ok(Person::default())
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> Result<Person<'de>, E> {
                Ok(Person::default())
            }
            fn visit_unit<E: de::Error>(self) -> Result<Person<'de>, E> {
                Ok(Person::default())
            }
        }
        d.deserialize_any(V)
    }
}

#[derive(Default)]
struct PersonFields<'a> {
    name: Str<'a>,
    object: bool,
    seen: Vec<&'static str>,
}
fields!(PersonFields { "name" => name });

#[derive(Default)]
struct Attachment<'a> {
    url: Str<'a>,
    object: bool,
    seen: Vec<&'static str>,
}
fields!(Attachment { "url" => url });

#[derive(Default)]
struct Item<'a> {
    id: Str<'a>,
    url: Str<'a>,
    external_url: Str<'a>,
    title: Str<'a>,
    content_html: Str<'a>,
    content_text: Str<'a>,
    summary: Str<'a>,
    date_published: Str<'a>,
    date_modified: Str<'a>,
    author: Person<'a>,
    authors: Many<Person<'a>>,
    attachments: Many<Attachment<'a>>,
    object: bool,
    seen: Vec<&'static str>,
}
fields!(Item {
    "id" => id,
    "url" => url,
    "external_url" => external_url,
    "title" => title,
    "content_html" => content_html,
    "content_text" => content_text,
    "summary" => summary,
    "date_published" => date_published,
    "date_modified" => date_modified,
    "author" => author,
    "authors" => authors,
    "attachments" => attachments,
});

#[derive(Default)]
struct Feed<'a> {
    version: Str<'a>,
    title: Str<'a>,
    home_page_url: Str<'a>,
    feed_url: Str<'a>,
    author: Person<'a>,
    authors: Many<Person<'a>>,
    items: Option<Many<Item<'a>>>,
    object: bool,
    seen: Vec<&'static str>,
}
fields!(Feed {
    "version" => version,
    "title" => title,
    "home_page_url" => home_page_url,
    "feed_url" => feed_url,
    "author" => author,
    "authors" => authors,
    "items" => items,
});

/// The names of the authors that have one, in order (`author`, then `authors`).
fn names<'a>(author: &'a Person<'a>, authors: &'a Many<Person<'a>>) -> Vec<&'a str> {
    std::iter::once(author)
        .chain(authors.0.iter())
        .filter_map(|a| a.name.get())
        .collect()
}

/// Reads a JSON Feed document. `base` is the URL it came from; relative links resolve
/// against the feed's home page, else its own URL, else `base`.
pub(crate) fn parse(doc: &[u8], base: Option<&str>) -> Result<ParsedFeed, ExtractError> {
    let feed: Feed<'_> = serde_json::from_slice(doc)
        .map_err(|e| ExtractError::Parse(format!("unable to parse JSON: {e}")))?;
    let is_json_feed = feed
        .version
        .get()
        .is_some_and(|v| v.to_ascii_lowercase().contains("jsonfeed.org/version/"));
    let Some(items_in) = feed.items.as_ref().filter(|_| feed.object) else {
        return Err(ExtractError::NotAFeed(if is_json_feed {
            "a JSON Feed without `items`".into()
        } else {
            "JSON, but not a JSON Feed (no `version` or `items`)".into()
        }));
    };
    let title = feed.title.get().map(|t| collapse_ws_owned(t.to_string()));
    let feed_authors = names(&feed.author, &feed.authors);
    let home = [feed.home_page_url.get(), feed.feed_url.get(), base]
        .into_iter()
        .flatten()
        .find_map(|h| url::Url::parse(h).ok());
    let mut warnings = Vec::new();
    let total = items_in.0.len();
    if total > MAX_ITEMS_PER_DOCUMENT {
        warnings.push(format!(
            "kept the first {MAX_ITEMS_PER_DOCUMENT} of {total} items"
        ));
    }
    let not_objects = items_in.0.iter().filter(|i| !i.object).count();
    if not_objects > 0 {
        warnings.push(format!(
            "left out {not_objects} item(s) that are not JSON objects"
        ));
    }
    let mut items = Vec::with_capacity(total.min(MAX_ITEMS_PER_DOCUMENT));
    for item in items_in
        .0
        .iter()
        .filter(|i| i.object)
        .take(MAX_ITEMS_PER_DOCUMENT)
    {
        // An item without a named author has the feed's.
        let own = names(&item.author, &item.authors);
        let authors = if own.is_empty() { &feed_authors } else { &own };
        let href = item.url.get().or(item.external_url.get()).or(item
            .attachments
            .0
            .iter()
            .find_map(|a| a.url.get()));
        let link = href.map(|l| match &home {
            Some(home) if !has_scheme(l) => {
                home.join(l).map_or_else(|_| l.to_string(), String::from)
            }
            _ => l.to_string(),
        });
        // HTML content first; the text content stands in for a missing summary.
        let summary = match (
            item.summary.get(),
            item.content_html.get(),
            item.content_text.get(),
        ) {
            (Some(s), _, _) => Some(collapse_ws_owned(s.to_string())),
            (None, Some(_), Some(text)) => Some(collapse_ws_owned(text.to_string())),
            (None, Some(html), None) => Some(html_to_text_owned(html.to_string())),
            (None, None, Some(text)) => Some(collapse_ws_owned(text.to_string())),
            (None, None, None) => None,
        }
        .map(|s| truncate_chars(s, MAX_SUMMARY_CHARS))
        .filter(|s| !s.is_empty());
        let undo = |t: String| crate::charset::undo_double_encoding(&t).unwrap_or(t);
        items.push(RawItem {
            origin: None,
            guid: item.id.get().map(str::to_string),
            link,
            title: item
                .title
                .get()
                .map(|t| undo(collapse_ws_owned(t.to_string())))
                .filter(|t| !t.is_empty()),
            summary: summary.map(undo),
            author: authors
                .iter()
                .map(|n| crate::author_name(n))
                .find(|n| !n.is_empty()),
            published: item
                .date_published
                .get()
                .and_then(crate::dates::parse_feed_timestamp),
            updated: item
                .date_modified
                .get()
                .and_then(crate::dates::parse_feed_timestamp),
        });
    }
    Ok(ParsedFeed {
        title: title.filter(|t| !t.is_empty()),
        items,
        ttl_mins: None,
        warnings,
        elements: total,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(doc: &str) -> ParsedFeed {
        parse(doc.as_bytes(), None).unwrap()
    }

    #[test]
    fn the_common_shape_is_read() {
        let feed = read(
            r#"{"version": "https://jsonfeed.org/version/1.1", "title": "T",
            "home_page_url": "https://site.example/", "authors": [{"name": "Jane"}],
            "items": [{"id": "1", "url": "/a", "title": "A", "content_html": "<p>x &amp; y</p>",
                       "date_published": "2026-05-18T10:00:00Z"},
                      {"id": 2, "external_url": "https://b.example/", "content_text": "plain",
                       "authors": [{"name": "Joe"}]}]}"#,
        );
        assert_eq!(feed.title.as_deref(), Some("T"));
        assert_eq!(
            feed.items[0].link.as_deref(),
            Some("https://site.example/a")
        );
        assert_eq!(feed.items[0].summary.as_deref(), Some("x & y"));
        assert_eq!(feed.items[0].author.as_deref(), Some("Jane"));
        assert_eq!(feed.items[1].guid.as_deref(), Some("2"));
        assert_eq!(feed.items[1].author.as_deref(), Some("Joe"));
    }

    #[test]
    fn a_value_of_the_wrong_type_costs_that_field_only() {
        let feed = read(
            r#"{"version": "http://jsonfeed.org/version/1", "title": ["not", "text"],
            "author": "Jane Doe",
            "items": [{"id": true, "url": "https://a.example/1", "title": "A", "tags": "one-string",
                       "date_published": false, "authors": {"name": "Joe"}, "attachments": "x"},
                      "not an object",
                      {"title": "B", "title": "second B", "summary": {"x": 1}}]}"#,
        );
        assert_eq!(feed.title, None);
        assert_eq!(feed.items.len(), 2);
        let a = &feed.items[0];
        assert_eq!(
            (a.guid.as_deref(), a.title.as_deref(), a.author.as_deref()),
            (None, Some("A"), Some("Joe"))
        );
        assert_eq!(a.published, None);
        assert_eq!(feed.items[1].title.as_deref(), Some("B"));
        assert_eq!(feed.items[1].author.as_deref(), Some("Jane Doe"));
        assert!(
            feed.warnings[0].contains("not JSON objects"),
            "{:?}",
            feed.warnings
        );
        assert_eq!(feed.elements, 3);
    }

    #[test]
    fn json_that_is_no_feed_is_named() {
        assert!(matches!(
            parse(br#"{"data": [1, 2]}"#, None),
            Err(ExtractError::NotAFeed(m)) if m.contains("not a JSON Feed")
        ));
        assert!(matches!(
            parse(br#"[1, 2]"#, None),
            Err(ExtractError::NotAFeed(_))
        ));
        assert!(matches!(
            parse(br#"{"items": [1"#, None),
            Err(ExtractError::Parse(_))
        ));
        // No version, but items: read as the feed it plainly is.
        assert_eq!(read(r#"{"items": [{"title": "x"}]}"#).items.len(), 1);
    }
}

//! The keys under which the store finds a story again.
//!
//! An item has one or more keys, strongest first; any key two items share makes them one
//! story. They are written as text in one place only ([`ItemKey`]'s `Display`), which the
//! store keys its index by, so the three crates that make, store and look up keys cannot
//! disagree on the format.

use std::fmt;
use std::str::FromStr;

/// One identity key of an item.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ItemKey {
    /// The feed's own id for the item, scoped to that feed.
    Guid { feed: String, guid: String },
    /// The canonical link's dedup key (scheme, `www.` and trailing slashes aside), across
    /// feeds.
    Url(String),
    /// A hash of the title and the date (or the text), scoped to the feed.
    Hash { feed: String, hex: String },
}

const SEP: char = '\u{1f}';

impl fmt::Display for ItemKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ItemKey::Guid { feed, guid } => write!(f, "guid:{feed}{SEP}{guid}"),
            ItemKey::Url(key) => write!(f, "url:{key}"),
            ItemKey::Hash { feed, hex } => write!(f, "hash:{feed}{SEP}{hex}"),
        }
    }
}

/// A stored key that is none of the three forms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadKey(pub String);

impl fmt::Display for BadKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "`{}` is not an item key", self.0.escape_debug())
    }
}

impl std::error::Error for BadKey {}

impl FromStr for ItemKey {
    type Err = BadKey;

    fn from_str(s: &str) -> Result<ItemKey, BadKey> {
        let scoped = |rest: &str| {
            rest.split_once(SEP)
                .map(|(a, b)| (a.to_string(), b.to_string()))
                .ok_or_else(|| BadKey(s.to_string()))
        };
        if let Some(rest) = s.strip_prefix("guid:") {
            let (feed, guid) = scoped(rest)?;
            Ok(ItemKey::Guid { feed, guid })
        } else if let Some(rest) = s.strip_prefix("hash:") {
            let (feed, hex) = scoped(rest)?;
            Ok(ItemKey::Hash { feed, hex })
        } else if let Some(rest) = s.strip_prefix("url:") {
            Ok(ItemKey::Url(rest.to_string()))
        } else {
            Err(BadKey(s.to_string()))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_round_trip_through_their_stored_form() {
        for key in [
            ItemKey::Guid {
                feed: "reactive:ai https://x.example/rss".into(),
                guid: "tag:x,2026:1".into(),
            },
            ItemKey::Url("news.example/2026/story".into()),
            ItemKey::Hash {
                feed: "Lab".into(),
                hex: "0af3".into(),
            },
        ] {
            assert_eq!(key.to_string().parse::<ItemKey>(), Ok(key));
        }
        assert_eq!(
            ItemKey::Url("a.example/b".into()).to_string(),
            "url:a.example/b"
        );
        assert!("guid:no-separator".parse::<ItemKey>().is_err());
        assert!("other:x".parse::<ItemKey>().is_err());
    }
}

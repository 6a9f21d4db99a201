//! Query strings and path values, checked before the store sees them: every parameter
//! must be one the endpoint knows (an unknown one is a 400 naming it and listing the
//! known ones, as unknown config keys are errors), given once, and well formed. Values
//! only ever reach the store as bound parameters.

use crate::error::ApiError;
use chrono::{DateTime, NaiveDate, Utc};
use dossier_store::ItemCursor;
use std::collections::HashMap;

/// The parameters of one request, each known to the endpoint and given at most once.
#[derive(Debug, Default)]
pub struct Params(HashMap<String, String>);

impl Params {
    /// Reads `query` against the endpoint's `known` parameters.
    pub fn parse(query: Option<&str>, known: &[&str]) -> Result<Params, ApiError> {
        let mut found = HashMap::new();
        for (k, v) in url::form_urlencoded::parse(query.unwrap_or("").as_bytes()) {
            if !known.contains(&k.as_ref()) {
                let list = if known.is_empty() {
                    "this endpoint takes no parameters".to_string()
                } else {
                    format!("known parameters: {}", known.join(", "))
                };
                return Err(ApiError::bad_request(format!(
                    "unknown parameter `{k}`; {list}"
                )));
            }
            if found.insert(k.to_string(), v.to_string()).is_some() {
                return Err(ApiError::bad_request(format!(
                    "parameter `{k}` is given more than once"
                )));
            }
        }
        Ok(Params(found))
    }

    /// The parameter's value; an empty value counts as absent (a form's empty field).
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .get(name)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    }

    pub fn required(&self, name: &str) -> Result<&str, ApiError> {
        self.get(name)
            .ok_or_else(|| ApiError::bad_request(format!("parameter `{name}` is required")))
    }

    /// A date as the command line reads it: `YYYY-MM-DD` or RFC 3339. A bare day given
    /// as an upper bound means its end.
    pub fn date(&self, name: &str, end_of_day: bool) -> Result<Option<DateTime<Utc>>, ApiError> {
        self.get(name)
            .map(|s| {
                parse_date(s, end_of_day).ok_or_else(|| {
                    ApiError::bad_request(format!(
                        "parameter `{name}`: `{s}` is not a date (YYYY-MM-DD or RFC 3339)"
                    ))
                })
            })
            .transpose()
    }

    /// `limit`: `default` when absent, 1 to `max`; above is an error, never a clamp.
    pub fn limit(&self, default: u64, max: u64) -> Result<u64, ApiError> {
        let Some(s) = self.get("limit") else {
            return Ok(default);
        };
        match s.parse::<u64>() {
            Ok(n) if (1..=max).contains(&n) => Ok(n),
            _ => Err(ApiError::bad_request(format!(
                "parameter `limit`: `{s}` is not a number from 1 to {max}"
            ))),
        }
    }

    pub fn cursor(&self) -> Result<Option<ItemCursor>, ApiError> {
        self.get("cursor")
            .map(|s| {
                decode_cursor(s).ok_or_else(|| {
                    ApiError::bad_request(format!(
                        "parameter `cursor`: `{s}` is not a cursor this server gave"
                    ))
                })
            })
            .transpose()
    }
}

pub fn parse_date(s: &str, end_of_day: bool) -> Option<DateTime<Utc>> {
    if let Some(t) = dossier_model::parse_time(s) {
        return Some(t);
    }
    let day = NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()?;
    let day = if end_of_day { day.succ_opt()? } else { day };
    Some(day.and_hms_opt(0, 0, 0)?.and_utc())
}

/// A cursor as clients see it: opaque, URL-safe (`<unix micros>.<id>` in hex), so that
/// its shape can change without breaking anyone who only hands it back.
pub fn encode_cursor(c: &ItemCursor) -> String {
    // Times before 1970 are negative: written as their two's complement, read back so.
    format!("{:x}.{:x}", c.sort_at.timestamp_micros() as u64, c.id)
}

pub fn decode_cursor(s: &str) -> Option<ItemCursor> {
    let (at, id) = s.split_once('.')?;
    let micros = u64::from_str_radix(at, 16).ok()? as i64;
    let id = i64::from_str_radix(id, 16).ok()?;
    if id < 0 {
        return None;
    }
    Some(ItemCursor {
        sort_at: DateTime::from_timestamp_micros(micros)?,
        id,
    })
}

/// A version in a path: a number from 1, or `latest` (`None`).
pub fn version_number(s: &str) -> Result<Option<i64>, ApiError> {
    if s == "latest" {
        return Ok(None);
    }
    match s.parse::<i64>() {
        Ok(n) if n >= 1 && s.bytes().all(|b| b.is_ascii_digit()) => Ok(Some(n)),
        _ => Err(ApiError::bad_request(format!(
            "version `{s}` is not a number from 1 or `latest`"
        ))),
    }
}

/// A positive whole number in a path (an item's id, a source's number), named `what`.
pub fn number(s: &str, what: &str) -> Result<i64, ApiError> {
    match s.parse::<i64>() {
        Ok(n) if n >= 1 && s.bytes().all(|b| b.is_ascii_digit()) => Ok(n),
        _ => Err(ApiError::bad_request(format!(
            "{what} `{s}` is not a number from 1"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_and_repeated_parameters_are_named() {
        let e = Params::parse(Some("topic=a&sort=x"), &["topic", "q"]).unwrap_err();
        assert_eq!(
            e.message,
            "unknown parameter `sort`; known parameters: topic, q"
        );
        let e = Params::parse(Some("q=a&q=b"), &["q"]).unwrap_err();
        assert!(e.message.contains("`q` is given more than once"));
        let p = Params::parse(Some("q=caf%C3%A9+au+lait&topic="), &["q", "topic"]).unwrap();
        assert_eq!(p.get("q"), Some("café au lait"));
        assert_eq!(p.get("topic"), None);
    }

    #[test]
    fn limits_and_dates() {
        let p = |q: &str| Params::parse(Some(q), &["limit", "since"]).unwrap();
        assert_eq!(p("").limit(100, 1000).unwrap(), 100);
        assert_eq!(p("limit=1000").limit(100, 1000).unwrap(), 1000);
        for bad in ["limit=1001", "limit=0", "limit=-1", "limit=x"] {
            assert!(
                p(bad)
                    .limit(100, 1000)
                    .unwrap_err()
                    .message
                    .contains("`limit`")
            );
        }
        assert_eq!(
            parse_date("2026-05-22", true).unwrap().to_rfc3339(),
            "2026-05-23T00:00:00+00:00"
        );
        assert!(p("since=yesterday").date("since", false).is_err());
    }

    #[test]
    fn cursors_round_trip_and_garbage_is_refused() {
        let c = ItemCursor {
            sort_at: "2026-05-22T10:15:00.123456Z".parse().unwrap(),
            id: 41,
        };
        let back = decode_cursor(&encode_cursor(&c)).unwrap();
        assert_eq!((back.sort_at, back.id), (c.sort_at, c.id));
        for bad in ["", "x", "1.", ".1", "zz.1", "1.-1", "1.2.3"] {
            assert!(decode_cursor(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn numbers_in_paths() {
        assert_eq!(version_number("latest").unwrap(), None);
        assert_eq!(version_number("3").unwrap(), Some(3));
        for bad in ["0", "-1", "+3", "3.txt", "x"] {
            assert!(version_number(bad).is_err(), "{bad}");
        }
    }
}

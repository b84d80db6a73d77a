//! Event queries, as pure functions over stored events: `time_range` parsing (§5.0),
//! the filters of ListEvents and CountEvents, sorting, marker paging, and statistic
//! buckets aligned to `step`.

use std::cmp::Ordering;

use super::model::{EventQuery, IDENTITY_KEYS, Invalid, SEVERITIES};
use super::store::StoredEvent;

const MINUTE_MS: i64 = 60_000;

/// Most points a CountEvents answer may have (a day of minutes, plus the closing one):
/// the docs cap `duration×60/period` at 1440.
pub(crate) const MAX_POINTS: i64 = 1441;

/// `startMs.endMs.durationMinutes` → `[start, end]` in ms, with `now` for `-1`s.
///
/// `-1.-1.D`: the last D minutes. `-1.E.D`: the D minutes before E. `S.-1.D`: D
/// minutes from S, never past now. `S.E.D`: as given, D at least the span in minutes
/// less one.
pub(crate) fn time_range(text: &str, now: i64) -> Result<(i64, i64), Invalid> {
    let bad = || format!("time_range {text:?} is not startMs.endMs.durationMinutes.");
    let parts: Vec<&str> = text.split('.').collect();
    let [s, e, d] = parts.as_slice() else {
        return Err(bad());
    };
    let num = |x: &str| x.trim().parse::<i64>().map_err(|_| bad());
    let (s, e, d) = (num(s)?, num(e)?, num(d)?);
    if d <= 0 || d > 366 * 24 * 60 || s < -1 || e < -1 {
        return Err(bad());
    }
    let span = d * MINUTE_MS;
    let (start, end) = match (s, e) {
        (-1, -1) => (now - span, now),
        (-1, e) => (e - span, e),
        (s, -1) => (s, (s + span).min(now)),
        (s, e) => {
            let minutes = (e - s) / MINUTE_MS;
            if e < s || d < minutes - 1 {
                return Err(format!(
                    "time_range {text:?}: the duration must cover the range ({minutes} minutes)."
                ));
            }
            (s, e)
        }
    };
    Ok((start.max(0), end.max(0)))
}

/// Whether `e` is in `[start, end]` and matches the query's type, search and metadata
/// relations. `kind`: `active_alert` (not cleared), `history_alert` (cleared), else all.
pub(crate) fn matches(
    e: &StoredEvent,
    q: &EventQuery,
    kind: Option<&str>,
    range: (i64, i64),
) -> bool {
    let in_time = (range.0..=range.1).contains(&e.starts_at);
    let in_kind = match kind {
        Some("active_alert") => e.ends_at == 0,
        Some("history_alert") => e.ends_at > 0,
        _ => true,
    };
    in_time && in_kind && searched(e, q.search.as_deref()) && related(e, q)
}

/// `search`: a case-insensitive substring of one of the mandatory metadata values.
fn searched(e: &StoredEvent, search: Option<&str>) -> bool {
    let Some(needle) = search.map(str::to_lowercase).filter(|s| !s.is_empty()) else {
        return true;
    };
    IDENTITY_KEYS.iter().any(|k| {
        e.metadata
            .get(*k)
            .is_some_and(|v| v.to_lowercase().contains(&needle))
    })
}

/// `metadata_relation`: every AND holds, no NOT matches, and — when there are ORs — at
/// least one OR holds. A condition holds when the key's value is one of `value`.
fn related(e: &StoredEvent, q: &EventQuery) -> bool {
    let holds = |key: &str, values: &[String]| {
        e.metadata
            .get(key)
            .is_some_and(|v| values.iter().any(|x| x == v))
    };
    let mut any_or = None;
    for r in &q.metadata_relation {
        let h = holds(&r.key, &r.value);
        match r.relation.as_deref().unwrap_or("AND") {
            "NOT" if h => return false,
            "OR" => any_or = Some(any_or.unwrap_or(false) || h),
            "AND" if !h => return false,
            _ => {}
        }
    }
    any_or.unwrap_or(true)
}

/// Sorts by `sort.order_by` (`starts_at`, `ends_at`, `arrives_at`, or a metadata key),
/// `desc` by default; ties newest pushed first. No sort: `starts_at` descending.
pub(crate) fn sort(events: &mut [&StoredEvent], q: &EventQuery) {
    let keys: Vec<&str> = q.sort.as_ref().map_or_else(Vec::new, |s| {
        s.order_by.iter().map(String::as_str).collect()
    });
    let keys = if keys.is_empty() {
        vec!["starts_at"]
    } else {
        keys
    };
    let asc = q.sort.as_ref().and_then(|s| s.order.as_deref()) == Some("asc");
    events.sort_by(|a, b| {
        let by_keys = keys
            .iter()
            .map(|k| compare(a, b, k))
            .find(|o| o.is_ne())
            .unwrap_or(Ordering::Equal);
        let o = by_keys.then(a.seq.cmp(&b.seq));
        if asc { o } else { o.reverse() }
    });
}

fn compare(a: &StoredEvent, b: &StoredEvent, key: &str) -> Ordering {
    match key {
        "starts_at" => a.starts_at.cmp(&b.starts_at),
        "ends_at" => a.ends_at.cmp(&b.ends_at),
        "arrives_at" => a.arrives_at.cmp(&b.arrives_at),
        other => a.metadata.get(other).cmp(&b.metadata.get(other)),
    }
}

/// One page: the offset the marker names (`"0"` or absent: the first), at most `limit`
/// items; the previous page's marker (`""` on the first page) and the next one (`""` on
/// the last).
pub(crate) struct Page {
    pub offset: usize,
    pub len: usize,
    pub previous_marker: String,
    pub next_marker: String,
}

pub(crate) fn page(total: usize, marker: Option<&str>, limit: usize) -> Result<Page, Invalid> {
    let offset = match marker {
        None | Some("") => 0,
        Some(m) => m
            .parse::<usize>()
            .map_err(|_| format!("marker {m:?} is not one this endpoint gave out."))?,
    };
    let offset = offset.min(total);
    let len = limit.min(total - offset);
    let next = offset + len;
    Ok(Page {
        offset,
        len,
        previous_marker: if offset == 0 {
            String::new()
        } else {
            offset.saturating_sub(limit).to_string()
        },
        next_marker: if next < total {
            next.to_string()
        } else {
            String::new()
        },
    })
}

/// CountEvents: bucket starts from `start` to `end` aligned down to `step`, both ends
/// included (a 5-minute range at 60 s gives 6 points); per severity (all four, most
/// severe first) the events starting in each bucket; and the totals.
pub(crate) struct Statistic {
    pub timestamps: Vec<i64>,
    pub series: Vec<(&'static str, Vec<u64>)>,
    pub summary: Vec<(&'static str, u64)>,
}

pub(crate) fn statistic(
    events: &[&StoredEvent],
    range: (i64, i64),
    step: i64,
) -> Result<Statistic, Invalid> {
    if step < MINUTE_MS {
        return Err("step is at least 60000 ms.".into());
    }
    let first = range.0.div_euclid(step) * step;
    let last = range.1.div_euclid(step) * step;
    let points = (last - first) / step + 1;
    if points > MAX_POINTS {
        return Err(format!("the range holds more than {MAX_POINTS} steps."));
    }
    let timestamps: Vec<i64> = (0..points).map(|i| first + i * step).collect();
    let mut series: Vec<(&'static str, Vec<u64>)> = SEVERITIES
        .iter()
        .map(|s| (*s, vec![0; timestamps.len()]))
        .collect();
    for e in events {
        let severity = e.metadata.get("event_severity").map_or("", String::as_str);
        let Some(row) = series.iter_mut().find(|(s, _)| *s == severity) else {
            continue;
        };
        let i = (e.starts_at.div_euclid(step) * step - first) / step;
        if let Some(slot) = usize::try_from(i).ok().and_then(|i| row.1.get_mut(i)) {
            *slot += 1;
        }
    }
    let summary = series.iter().map(|(s, v)| (*s, v.iter().sum())).collect();
    Ok(Statistic {
        timestamps,
        series,
        summary,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_642_821_010_000;

    #[test]
    fn time_ranges_follow_the_documented_forms() {
        assert_eq!(time_range("-1.-1.5", NOW), Ok((NOW - 300_000, NOW)));
        assert_eq!(time_range("-1.1000000.1", NOW), Ok((940_000, 1_000_000)));
        assert_eq!(
            time_range("1650852000000.-1.5", NOW),
            Ok((1_650_852_000_000, NOW))
        );
        assert_eq!(
            time_range("1650852000000.1650852300000.5", NOW),
            Ok((1_650_852_000_000, 1_650_852_300_000))
        );
        // The duration must cover the span (less one minute).
        assert!(time_range("0.600000.9", NOW).is_ok());
        assert!(time_range("0.600000.8", NOW).is_err());
        for bad in [
            "garbage", "-1.-1", "-1.-1.0", "-1.-1.x", "1.2.3.4", "-2.-1.5", "5.1.5",
        ] {
            assert!(time_range(bad, NOW).is_err(), "{bad}");
        }
    }

    #[test]
    fn pages_walk_with_markers() {
        let p = page(5, Some("0"), 2).unwrap();
        assert_eq!(
            (
                p.offset,
                p.len,
                p.previous_marker.as_str(),
                p.next_marker.as_str()
            ),
            (0, 2, "", "2")
        );
        let p = page(5, Some("4"), 2).unwrap();
        assert_eq!(
            (
                p.offset,
                p.len,
                p.previous_marker.as_str(),
                p.next_marker.as_str()
            ),
            (4, 1, "2", "")
        );
        assert!(page(5, Some("x"), 2).is_err());
        assert_eq!(page(0, None, 1000).unwrap().len, 0);
    }

    #[test]
    fn statistic_points_are_aligned_and_include_both_ends() {
        let s = statistic(&[], (NOW - 300_000, NOW), 60_000).unwrap();
        assert_eq!(s.timestamps.len(), 6);
        assert_eq!(s.timestamps[0], 1_642_820_700_000);
        assert_eq!(s.timestamps[5], 1_642_821_000_000);
        assert!(s.timestamps.iter().all(|t| t % 60_000 == 0));
        assert_eq!(s.series.len(), 4);
        assert!(s.series.iter().all(|(_, v)| v.len() == 6));
        assert!(statistic(&[], (0, 1), 1000).is_err());
        assert!(statistic(&[], (0, 2 * 86_400_000), 60_000).is_err());
    }
}

//! The catalogue of event types a subscription may ask for, and the events themselves: what
//! happened (`type`), when (`timestamp`, RFC 3339) and the details (`data`), which is exactly the
//! JSON body a receiver gets.

use gatehouse_core::{AccessLog, Participant, ParticipantStatus, Zone};
use serde_json::{json, Value};

use gatehouse_db::devices::Device;

/// Event types, with what each one means.
pub const CATALOGUE: &[(&str, &str)] = &[
    (
        CHECKIN_SCANNED,
        "a gate decided a scan (online, or on a device and uploaded); `verdict`, `reason` and \
         `movement` say what it decided",
    ),
    (
        OFFLINE_DUPLICATE,
        "two gates admitted one badge into one zone while offline; the later scan is flagged",
    ),
    (
        PARTICIPANT_STATUS_CHANGED,
        "a participant's status changed (pending, approved, rejected, cancelled)",
    ),
    (
        PARTICIPANT_REGISTERED,
        "a participant was registered (created through the API)",
    ),
    (PARTICIPANT_APPROVED, "a participant became approved"),
    (PARTICIPANT_REJECTED, "a participant became rejected"),
    (
        DEVICE_OFFLINE,
        "a paired gate device has not called in for the configured time (announced once)",
    ),
    (DEVICE_ONLINE, "a device announced offline called in again"),
    (
        OCCUPANCY_THRESHOLD_CROSSED,
        "a zone's occupancy (online scans, devices' uploaded counters) crossed 75, 90 or 100 % of \
         its capacity (`direction` up or down)",
    ),
];

pub const CHECKIN_SCANNED: &str = "checkin.scanned";
pub const OFFLINE_DUPLICATE: &str = "checkin.offline_duplicate";
pub const PARTICIPANT_REGISTERED: &str = "participant.registered";
pub const PARTICIPANT_STATUS_CHANGED: &str = "participant.status_changed";
pub const PARTICIPANT_APPROVED: &str = "participant.approved";
pub const PARTICIPANT_REJECTED: &str = "participant.rejected";
pub const DEVICE_OFFLINE: &str = "device.offline";
pub const DEVICE_ONLINE: &str = "device.online";
pub const OCCUPANCY_THRESHOLD_CROSSED: &str = "occupancy.threshold_crossed";
/// Sent by `POST /api/v1/webhooks/{id}/test` to that one subscription, whatever its filter.
pub const TEST_PING: &str = "webhook.test";

/// Most event-type filters one subscription may hold.
pub const MAX_FILTERS: usize = 64;

/// Something that happened, about to be written to the outbox.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    pub event_type: &'static str,
    pub data: Value,
}

impl Event {
    /// The body receivers get, as sent (and signed).
    pub fn body(&self, at_ms: i64) -> String {
        json!({"type": self.event_type, "timestamp": rfc3339(at_ms), "data": self.data}).to_string()
    }
}

/// Checks one filter: `*`, a catalogue type, or `prefix.*` (e.g. `checkin.*`).
pub fn validate_filter(filter: &str) -> Result<(), String> {
    if filter == "*" || CATALOGUE.iter().any(|(t, _)| *t == filter) {
        return Ok(());
    }
    if let Some(prefix) = filter.strip_suffix(".*") {
        if CATALOGUE
            .iter()
            .any(|(t, _)| t.split_once('.').is_some_and(|(p, _)| p == prefix))
        {
            return Ok(());
        }
    }
    Err(format!(
        "`event_types`: {filter:?} is not an event type (known: {}, or `*`, or `group.*`)",
        CATALOGUE
            .iter()
            .map(|(t, _)| *t)
            .collect::<Vec<_>>()
            .join(", ")
    ))
}

/// Whether a subscription with these filters wants `event_type`.
pub fn wanted(filters: &[String], event_type: &str) -> bool {
    filters.iter().any(|f| {
        f == "*"
            || f == event_type
            || f.strip_suffix(".*").is_some_and(|prefix| {
                event_type
                    .split_once('.')
                    .is_some_and(|(group, _)| group == prefix)
            })
    })
}

/// A scan as decided, admitted or not: `checkin.scanned`, the verdict in `data`.
pub fn scan(log: &AccessLog, source: &str) -> Event {
    let mut data = serde_json::to_value(log).unwrap_or_else(|_| json!({}));
    if let Value::Object(map) = &mut data {
        map.insert("source".into(), json!(source));
        map.insert("reason_text".into(), json!(log.reason.sentence()));
    }
    Event {
        event_type: CHECKIN_SCANNED,
        data,
    }
}

/// A scan flagged as the second offline admission of a badge.
pub fn offline_duplicate(scan_id: &str, event_id: &str) -> Event {
    Event {
        event_type: OFFLINE_DUPLICATE,
        data: json!({"scan_id": scan_id, "event_id": event_id}),
    }
}

/// A participant was created: `participant.registered`.
pub fn registered(participant: &Participant) -> Event {
    Event {
        event_type: PARTICIPANT_REGISTERED,
        data: json!({
            "participant_id": participant.id,
            "event_id": participant.event_id,
            "full_name": participant.full_name,
            "organisation": participant.organisation,
            "category": participant.category,
            "status": participant.status.as_str(),
        }),
    }
}

/// The events of one status change: `participant.status_changed`, plus `participant.approved`
/// or `participant.rejected` when that is the new status.
pub fn status_changed(participant: &Participant, previous: ParticipantStatus) -> Vec<Event> {
    let data = json!({
        "participant_id": participant.id,
        "event_id": participant.event_id,
        "full_name": participant.full_name,
        "category": participant.category,
        "previous_status": previous.as_str(),
        "status": participant.status.as_str(),
    });
    let mut events = vec![Event {
        event_type: PARTICIPANT_STATUS_CHANGED,
        data: data.clone(),
    }];
    match participant.status {
        ParticipantStatus::Approved => events.push(Event {
            event_type: PARTICIPANT_APPROVED,
            data,
        }),
        ParticipantStatus::Rejected => events.push(Event {
            event_type: PARTICIPANT_REJECTED,
            data,
        }),
        _ => {}
    }
    events
}

/// Percentages of a zone's capacity announced when its occupancy crosses them.
pub const THRESHOLDS: [i64; 3] = [75, 90, 100];

/// The `occupancy.threshold_crossed` events of one change of a zone's occupancy from `before` to
/// `after`: one per threshold crossed, `direction` `up` (reaching it) or `down` (falling below
/// it). None for a zone without a capacity.
pub fn threshold_crossings(zone: &Zone, before: i64, after: i64) -> Vec<Event> {
    let Some(capacity) = zone.capacity.filter(|c| *c > 0).map(i64::from) else {
        return Vec::new();
    };
    let reached = |occupancy: i64, pct: i64| occupancy * 100 >= pct * capacity;
    THRESHOLDS
        .iter()
        .filter_map(|&pct| match (reached(before, pct), reached(after, pct)) {
            (false, true) => Some((pct, "up")),
            (true, false) => Some((pct, "down")),
            _ => None,
        })
        .map(|(pct, direction)| Event {
            event_type: OCCUPANCY_THRESHOLD_CROSSED,
            data: json!({
                "zone_id": zone.id,
                "event_id": zone.event_id,
                "zone_name": zone.name,
                "capacity": capacity,
                "occupancy": after,
                "previous_occupancy": before,
                "threshold": pct,
                "direction": direction,
            }),
        })
        .collect()
}

/// A device went silent (`offline`) or called in again.
pub fn device(device: &Device, online: bool) -> Event {
    Event {
        event_type: if online {
            DEVICE_ONLINE
        } else {
            DEVICE_OFFLINE
        },
        data: json!({
            "device_id": device.id,
            "event_id": device.event_id,
            "name": device.name,
            "last_seen_at": device.last_seen_at.map(rfc3339),
        }),
    }
}

/// The test ping.
pub fn test_ping(subscription_id: &str) -> Event {
    Event {
        event_type: TEST_PING,
        data: json!({"subscription_id": subscription_id, "message": "a test from Gatehouse"}),
    }
}

/// Unix milliseconds as `2026-12-01T19:04:25.123Z`.
pub fn rfc3339(ms: i64) -> String {
    let secs = ms.div_euclid(1_000);
    let millis = ms.rem_euclid(1_000);
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{millis:03}Z",
        rem / 3_600,
        rem % 3_600 / 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_rfc3339_in_utc() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(rfc3339(784_111_777_123), "1994-11-06T08:49:37.123Z");
        assert_eq!(rfc3339(1_709_210_096_000), "2024-02-29T12:34:56.000Z");
        assert_eq!(
            super::super::schedule::days_from_civil(2024, 2, 29) * 86_400_000 + 45_296_000,
            1_709_210_096_000
        );
    }

    #[test]
    fn thresholds_are_announced_once_per_crossing_each_way() {
        let zone = Zone {
            id: gatehouse_core::ZoneId(uuid::Uuid::nil()),
            event_id: gatehouse_core::EventId(uuid::Uuid::nil()),
            name: "Press room".into(),
            capacity: Some(4),
            multiple_entry: false,
        };
        let crossed = |before, after| {
            threshold_crossings(&zone, before, after)
                .iter()
                .map(|e| {
                    assert_eq!(e.event_type, OCCUPANCY_THRESHOLD_CROSSED);
                    (
                        e.data["threshold"].as_i64().unwrap(),
                        e.data["direction"].as_str().unwrap().to_owned(),
                    )
                })
                .collect::<Vec<_>>()
        };
        assert_eq!(crossed(1, 2), vec![]);
        assert_eq!(crossed(2, 3), vec![(75, "up".to_owned())]);
        // 4 of 4 is both 90 % and 100 %.
        assert_eq!(
            crossed(3, 4),
            vec![(90, "up".to_owned()), (100, "up".to_owned())]
        );
        assert_eq!(crossed(4, 5), vec![]);
        assert_eq!(
            crossed(4, 3),
            vec![(90, "down".to_owned()), (100, "down".to_owned())]
        );
        assert_eq!(crossed(3, 2), vec![(75, "down".to_owned())]);
        let open = Zone {
            capacity: None,
            ..zone.clone()
        };
        assert!(threshold_crossings(&open, 0, 1_000).is_empty());
    }

    #[test]
    fn filters_take_exact_types_groups_and_everything() {
        let f = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert!(wanted(&f(&["*"]), DEVICE_OFFLINE));
        assert!(wanted(&f(&["checkin.scanned"]), CHECKIN_SCANNED));
        assert!(!wanted(&f(&["checkin.scanned"]), OFFLINE_DUPLICATE));
        assert!(wanted(&f(&["checkin.*"]), CHECKIN_SCANNED));
        assert!(wanted(&f(&["checkin.*"]), OFFLINE_DUPLICATE));
        assert!(!wanted(&f(&["checkin.*"]), PARTICIPANT_REGISTERED));
        assert!(!wanted(&f(&[]), CHECKIN_SCANNED));
        assert!(validate_filter("checkin.*").is_ok());
        assert!(validate_filter("occupancy.*").is_ok());
        assert!(validate_filter("participant.registered").is_ok());
        assert!(validate_filter("occupancy.threshold_crossed").is_ok());
        // The names used before `checkin.scanned` never shipped: they are unknown.
        assert!(validate_filter("scan.accepted").is_err());
        assert!(validate_filter("scan.*").is_err());
        let err = validate_filter("checkin.maybe").unwrap_err();
        assert!(
            err.contains("event_types") && err.contains("checkin.scanned"),
            "{err}"
        );
        assert!(validate_filter("nothing.*").is_err());
    }
}

//! What an admin may do ([`Permission`]) and which modules a tenant has switched on
//! ([`FeatureFlag`]). Both are closed lists with stable names, stored as text.

use serde::{Deserialize, Serialize};

macro_rules! named_enum {
    ($(#[$doc:meta])* $name:ident { $($variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        pub enum $name {
            $(#[serde(rename = $text)] $variant),+
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text),+
                }
            }

            pub fn parse(text: &str) -> Option<Self> {
                Self::ALL.iter().copied().find(|v| v.as_str() == text)
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

named_enum!(
    /// One thing an admin role may do.
    Permission {
        ApiKeysManage => "api-keys:manage",
        WebhooksManage => "webhooks:manage",
        CheckInScan => "check-in:scan",
        KioskManage => "kiosk:manage",
        BulkOperationsExecute => "bulk-operations:execute",
        DuplicatesReview => "duplicates:review",
        BlacklistManage => "blacklist:manage",
        WaitlistManage => "waitlist:manage",
        CommunicationBroadcast => "communication:broadcast",
        EventCloneExecute => "event-clone:execute",
        DevicesManage => "devices:manage",
        ParticipantsRead => "participants:read",
        ParticipantsManage => "participants:manage",
        EventsManage => "events:manage",
        AccessLogsRead => "access-logs:read",
        OccupancyRead => "occupancy:read",
        AuditRead => "audit:read",
    }
);

impl Permission {
    /// The REST API scopes (`resource:action`) this permission lets its holder give an API key:
    /// a key may do no more than the admin who makes or rotates it. See [`API_SCOPES`].
    pub fn api_scopes(self) -> &'static [&'static str] {
        API_SCOPES
            .iter()
            .find(|(p, _)| *p == self)
            .map_or(&[], |(_, scopes)| scopes)
    }
}

/// Which REST API scopes each permission covers, in one place. A permission that is not listed
/// covers none (managing API keys, kiosks, audit reading: nothing an API key can do). A check-in
/// writes the access log and moves occupancy, so `check-in:scan` covers those writes too. Every
/// scope an API key can name is covered by some permission, so an admin holding them all may
/// still make a `*` key.
pub const API_SCOPES: &[(Permission, &[&str])] = &[
    (
        Permission::EventsManage,
        &[
            "events:read",
            "events:write",
            "zones:read",
            "zones:write",
            "checkpoints:read",
            "checkpoints:write",
        ],
    ),
    (
        Permission::ParticipantsRead,
        &["participants:read", "events:read"],
    ),
    (
        Permission::ParticipantsManage,
        &["participants:read", "participants:write"],
    ),
    (
        Permission::CheckInScan,
        &[
            "check-ins:read",
            "check-ins:write",
            "access-logs:write",
            "occupancy:write",
        ],
    ),
    (Permission::AccessLogsRead, &["access-logs:read"]),
    (Permission::OccupancyRead, &["occupancy:read"]),
    (
        Permission::DevicesManage,
        &["devices:read", "devices:write"],
    ),
    (
        Permission::WebhooksManage,
        &["webhooks:read", "webhooks:write"],
    ),
];

named_enum!(
    /// A module a tenant can have switched on.
    FeatureFlag {
        RestApi => "REST_API",
        Webhooks => "WEBHOOKS",
        BulkOperations => "BULK_OPERATIONS",
        EventClone => "EVENT_CLONE",
        Waitlist => "WAITLIST",
        CommunicationHub => "COMMUNICATION_HUB",
        KioskMode => "KIOSK_MODE",
    }
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_match_the_documented_spelling() {
        for p in Permission::ALL {
            assert_eq!(Permission::parse(p.as_str()), Some(*p));
        }
        assert_eq!(Permission::ApiKeysManage.as_str(), "api-keys:manage");
        assert_eq!(
            serde_json::to_string(&FeatureFlag::KioskMode).unwrap(),
            "\"KIOSK_MODE\""
        );
    }
}

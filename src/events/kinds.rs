//! [`TenureEvent`]: the event types Tenure acts on, read from a CloudEvent's
//! `type` and `data`.

use serde::Deserialize;
use serde_json::Value;
use tenure_plugin_api::SecretAddress;

use crate::governance::ReviewData;

/// The Azure Key Vault event types (Event Grid) that reconcile a secret.
pub const KEY_VAULT_TYPES: [&str; 3] = [
    "Microsoft.KeyVault.SecretNearExpiry",
    "Microsoft.KeyVault.SecretExpired",
    "Microsoft.KeyVault.SecretNewVersionCreated",
];

/// Every event type Tenure accepts.
pub const TYPES: [&str; 11] = [
    "io.tenure.owner.left",
    "io.tenure.owner.returned",
    "io.tenure.owner.changed",
    "io.tenure.workload.moved",
    "io.tenure.workload.decommissioned",
    "io.tenure.workload.restored",
    "io.tenure.secret.exposed",
    "io.tenure.review.lapsed",
    "io.tenure.review.completed",
    "io.tenure.governance.updated",
    "io.tenure.group.members",
];

/// A governance change Tenure reacts to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TenureEvent {
    /// The owner left: their secrets get the `owner_left` reaction.
    OwnerLeft {
        /// The owner's id.
        owner: String,
    },
    /// The owner is back (a mistaken `owner.left`, a rehire): active again.
    OwnerReturned {
        /// The owner's id.
        owner: String,
    },
    /// `owner`'s records now belong to `new_owner`.
    OwnerChanged {
        /// The previous owner.
        owner: String,
        /// The new owner.
        new_owner: String,
    },
    /// The workload moved.
    WorkloadMoved {
        /// The workload's id.
        workload: String,
    },
    /// The workload is gone for good.
    WorkloadDecommissioned {
        /// The workload's id.
        workload: String,
    },
    /// The workload runs again where it was approved (a mistaken move or
    /// decommissioning): running again.
    WorkloadRestored {
        /// The workload's id.
        workload: String,
    },
    /// A secret's value was exposed: rotate it now.
    SecretExposed {
        /// The secret.
        secret: SecretAddress,
    },
    /// A record's review lapsed.
    ReviewLapsed {
        /// The record's id.
        record: String,
    },
    /// A record's review was completed: who reviewed, what they decided,
    /// the next date.
    ReviewCompleted {
        /// The review as sent.
        review: ReviewData,
    },
    /// The governance files changed: read them again.
    GovernanceUpdated,
    /// A group's members now are `members` (owner ids): a record whose
    /// `owner_group` it is and whose owner is not among them counts as
    /// its owner having left.
    GroupMembers {
        /// The group's name.
        group: String,
        /// The owner ids of its members.
        members: Vec<String>,
    },
    /// The vault itself reported a change to a secret (Azure Key Vault
    /// through Event Grid): reconcile it now.
    VaultChanged {
        /// The secret.
        secret: SecretAddress,
    },
}

/// Why an event cannot be acted on. Means 422: the request was well formed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EventError {
    /// Not a type Tenure knows.
    #[error("unknown event type {0:?}")]
    UnknownType(String),
    /// The `data` does not fit the type.
    #[error("invalid data for {kind}: {detail}")]
    InvalidData {
        /// The type.
        kind: String,
        /// What is wrong.
        detail: String,
    },
}

#[derive(Deserialize)]
struct Owner {
    owner: String,
}
#[derive(Deserialize)]
struct Change {
    owner: String,
    new_owner: String,
}
#[derive(Deserialize)]
struct WorkloadData {
    workload: String,
}
#[derive(Deserialize)]
struct Secret {
    secret: SecretAddress,
}
#[derive(Deserialize)]
struct GroupData {
    group: String,
    members: Vec<String>,
}
#[derive(Deserialize)]
struct RecordData {
    record: String,
}

fn data<T: serde::de::DeserializeOwned>(kind: &str, data: &Value) -> Result<T, EventError> {
    T::deserialize(data).map_err(|e| EventError::InvalidData {
        kind: kind.to_owned(),
        detail: e.to_string(),
    })
}

fn non_empty(kind: &str, name: &str, value: String) -> Result<String, EventError> {
    if value.trim().is_empty() {
        return Err(EventError::InvalidData {
            kind: kind.to_owned(),
            detail: format!("`{name}` is empty"),
        });
    }
    Ok(value)
}

impl TenureEvent {
    /// Reads an event of type `kind` with `data`.
    pub fn parse(kind: &str, value: &Value) -> Result<Self, EventError> {
        type Field = Result<String, EventError>;
        let owner = || -> Field { non_empty(kind, "owner", data::<Owner>(kind, value)?.owner) };
        let workload = || -> Field {
            non_empty(
                kind,
                "workload",
                data::<WorkloadData>(kind, value)?.workload,
            )
        };
        let record =
            || -> Field { non_empty(kind, "record", data::<RecordData>(kind, value)?.record) };
        Ok(match kind {
            "io.tenure.owner.left" => Self::OwnerLeft { owner: owner()? },
            "io.tenure.owner.returned" => Self::OwnerReturned { owner: owner()? },
            "io.tenure.owner.changed" => {
                let change: Change = data(kind, value)?;
                Self::OwnerChanged {
                    owner: non_empty(kind, "owner", change.owner)?,
                    new_owner: non_empty(kind, "new_owner", change.new_owner)?,
                }
            }
            "io.tenure.workload.moved" => Self::WorkloadMoved {
                workload: workload()?,
            },
            "io.tenure.workload.decommissioned" => Self::WorkloadDecommissioned {
                workload: workload()?,
            },
            "io.tenure.workload.restored" => Self::WorkloadRestored {
                workload: workload()?,
            },
            "io.tenure.secret.exposed" => Self::SecretExposed {
                secret: data::<Secret>(kind, value)?.secret,
            },
            "io.tenure.review.lapsed" => Self::ReviewLapsed { record: record()? },
            "io.tenure.review.completed" => {
                let review: ReviewData = data(kind, value)?;
                // Checked now, so a review that cannot be applied is refused (422).
                review
                    .review(chrono::DateTime::<chrono::Utc>::UNIX_EPOCH)
                    .map_err(|e| EventError::InvalidData {
                        kind: kind.to_owned(),
                        detail: e.to_string(),
                    })?;
                Self::ReviewCompleted { review }
            }
            "io.tenure.governance.updated" => Self::GovernanceUpdated,
            "io.tenure.group.members" => {
                let data: GroupData = data(kind, value)?;
                Self::GroupMembers {
                    group: non_empty(kind, "group", data.group)?,
                    members: data.members,
                }
            }
            other if KEY_VAULT_TYPES.contains(&other) => Self::VaultChanged {
                secret: data::<Secret>(kind, value)?.secret,
            },
            other => return Err(EventError::UnknownType(other.to_owned())),
        })
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn every_type_parses_and_bad_data_is_refused() {
        let samples = [
            json!({"owner": "dana"}),
            json!({"owner": "dana"}),
            json!({"owner": "dana", "new_owner": "erin"}),
            json!({"workload": "api"}),
            json!({"workload": "api"}),
            json!({"workload": "api"}),
            json!({"secret": "local:demo/reports-token"}),
            json!({"record": "reports"}),
            json!({"record": "reports", "reviewer": "rita", "decision": "keep"}),
            Value::Null,
            json!({"group": "payments-owners", "members": ["dana"]}),
        ];
        for (kind, sample) in TYPES.iter().zip(samples) {
            assert!(TenureEvent::parse(kind, &sample).is_ok(), "{kind}");
        }
        assert!(matches!(
            TenureEvent::parse("io.tenure.owner.left", &json!({"who": "dana"})),
            Err(EventError::InvalidData { .. })
        ));
        assert!(matches!(
            TenureEvent::parse("io.tenure.owner.left", &json!({"owner": " "})),
            Err(EventError::InvalidData { .. })
        ));
        // A review names its reviewer and a decision it can carry out.
        for bad in [
            json!({"record": "reports"}),
            json!({"record": "reports", "reviewer": "rita", "decision": "approve"}),
            json!({"record": "reports", "reviewer": "rita", "decision": "narrow"}),
            json!({"record": " ", "reviewer": "rita", "decision": "keep"}),
        ] {
            assert!(
                matches!(
                    TenureEvent::parse("io.tenure.review.completed", &bad),
                    Err(EventError::InvalidData { .. })
                ),
                "{bad}"
            );
        }
        assert!(matches!(
            TenureEvent::parse(
                "io.tenure.secret.exposed",
                &json!({"secret": "no-provider"})
            ),
            Err(EventError::InvalidData { .. })
        ));
        assert_eq!(
            TenureEvent::parse("com.example.other", &Value::Null),
            Err(EventError::UnknownType("com.example.other".into()))
        );
    }
}

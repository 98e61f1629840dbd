//! Azure Event Grid (Event Grid schema): the subscription validation
//! handshake, and Key Vault secret events turned into CloudEvents that name
//! the matching Tenure secret.

use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::{Value, json};

use super::{CloudEvent, KEY_VAULT_TYPES};

const VALIDATION: &str = "Microsoft.EventGrid.SubscriptionValidationEvent";

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct GridEvent {
    id: String,
    #[serde(default)]
    topic: String,
    event_type: String,
    event_time: Option<DateTime<Utc>>,
    #[serde(default)]
    data: Value,
}

/// Why a delivery could not be read: 400.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EventGridError {
    /// Not a JSON array of Event Grid events.
    #[error("not an Event Grid delivery: {0}")]
    Malformed(String),
}

/// What one Event Grid event became.
#[derive(Debug, Clone, PartialEq)]
pub enum GridOutcome {
    /// A Key Vault event for a managed secret, ready to store.
    Event(CloudEvent),
    /// A Key Vault event for a vault or secret no provider manages.
    Unmatched,
    /// Another event type.
    Ignored,
}

/// A delivery: either the validation handshake or events.
#[derive(Debug, Clone, PartialEq)]
pub enum EventGridDelivery {
    /// Echo this code as `validationResponse` to complete the handshake.
    Validation(String),
    /// The events, in order.
    Events(Vec<GridOutcome>),
}

/// Reads a delivery; `secret_for(vault, name)` finds the Tenure address of
/// a Key Vault secret (`None` when no provider manages it).
pub fn read_delivery(
    body: &[u8],
    secret_for: impl Fn(&str, &str) -> Option<String>,
) -> Result<EventGridDelivery, EventGridError> {
    let events: Vec<GridEvent> =
        serde_json::from_slice(body).map_err(|e| EventGridError::Malformed(e.to_string()))?;
    if let Some(validation) = events.iter().find(|e| e.event_type == VALIDATION) {
        let code = validation
            .data
            .get("validationCode")
            .and_then(Value::as_str)
            .filter(|c| !c.is_empty())
            .ok_or_else(|| {
                EventGridError::Malformed("validation event without validationCode".into())
            })?;
        return Ok(EventGridDelivery::Validation(code.to_owned()));
    }
    let outcomes = events
        .into_iter()
        .map(|event| {
            if !KEY_VAULT_TYPES.contains(&event.event_type.as_str()) {
                return GridOutcome::Ignored;
            }
            let field = |name: &str| {
                event
                    .data
                    .get(name)
                    .and_then(Value::as_str)
                    .unwrap_or_default()
            };
            let (vault, name) = (field("VaultName"), field("ObjectName"));
            if field("ObjectType") != "Secret" {
                return GridOutcome::Ignored;
            }
            match secret_for(vault, name) {
                Some(secret) => GridOutcome::Event(CloudEvent {
                    data: json!({ "secret": secret, "vault": vault, "name": name }),
                    id: event.id,
                    source: if event.topic.is_empty() {
                        format!("eventgrid:{vault}")
                    } else {
                        event.topic
                    },
                    kind: event.event_type,
                    time: event.event_time,
                }),
                None => GridOutcome::Unmatched,
            }
        })
        .collect();
    Ok(EventGridDelivery::Events(outcomes))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lookup(vault: &str, name: &str) -> Option<String> {
        (vault == "my-vault" && name == "team--db").then(|| "azure:team/db".to_owned())
    }

    #[test]
    fn the_handshake_echoes_the_code() {
        let body = br#"[{"id":"1","topic":"t","subject":"","data":{"validationCode":"512d38b6-c7b8-40c8-89fe-f46f9e9622b6"},
            "eventType":"Microsoft.EventGrid.SubscriptionValidationEvent","eventTime":"2026-11-25T10:00:00Z","dataVersion":"1"}]"#;
        assert_eq!(
            read_delivery(body, lookup),
            Ok(EventGridDelivery::Validation(
                "512d38b6-c7b8-40c8-89fe-f46f9e9622b6".into()
            ))
        );
    }

    #[test]
    fn key_vault_events_name_the_secret() {
        let body = br#"[
          {"id":"a","topic":"/subscriptions/s/resourceGroups/g/providers/Microsoft.KeyVault/vaults/my-vault","subject":"team--db",
           "eventType":"Microsoft.KeyVault.SecretNearExpiry","eventTime":"2026-11-25T10:00:00Z",
           "data":{"Id":"https://my-vault.vault.azure.net/secrets/team--db/v1","VaultName":"my-vault","ObjectType":"Secret","ObjectName":"team--db","Version":"v1","NBF":null,"EXP":1780000000},
           "dataVersion":"1","metadataVersion":"1"},
          {"id":"b","topic":"t","eventType":"Microsoft.KeyVault.SecretExpired","data":{"VaultName":"other","ObjectType":"Secret","ObjectName":"x"}},
          {"id":"c","topic":"t","eventType":"Microsoft.KeyVault.CertificateNearExpiry","data":{"VaultName":"my-vault","ObjectType":"Certificate","ObjectName":"c"}}
        ]"#;
        let EventGridDelivery::Events(outcomes) = read_delivery(body, lookup).expect("delivery")
        else {
            panic!("expected events");
        };
        let GridOutcome::Event(event) = &outcomes[0] else {
            panic!("expected an event: {outcomes:?}");
        };
        assert_eq!(event.kind, "Microsoft.KeyVault.SecretNearExpiry");
        assert_eq!(event.data["secret"], "azure:team/db");
        assert_eq!(outcomes[1], GridOutcome::Unmatched);
        assert_eq!(outcomes[2], GridOutcome::Ignored);
        assert!(read_delivery(b"{}", lookup).is_err());
    }
}

//! Gathering a plan's facts: every provider's inventory read (one
//! provider's outage never hides the others' secrets), each secret's
//! quarantine flag and latest recorded attestation put in, and the
//! inventory refreshed after a pass acted on a few secrets.

use std::collections::{HashMap, HashSet};

use tenure_plugin_api::{PluginError, SecretAddress, SecretMetadata};

use crate::config::Config;
use crate::governance::SecretFacts;
use crate::plugins::Plugins;
use crate::state::{AttestationRow, SecretState};

/// Facts from a provider's metadata (privileges and quarantine are added by the caller).
pub fn facts_from(provider: &str, meta: &SecretMetadata) -> Option<SecretFacts> {
    let address = SecretAddress::new(provider, meta.path.clone()).ok()?;
    Some(SecretFacts {
        address,
        current_created_at: meta.current_created_at(),
        owner_tag: meta.tags.get("owner").cloned(),
        workload_tag: meta.tags.get("workload").cloned(),
        enabled: meta.enabled,
        expires_at: meta.expires_at,
        privileges: None,
        quarantined: false,
        exposed_at: None,
        attested: None,
        vault_unreachable: false,
    })
}

/// A provider whose inventory could not be read.
#[derive(Debug, Clone)]
pub struct Outage {
    /// The provider.
    pub provider: String,
    /// Why.
    pub error: PluginError,
}

/// Every provider's inventory: facts and metadata of each secret, and the
/// providers that could not be read. One provider's outage never hides the
/// others' secrets: its known secrets are listed as unreachable.
#[derive(Debug, Default)]
pub struct Inventory {
    /// The facts, sorted by address.
    pub facts: Vec<SecretFacts>,
    /// The metadata each secret's facts came from.
    pub metadata: HashMap<SecretAddress, SecretMetadata>,
    /// Providers whose inventory failed.
    pub outages: Vec<Outage>,
}

/// Reads every provider's inventory and gathers facts, with the quarantine
/// flag from `states` and the latest attestation from `attestations` (a
/// plan decides from recorded results; it asks no target). A provider that
/// fails lists each secret known of it (from `attestations`, `states` and
/// the exact addresses of records) as unreachable.
pub async fn gather(
    config: &Config,
    plugins: &Plugins,
    states: &HashMap<String, SecretState>,
    attestations: &HashMap<String, AttestationRow>,
) -> Inventory {
    let mut inventory = Inventory::default();
    for (name, provider) in plugins.providers() {
        match provider.list().await {
            Ok(listed) => {
                for meta in listed {
                    if let Some(facts) = facts_with_state(name, &meta, states) {
                        inventory.metadata.insert(facts.address.clone(), meta);
                        inventory.facts.push(facts);
                    }
                }
            }
            Err(error) => {
                tracing::error!(provider = %name, error = %error, "Could not read the inventory of provider {name}; its secrets are unavailable this pass.");
                inventory
                    .facts
                    .extend(
                        known_addresses(config, name, states, attestations).map(|address| {
                            let mut facts = SecretFacts::new(address, None);
                            facts.vault_unreachable = true;
                            facts
                        }),
                    );
                inventory.outages.push(Outage {
                    provider: name.clone(),
                    error,
                });
            }
        }
    }
    inventory.facts.sort_by(|a, b| a.address.cmp(&b.address));
    inventory.facts.dedup_by(|a, b| a.address == b.address);
    overlay_attestations(&mut inventory.facts, attestations);
    inventory
}

/// The addresses of `provider` that Tenure knows without asking it.
fn known_addresses<'a>(
    config: &'a Config,
    provider: &'a str,
    states: &'a HashMap<String, SecretState>,
    attestations: &'a HashMap<String, AttestationRow>,
) -> impl Iterator<Item = SecretAddress> + 'a {
    let exact = config
        .governance
        .records
        .iter()
        .filter_map(|r| match &r.selector {
            crate::governance::Selector::Exact(address) => Some(address.clone()),
            crate::governance::Selector::Glob(_) => None,
        });
    let stored = attestations
        .keys()
        .chain(states.keys())
        .filter_map(|key| key.parse::<SecretAddress>().ok());
    let mut seen = HashSet::new();
    exact
        .chain(stored)
        .filter(move |a| a.provider() == provider)
        .filter(move |a| seen.insert(a.clone()))
}

/// Puts each secret's latest recorded attestation into its facts.
pub fn overlay_attestations(
    facts: &mut [SecretFacts],
    attestations: &HashMap<String, AttestationRow>,
) {
    if attestations.is_empty() {
        return;
    }
    for f in facts.iter_mut().filter(|f| !f.vault_unreachable) {
        if let Some(row) = attestations.get(&f.address.to_string()) {
            let (attested, privileges) = crate::attest::facts_of(row);
            f.attested = Some(attested);
            f.privileges = privileges;
        }
    }
}

impl Inventory {
    /// Describes `changed` again and puts their fresh facts in (a secret no
    /// longer in its vault leaves; one its vault cannot describe now keeps
    /// its facts): after a pass acted on a few secrets, the plan is brought
    /// up to date without listing every vault again. `states` needs only
    /// theirs.
    pub async fn refresh(
        &mut self,
        plugins: &Plugins,
        states: &HashMap<String, SecretState>,
        attestations: &HashMap<String, AttestationRow>,
        changed: &[SecretAddress],
    ) {
        for address in changed {
            let Some(provider) = plugins.provider(address.provider()) else {
                continue;
            };
            let meta = match provider.describe(address.path()).await {
                Ok(meta) => meta,
                Err(err) if err.kind() == tenure_plugin_api::ErrorKind::NotFound => {
                    self.facts.retain(|f| &f.address != address);
                    self.metadata.remove(address);
                    continue;
                }
                Err(err) => {
                    tracing::warn!(secret = %address, error = %err, "Could not describe {address} again after acting on it.");
                    continue;
                }
            };
            let Some(mut facts) = facts_with_state(address.provider(), &meta, states) else {
                continue;
            };
            overlay_attestations(std::slice::from_mut(&mut facts), attestations);
            self.metadata.insert(address.clone(), meta);
            match self.facts.binary_search_by(|f| f.address.cmp(address)) {
                Ok(i) => self.facts[i] = facts,
                Err(i) => self.facts.insert(i, facts),
            }
        }
    }
}

/// A secret's facts with its quarantine flag from `states`; `None` (logged)
/// for a path that is not a valid address.
fn facts_with_state(
    provider: &str,
    meta: &SecretMetadata,
    states: &HashMap<String, SecretState>,
) -> Option<SecretFacts> {
    let Some(mut facts) = facts_from(provider, meta) else {
        tracing::warn!(provider = %provider, "Skipped a secret whose path is not a valid address.");
        return None;
    };
    facts.quarantined = states
        .get(&facts.address.to_string())
        .is_some_and(|s| s.quarantined);
    Some(facts)
}

//! What the vault's secret list says Tenure should inventory.

use std::collections::HashSet;

use super::Version;
use crate::convert::{STAGING_SUFFIX, path_of};

/// One entry of the vault's secret list.
#[derive(Debug)]
pub struct Listed {
    /// The secret's name.
    pub name: String,
    /// Whether it backs a certificate.
    pub managed: bool,
    /// Its newest version's properties, as the listing shows them.
    pub newest: Option<Version>,
}

/// What the secret list says Tenure should inventory.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Inventory {
    /// Secrets with a Tenure path: `(name, path)`, in listing order.
    pub secrets: Vec<(String, String)>,
    /// Names of secrets whose staging secret shows a live staged version.
    pub staged: HashSet<String>,
    /// Names no Tenure path maps to.
    pub unmapped: Vec<String>,
}

impl Inventory {
    /// Sorts the listing: secrets that back certificates are the
    /// certificate's to rotate; staging secrets only mark their secret.
    pub fn of(listing: impl IntoIterator<Item = Listed>) -> Self {
        let mut inventory = Self::default();
        for item in listing.into_iter().filter(|item| !item.managed) {
            if let Some(base) = item.name.strip_suffix(STAGING_SUFFIX) {
                if item.newest.as_ref().is_some_and(Version::is_live_pending) {
                    inventory.staged.insert(base.to_owned());
                }
                continue;
            }
            match path_of(&item.name) {
                Some(path) => inventory.secrets.push((item.name, path)),
                None => inventory.unmapped.push(item.name),
            }
        }
        inventory
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::fixtures::staged;

    #[test]
    fn the_inventory_skips_certificates_and_notes_staged_secrets() {
        let listed = |name: &str, managed: bool, newest: Option<Version>| Listed {
            name: name.to_owned(),
            managed,
            newest,
        };
        let mut retired = staged("x", 1, "r");
        retired.enabled = false;
        let inventory = Inventory::of([
            listed("app--db", false, None),
            listed("cert", true, None),
            listed("app--db--tenure-pending", false, Some(staged("s", 1, "r"))),
            listed("other--tenure-pending", false, Some(retired)),
            listed("a----b", false, None),
        ]);
        assert_eq!(
            inventory.secrets,
            vec![("app--db".to_owned(), "app/db".to_owned())]
        );
        assert_eq!(inventory.staged, HashSet::from(["app--db".to_owned()]));
        assert_eq!(inventory.unmapped, vec!["a----b".to_owned()]);
    }
}

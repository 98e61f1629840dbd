//! `[[owners]]`: the people records name, and whether they are still here.

use super::Checker;
use super::checker::FirstDefinitions;
use crate::config::document::Located;
use crate::config::raw::RawOwner;
use crate::governance::Owner;

/// Checks every owner (ids are unique; a repeated one is reported and left out).
pub fn check_owners(check: &mut Checker<'_>, raw: &[Located<RawOwner>]) -> Vec<Owner> {
    let mut first = FirstDefinitions::default();
    let mut owners = Vec::new();
    for located in raw {
        let owner = &located.value;
        if !first.is_new(check, located, &owner.id, "owner") {
            continue;
        }
        owners.push(Owner {
            id: owner.id.get_ref().clone(),
            status: owner.status,
            since: owner.since.map(|t| t.0),
        });
    }
    owners
}

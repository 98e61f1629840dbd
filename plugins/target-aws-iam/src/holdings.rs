//! What an IAM user holds, as privilege strings, and what a narrowing may
//! take away: pure, so the rules are tested without AWS.
//!
//! | privilege | what it is | narrowed (not in the scopes) |
//! | --- | --- | --- |
//! | `<policy arn>` | a managed policy attached to the user | detached |
//! | `inline:<name>` | an inline policy of the user | deleted |
//! | `console-login` | a console password (login profile) | deleted |
//! | `group:<name>` | a group membership | the user leaves the group |
//! | `group:<name>/<policy arn>` | a managed policy attached to that group | goes with the membership; the group itself is never edited |
//! | `group:<name>/inline:<policy>` | an inline policy of that group | goes with the membership |
//! | `boundary:<policy arn>` | the user's permissions boundary | never removed |
//!
//! Narrowing never widens and never takes away something approved. What it
//! cannot remove under those rules is kept, and the narrowing then fails
//! for a person to decide (approve it in the record, or change IAM by hand):
//! - a permissions boundary only restricts: removing it would widen access;
//!   a record approves it by listing `boundary:<arn>`, which also makes its
//!   later removal visible (an approved scope that is no longer held);
//! - a policy of an approved group that the record does not list: the group
//!   is shared with other users, so Tenure does not edit it, and leaving the
//!   group would lose the approved membership;
//! - an unapproved membership of a group through which the record approves a
//!   policy (`group:<name>/...` listed, `group:<name>` not);
//! - a policy whose document denies anything (a `Deny` statement), or a
//!   membership of a group with one: removing it would widen access.

mod document;

pub use document::denies;

/// The privilege string of a console password.
pub const CONSOLE_LOGIN: &str = "console-login";

/// One group of the user and the policies it brings.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GroupHoldings {
    /// The group's name.
    pub name: String,
    /// ARNs of the managed policies attached to the group.
    pub managed: Vec<String>,
    /// Names of the group's inline policies.
    pub inline: Vec<String>,
}

impl GroupHoldings {
    /// `group:<name>`.
    pub fn membership(&self) -> String {
        format!("group:{}", self.name)
    }

    /// The membership and every policy the group brings.
    pub fn privileges(&self) -> Vec<String> {
        let mut all = vec![self.membership()];
        all.extend(
            self.managed
                .iter()
                .map(|arn| format!("group:{}/{arn}", self.name)),
        );
        all.extend(
            self.inline
                .iter()
                .map(|name| format!("group:{}/inline:{name}", self.name)),
        );
        all
    }
}

/// Everything an IAM user holds.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Holdings {
    /// ARNs of the managed policies attached to the user.
    pub managed: Vec<String>,
    /// Names of the user's inline policies.
    pub inline: Vec<String>,
    /// The user's groups.
    pub groups: Vec<GroupHoldings>,
    /// The ARN of the user's permissions boundary.
    pub boundary: Option<String>,
    /// Whether the user has a console password (a login profile).
    pub console: bool,
}

/// One change a narrowing makes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Removal {
    /// Detach a managed policy from the user.
    Detach(String),
    /// Delete an inline policy of the user.
    DeleteInline(String),
    /// Delete the user's console password.
    DeleteLoginProfile,
    /// Remove the user from a group (the group's policies go with it).
    LeaveGroup(GroupHoldings),
}

/// A removal and the privileges it takes away.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    /// What is done.
    pub removal: Removal,
    /// The privilege strings it takes away.
    pub privileges: Vec<String>,
}

/// A privilege beyond the scopes that a narrowing keeps, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Kept {
    /// The privilege strings kept.
    pub privileges: Vec<String>,
    /// Why they cannot be removed.
    pub reason: String,
}

/// What a narrowing does and what it must leave to a person.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Plan {
    /// The removals, in order.
    pub steps: Vec<Step>,
    /// The excess that stays.
    pub kept: Vec<Kept>,
}

impl Holdings {
    /// Every privilege string, sorted.
    pub fn privileges(&self) -> Vec<String> {
        let mut all: Vec<String> = self.managed.clone();
        all.extend(self.inline.iter().map(|n| format!("inline:{n}")));
        all.extend(self.groups.iter().flat_map(GroupHoldings::privileges));
        all.extend(self.boundary.iter().map(|arn| format!("boundary:{arn}")));
        if self.console {
            all.push(CONSOLE_LOGIN.to_owned());
        }
        all.sort();
        all.dedup();
        all
    }

    /// What narrowing to `scopes` removes and what it keeps. Documents are
    /// not read here: a removal whose policy denies is moved to the kept
    /// ones when it is carried out.
    pub fn plan(&self, scopes: &[String]) -> Plan {
        let approved = |p: &String| scopes.contains(p);
        let mut plan = Plan::default();
        for arn in self.managed.iter().filter(|p| !approved(p)) {
            plan.steps.push(Step {
                removal: Removal::Detach(arn.clone()),
                privileges: vec![arn.clone()],
            });
        }
        for name in &self.inline {
            let privilege = format!("inline:{name}");
            if !approved(&privilege) {
                plan.steps.push(Step {
                    removal: Removal::DeleteInline(name.clone()),
                    privileges: vec![privilege],
                });
            }
        }
        if self.console && !scopes.iter().any(|s| s == CONSOLE_LOGIN) {
            plan.steps.push(Step {
                removal: Removal::DeleteLoginProfile,
                privileges: vec![CONSOLE_LOGIN.to_owned()],
            });
        }
        for group in &self.groups {
            let all = group.privileges();
            let (wanted, excess): (Vec<String>, Vec<String>) =
                all.into_iter().partition(|p| approved(p));
            if excess.is_empty() {
                continue;
            }
            if wanted.is_empty() {
                plan.steps.push(Step {
                    removal: Removal::LeaveGroup(group.clone()),
                    privileges: excess,
                });
            } else if wanted.contains(&group.membership()) {
                plan.kept.push(Kept {
                    privileges: excess,
                    reason: format!(
                        "the record approves {} but not every policy it brings; the group is \
                         shared, so Tenure does not edit it, and leaving it would lose an \
                         approved membership",
                        group.membership()
                    ),
                });
            } else {
                plan.kept.push(Kept {
                    privileges: excess,
                    reason: format!(
                        "the record approves {} that the user holds through group {}; leaving \
                         the group would lose it",
                        wanted.join(", "),
                        group.name
                    ),
                });
            }
        }
        if let Some(arn) = &self.boundary {
            let privilege = format!("boundary:{arn}");
            if !approved(&privilege) {
                plan.kept.push(Kept {
                    privileges: vec![privilege.clone()],
                    reason: format!(
                        "a permissions boundary only restricts: removing it would widen access, \
                         so Tenure never does; approve {privilege} in the record"
                    ),
                });
            }
        }
        plan
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const READ: &str = "arn:aws:iam::123456789012:policy/read";
    const WRITE: &str = "arn:aws:iam::123456789012:policy/write";
    const EDGE: &str = "arn:aws:iam::123456789012:policy/edge";

    fn scopes(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| (*s).to_owned()).collect()
    }

    fn holdings() -> Holdings {
        Holdings {
            managed: vec![READ.to_owned(), WRITE.to_owned()],
            inline: vec!["extra".to_owned()],
            groups: vec![
                GroupHoldings {
                    name: "admins".to_owned(),
                    managed: vec![WRITE.to_owned()],
                    inline: vec!["all".to_owned()],
                },
                GroupHoldings {
                    name: "readers".to_owned(),
                    managed: vec![READ.to_owned()],
                    inline: Vec::new(),
                },
            ],
            boundary: Some(EDGE.to_owned()),
            console: true,
        }
    }

    #[test]
    fn every_privilege_is_reported() {
        assert_eq!(
            holdings().privileges(),
            scopes(&[
                READ,
                WRITE,
                "boundary:arn:aws:iam::123456789012:policy/edge",
                "console-login",
                "group:admins",
                "group:admins/arn:aws:iam::123456789012:policy/write",
                "group:admins/inline:all",
                "group:readers",
                "group:readers/arn:aws:iam::123456789012:policy/read",
                "inline:extra",
            ])
        );
    }

    #[test]
    fn narrowing_removes_the_excess_and_never_the_boundary() {
        let approved = scopes(&[
            READ,
            "group:readers",
            "group:readers/arn:aws:iam::123456789012:policy/read",
        ]);
        let plan = holdings().plan(&approved);
        let removals: Vec<&Removal> = plan.steps.iter().map(|s| &s.removal).collect();
        assert_eq!(
            removals,
            vec![
                &Removal::Detach(WRITE.to_owned()),
                &Removal::DeleteInline("extra".to_owned()),
                &Removal::DeleteLoginProfile,
                &Removal::LeaveGroup(holdings().groups[0].clone()),
            ]
        );
        assert_eq!(
            plan.steps[3].privileges,
            scopes(&[
                "group:admins",
                "group:admins/arn:aws:iam::123456789012:policy/write",
                "group:admins/inline:all",
            ])
        );
        // The boundary is kept, and said so.
        assert_eq!(plan.kept.len(), 1);
        assert_eq!(
            plan.kept[0].privileges,
            scopes(&["boundary:arn:aws:iam::123456789012:policy/edge"])
        );
        assert!(plan.kept[0].reason.contains("widen"), "{:?}", plan.kept);
    }

    #[test]
    fn an_approved_boundary_and_console_login_stay_without_a_word() {
        let mut approved = holdings().privileges();
        approved.retain(|p| p != READ);
        let plan = holdings().plan(&approved);
        assert_eq!(plan.kept, Vec::new());
        assert_eq!(plan.steps.len(), 1);
        assert_eq!(plan.steps[0].removal, Removal::Detach(READ.to_owned()));
    }

    #[test]
    fn an_approved_group_is_never_left_nor_edited() {
        // The membership is approved, one of the group's policies is not.
        let approved = scopes(&["group:admins", "group:admins/inline:all"]);
        let plan = holdings().plan(&approved);
        assert!(
            plan.steps
                .iter()
                .all(|s| !matches!(&s.removal, Removal::LeaveGroup(g) if g.name == "admins"))
        );
        let kept: Vec<&Kept> = plan
            .kept
            .iter()
            .filter(|k| k.privileges.iter().any(|p| p.starts_with("group:admins")))
            .collect();
        assert_eq!(kept.len(), 1);
        assert_eq!(
            kept[0].privileges,
            scopes(&["group:admins/arn:aws:iam::123456789012:policy/write"])
        );
        // A policy approved through a group keeps the membership too.
        let approved = scopes(&["group:admins/inline:all"]);
        let plan = holdings().plan(&approved);
        assert!(
            plan.steps
                .iter()
                .all(|s| !matches!(&s.removal, Removal::LeaveGroup(g) if g.name == "admins"))
        );
        assert!(
            plan.kept
                .iter()
                .any(|k| k.privileges.contains(&"group:admins".to_owned()))
        );
    }

    #[test]
    fn nothing_held_beyond_the_scopes_means_nothing_to_do() {
        let plan = Holdings::default().plan(&scopes(&[READ]));
        assert_eq!(plan, Plan::default());
    }
}

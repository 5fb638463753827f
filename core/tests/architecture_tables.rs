//! ARCHITECTURE.md shows the transition table and the grants table. This test renders both from
//! the code ([`TRANSITIONS`], [`GRANTS`]) and fails when the document's copy differs, so the
//! document cannot drift from the rules.
//!
//! To update the document after changing a table, run this test and paste the table it prints.

use std::path::PathBuf;

use invitekit::access::{GRANTS, Permission};
use invitekit::lifecycle::{CommandKind, Outcome, TRANSITIONS};
use invitekit::model::Role;

fn architecture() -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../ARCHITECTURE.md");
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn transition_table() -> String {
    let mut table = String::from("| status \\ command |");
    for command in CommandKind::ALL {
        table.push_str(&format!(" {command} |"));
    }
    table.push_str("\n|---|");
    table.push_str(&"---|".repeat(CommandKind::ALL.len()));
    table.push('\n');
    for (status, cells) in TRANSITIONS {
        let label = status.map_or("(no record)", |s| s.label());
        table.push_str(&format!("| **{label}** |"));
        for cell in cells {
            let text = match cell {
                Outcome::To(next) => format!("→ {}", next.label()),
                Outcome::Unchanged => "·".to_owned(),
                Outcome::Derived => "→ by its instants".to_owned(),
                Outcome::Refused(code) => format!("`{code}`"),
            };
            table.push_str(&format!(" {text} |"));
        }
        table.push('\n');
    }
    table
}

fn grants_table() -> String {
    let mut table = String::from("| permission |");
    for role in Role::ALL {
        table.push_str(&format!(" {} |", role.label()));
    }
    table.push_str("\n|---|");
    table.push_str(&"---|".repeat(Role::ALL.len()));
    table.push('\n');
    for permission in Permission::ALL {
        table.push_str(&format!("| `{permission}` |"));
        for role in Role::ALL {
            let granted = GRANTS
                .iter()
                .any(|(r, permissions)| *r == role && permissions.contains(&permission));
            table.push_str(if granted { " ✓ |" } else { " |" });
        }
        table.push('\n');
    }
    table
}

#[test]
fn architecture_shows_the_transition_table() {
    let table = transition_table();
    assert!(
        architecture().contains(&table),
        "ARCHITECTURE.md lacks the current transition table:\n\n{table}"
    );
}

#[test]
fn architecture_shows_the_grants_table() {
    let table = grants_table();
    assert!(
        architecture().contains(&table),
        "ARCHITECTURE.md lacks the current grants table:\n\n{table}"
    );
}

//! Conformance suite: one scripted hostile peer per rule of the RFCs that ferrotls
//! implements, each driving a real ferrotls client or server in memory and
//! asserting the exact alert on the wire and the error text.
//!
//! Each RFC has its own module (`rfc8446.rs`, `rfc6066.rs`, ...) that declares its
//! rules with [`rules!`]: a rule is a section, the requirement in a few words, and a
//! case function named after it whose doc comment quotes the RFC. The macro makes
//! one `#[test]` per case and adds the rule to the module's `RULES` table;
//! [`conformance_list`] runs every rule once more and prints the list (rule,
//! section, case, pass), which `cargo test --test conformance conformance_list --
//! --nocapture` shows and the README links to.

#[path = "../pair/mod.rs"]
mod pair;

#[macro_use]
mod registry;
mod peer;

mod rfc5246;
mod rfc5746;
mod rfc6066;
mod rfc6520;
mod rfc8422;
mod rfc8446;
mod rfc8446_more;

use registry::{Deviation, Rule};

/// Every rule of every RFC module, in the order the list prints them.
fn all_rules() -> Vec<&'static Rule> {
    [
        rfc8446::RULES,
        rfc8446_more::RULES,
        rfc5246::RULES,
        rfc5746::RULES,
        rfc6066::RULES,
        rfc8422::RULES,
        rfc6520::RULES,
    ]
    .into_iter()
    .flatten()
    .collect()
}

/// Requirements ferrotls deliberately does not follow, with the reason.
fn all_deviations() -> Vec<&'static Deviation> {
    [rfc6066::DEVIATIONS].into_iter().flatten().collect()
}

/// Runs every rule and prints the conformance list as a Markdown table; fails if a
/// rule fails, naming each one.
#[test]
fn conformance_list() {
    let rules = all_rules();
    assert!(!rules.is_empty(), "no rules registered");
    let mut failed = Vec::new();
    println!("| RFC | section | rule | case | result |");
    println!("| --- | --- | --- | --- | --- |");
    for rule in &rules {
        let outcome = (rule.run)();
        let result = match &outcome {
            Ok(()) => "pass",
            Err(_) => "FAIL",
        };
        println!(
            "| {} | {} | {} | `{}::{}` | {result} |",
            rule.rfc, rule.section, rule.rule, rule.module, rule.case
        );
        if let Err(e) = outcome {
            failed.push(format!("{} {} {}: {e}", rule.rfc, rule.section, rule.case));
        }
    }
    println!();
    println!("Deliberately not followed:");
    println!();
    println!("| RFC | section | requirement | reason |");
    println!("| --- | --- | --- | --- |");
    for d in all_deviations() {
        println!("| {} | {} | {} | {} |", d.rfc, d.section, d.rule, d.reason);
    }
    println!();
    println!(
        "{} rules, {} passing",
        rules.len(),
        rules.len() - failed.len()
    );
    assert!(failed.is_empty(), "failing rules:\n{}", failed.join("\n"));
}

/// No two rules share a case name, and each names its section.
#[test]
fn rules_are_named_once_with_a_section() {
    let rules = all_rules();
    let mut names: Vec<String> = rules
        .iter()
        .map(|r| format!("{}::{}", r.module, r.case))
        .collect();
    names.sort();
    let before = names.len();
    names.dedup();
    assert_eq!(names.len(), before, "a case is registered twice");
    for r in rules {
        assert!(
            !r.section.is_empty() && r.section.chars().next().is_some_and(|c| c.is_ascii_digit()),
            "{} has no section",
            r.case
        );
    }
}

//! The table of rules: what each case checks and where the RFC says it.

/// One requirement of an RFC and the case that checks it.
pub struct Rule {
    /// "RFC 8446".
    pub rfc: &'static str,
    /// The section that states the requirement, e.g. "4.2.1".
    pub section: &'static str,
    /// The requirement in a few words.
    pub rule: &'static str,
    /// The module that holds the case.
    pub module: &'static str,
    /// The case's function name.
    pub case: &'static str,
    /// Runs the case: `Err` says what went wrong.
    pub run: fn() -> Result<(), String>,
}

/// A requirement ferrotls deliberately does not follow.
pub struct Deviation {
    pub rfc: &'static str,
    pub section: &'static str,
    pub rule: &'static str,
    pub reason: &'static str,
}

/// Declares an RFC module's rules: `RULES`, the case functions, and one `#[test]`
/// per case (in a `cases` module, so `cargo test rfc8446::cases::` runs them).
///
/// ```text
/// rules! {
///     rfc: "RFC 8446";
///     /// RFC 8446, 4.2.1: "..."
///     "4.2.1", "no common version is protocol_version" =>
///     fn no_common_version_is_protocol_version() { ... Ok(()) }
/// }
/// ```
macro_rules! rules {
    (
        rfc: $rfc:literal;
        $(
            $(#[$meta:meta])*
            $section:literal, $rule:literal =>
            fn $name:ident() $body:block
        )*
    ) => {
        pub const RULES: &[$crate::registry::Rule] = &[
            $(
                $crate::registry::Rule {
                    rfc: $rfc,
                    section: $section,
                    rule: $rule,
                    module: module_path!(),
                    case: stringify!($name),
                    run: $name,
                },
            )*
        ];

        $(
            $(#[$meta])*
            pub fn $name() -> Result<(), String> $body
        )*

        mod cases {
            $(
                #[test]
                fn $name() {
                    if let Err(e) = super::$name() {
                        panic!("{e}");
                    }
                }
            )*
        }
    };
}

//! Findings and the report: text grouped by severity, or JSON.

use serde::Serialize;

use crate::common::printable;

/// How bad a finding is. The order is the report's order (worst first).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Clients fail, or the connection is not secure: fix it.
    Error,
    /// Works today but is weak, deprecated or about to break.
    Warning,
    /// A fact about the server; nothing to fix.
    Info,
}

impl Severity {
    fn heading(self) -> &'static str {
        match self {
            Severity::Error => "ERRORS",
            Severity::Warning => "WARNINGS",
            Severity::Info => "INFO",
        }
    }
}

/// One thing the diagnosis found: what, why we think so, and what to do.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// Stable identifier, e.g. `cert.expired` (see the module docs for the list).
    pub id: &'static str,
    pub severity: Severity,
    /// One sentence, no trailing period.
    pub title: String,
    /// What was observed, one line each.
    pub evidence: Vec<String>,
    /// What to do about it; empty for facts.
    pub fix: String,
}

impl Finding {
    pub fn new(id: &'static str, severity: Severity, title: impl Into<String>) -> Self {
        Finding {
            id,
            severity,
            title: title.into(),
            evidence: Vec::new(),
            fix: String::new(),
        }
    }

    pub fn error(id: &'static str, title: impl Into<String>) -> Self {
        Self::new(id, Severity::Error, title)
    }

    pub fn warning(id: &'static str, title: impl Into<String>) -> Self {
        Self::new(id, Severity::Warning, title)
    }

    pub fn info(id: &'static str, title: impl Into<String>) -> Self {
        Self::new(id, Severity::Info, title)
    }

    pub fn evidence(mut self, line: impl Into<String>) -> Self {
        self.evidence.push(line.into());
        self
    }

    pub fn fix(mut self, fix: impl Into<String>) -> Self {
        self.fix = fix.into();
        self
    }
}

/// The whole diagnosis.
#[derive(Debug, Serialize)]
pub struct Report {
    /// As given on the command line.
    pub target: String,
    /// The address probed.
    pub address: String,
    /// The name certificates must match (and SNI sent).
    pub server_name: String,
    pub elapsed_ms: u128,
    /// The one-line verdict.
    pub verdict: String,
    /// 0 clean, 1 warnings, 2 errors, 3 could not connect.
    pub exit_code: i32,
    pub errors: usize,
    pub warnings: usize,
    /// Sorted: errors, warnings, info; in the order found within each.
    pub findings: Vec<Finding>,
}

impl Report {
    pub fn new(
        target: String,
        address: String,
        server_name: String,
        mut findings: Vec<Finding>,
        elapsed_ms: u128,
        connected: bool,
    ) -> Self {
        findings.sort_by_key(|f| f.severity);
        let errors = count(&findings, Severity::Error);
        let warnings = count(&findings, Severity::Warning);
        let exit_code = if !connected {
            3
        } else if errors > 0 {
            2
        } else if warnings > 0 {
            1
        } else {
            0
        };
        let verdict = verdict(&findings, errors, warnings, connected);
        Report {
            target,
            address,
            server_name,
            elapsed_ms,
            verdict,
            exit_code,
            errors,
            warnings,
            findings,
        }
    }

    /// The human report: verdict first, then findings by severity.
    pub fn to_text(&self) -> String {
        let mut out = format!(
            "ferrotls diagnose {} ({}, name {}) in {:.1} s\n{}\n",
            self.target,
            self.address,
            self.server_name,
            self.elapsed_ms as f64 / 1000.0,
            self.verdict
        );
        for sev in [Severity::Error, Severity::Warning, Severity::Info] {
            let group: Vec<&Finding> = self.findings.iter().filter(|f| f.severity == sev).collect();
            if group.is_empty() {
                continue;
            }
            out.push_str(&format!("\n{} ({})\n", sev.heading(), group.len()));
            for f in group {
                let mark = match sev {
                    Severity::Error => "x",
                    Severity::Warning => "!",
                    Severity::Info => "-",
                };
                // Titles, evidence and fixes quote what the server sent
                // (certificate names, alert texts): no control character reaches
                // the terminal.
                out.push_str(&format!("  {mark} {} [{}]\n", printable(&f.title), f.id));
                for e in &f.evidence {
                    out.push_str(&format!("      {}\n", printable(e)));
                }
                if !f.fix.is_empty() {
                    out.push_str(&format!("      fix: {}\n", printable(&f.fix)));
                }
            }
        }
        out
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"))
    }
}

fn count(findings: &[Finding], sev: Severity) -> usize {
    findings.iter().filter(|f| f.severity == sev).count()
}

fn verdict(findings: &[Finding], errors: usize, warnings: usize, connected: bool) -> String {
    let plural = |n: usize, word: &str| {
        if n == 1 {
            format!("1 {word}")
        } else {
            format!("{n} {word}s")
        }
    };
    if !connected {
        let why = findings
            .first()
            .map(|f| f.title.clone())
            .unwrap_or_else(|| "no answer".into());
        return format!("Verdict: COULD NOT CONNECT: {why}.");
    }
    match (errors, warnings) {
        (0, 0) => "Verdict: OK: no problems found.".to_string(),
        (0, w) => format!(
            "Verdict: WORKS, with {}: {}.",
            plural(w, "warning"),
            findings
                .first()
                .map(|f| f.title.as_str())
                .unwrap_or_default()
        ),
        (e, w) => format!(
            "Verdict: BROKEN, {} and {}: {}.",
            plural(e, "error"),
            plural(w, "warning"),
            findings
                .first()
                .map(|f| f.title.as_str())
                .unwrap_or_default()
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_codes_and_verdicts() {
        let r = Report::new("h".into(), "a".into(), "n".into(), vec![], 1500, true);
        assert_eq!(r.exit_code, 0);
        assert_eq!(r.verdict, "Verdict: OK: no problems found.");
        let r = Report::new(
            "h".into(),
            "a".into(),
            "n".into(),
            vec![
                Finding::info("x", "a fact"),
                Finding::warning("w", "TLS 1.0 is enabled"),
            ],
            0,
            true,
        );
        assert_eq!(r.exit_code, 1);
        assert_eq!(
            r.verdict,
            "Verdict: WORKS, with 1 warning: TLS 1.0 is enabled."
        );
        let r = Report::new(
            "h".into(),
            "a".into(),
            "n".into(),
            vec![
                Finding::warning("w", "TLS 1.0 is enabled"),
                Finding::error("e", "The certificate expired"),
            ],
            0,
            true,
        );
        assert_eq!(r.exit_code, 2);
        assert_eq!(
            r.verdict,
            "Verdict: BROKEN, 1 error and 1 warning: The certificate expired."
        );
        assert!(r
            .to_text()
            .contains("\nERRORS (1)\n  x The certificate expired [e]\n"));
        let r = Report::new(
            "h".into(),
            "a".into(),
            "n".into(),
            vec![Finding::error("connect", "connection refused")],
            0,
            false,
        );
        assert_eq!(r.exit_code, 3);
        assert_eq!(r.verdict, "Verdict: COULD NOT CONNECT: connection refused.");
    }
}

//! Rows, medians, the printed table and the JSON document.

use serde_json::{json, Value};

/// The median of `xs` (mean of the middle two for an even count); NaN when empty.
pub fn median(xs: &[f64]) -> f64 {
    let mut v: Vec<f64> = xs.iter().copied().filter(|x| x.is_finite()).collect();
    if v.is_empty() {
        return f64::NAN;
    }
    v.sort_by(|a, b| a.total_cmp(b));
    let m = v.len() / 2;
    if v.len() % 2 == 1 {
        v[m]
    } else {
        (v[m - 1] + v[m]) / 2.0
    }
}

/// A measured value, or why there is none.
#[derive(Clone, Debug)]
pub enum Measure {
    Measured(f64),
    NotAvailable(&'static str),
}

impl Measure {
    pub fn get(&self) -> Option<f64> {
        match self {
            Measure::Measured(v) => Some(*v),
            Measure::NotAvailable(_) => None,
        }
    }
}

/// One line of the table.
#[derive(Clone, Debug)]
pub struct Row {
    pub section: &'static str,
    pub name: String,
    /// "MB/s", "hs/s", "verif/s" (higher is better) or "bytes" (lower is better).
    pub unit: &'static str,
    pub ferrotls: Measure,
    pub rustls: Measure,
    /// `openssl s_server`, for the loopback row only.
    pub openssl: Option<f64>,
    /// The raw aws-lc-rs rate this row cannot exceed, in `unit`.
    pub limit: Option<f64>,
    /// Extra numbers for the JSON (per-operation times, sample counts, notes).
    pub detail: Value,
}

impl Row {
    pub fn higher_is_better(&self) -> bool {
        self.unit != "bytes"
    }

    /// ferrotls's value divided by rustls's.
    pub fn ratio(&self) -> Option<f64> {
        match (self.ferrotls.get(), self.rustls.get()) {
            (Some(f), Some(r)) if r != 0.0 => Some(f / r),
            _ => None,
        }
    }

    fn pct(&self, v: &Measure) -> Option<f64> {
        match (v.get(), self.limit) {
            (Some(v), Some(l)) if l > 0.0 => Some(100.0 * v / l),
            _ => None,
        }
    }

    pub fn to_json(&self) -> Value {
        let val = |v: &Measure| match v {
            Measure::Measured(x) => json!(x),
            Measure::NotAvailable(why) => json!(format!("n/a ({why})")),
        };
        json!({
            "section": self.section,
            "name": self.name,
            "unit": self.unit,
            "higher_is_better": self.higher_is_better(),
            "ferrotls": val(&self.ferrotls),
            "rustls": val(&self.rustls),
            "openssl": self.openssl,
            "ratio_ferrotls_over_rustls": self.ratio(),
            "limit": self.limit,
            "ferrotls_pct_of_limit": self.pct(&self.ferrotls),
            "rustls_pct_of_limit": self.pct(&self.rustls),
            "detail": self.detail,
        })
    }
}

fn fmt_num(x: f64) -> String {
    if !x.is_finite() {
        return "-".into();
    }
    let a = x.abs();
    if a >= 100.0 {
        format!("{:.0}", x)
    } else if a >= 10.0 {
        format!("{:.1}", x)
    } else {
        format!("{:.2}", x)
    }
}

fn fmt_val(v: &Measure) -> String {
    match v {
        Measure::Measured(x) => fmt_num(*x),
        Measure::NotAvailable(why) => format!("n/a ({why})"),
    }
}

fn fmt_opt(x: Option<f64>, suffix: &str) -> String {
    x.map_or("-".into(), |x| format!("{}{suffix}", fmt_num(x)))
}

/// The table as plain text, one line per row, grouped by section.
pub fn table(rows: &[Row]) -> String {
    let head = [
        "row", "unit", "ferrotls", "rustls", "f/r", "limit", "f %lim", "r %lim", "openssl",
    ];
    let cells: Vec<(&str, Vec<String>)> = rows
        .iter()
        .map(|r| {
            (
                r.section,
                vec![
                    r.name.clone(),
                    r.unit.to_string(),
                    fmt_val(&r.ferrotls),
                    fmt_val(&r.rustls),
                    r.ratio().map_or("-".into(), |x| format!("{x:.2}")),
                    fmt_opt(r.limit, ""),
                    fmt_opt(r.pct(&r.ferrotls), "%"),
                    fmt_opt(r.pct(&r.rustls), "%"),
                    r.openssl.map_or(String::new(), fmt_num),
                ],
            )
        })
        .collect();
    grid(&head, &cells)
}

/// Columns left-aligned first, right-aligned after, a "-- section" line wherever the
/// section changes.
fn grid(head: &[&str], cells: &[(&str, Vec<String>)]) -> String {
    let mut width: Vec<usize> = head.iter().map(|h| h.chars().count()).collect();
    for (_, c) in cells {
        for (w, s) in width.iter_mut().zip(c.iter()) {
            *w = (*w).max(s.chars().count());
        }
    }
    let line = |c: &[String]| -> String {
        let mut s = String::new();
        for (i, (cell, w)) in c.iter().zip(width.iter()).enumerate() {
            if i == 0 {
                s.push_str(&format!("{cell:<w$}"));
            } else {
                s.push_str(&format!("  {cell:>w$}"));
            }
        }
        s.trim_end().to_string()
    };
    let mut out = String::new();
    out.push_str(&line(
        &head.iter().map(|h| h.to_string()).collect::<Vec<_>>(),
    ));
    out.push('\n');
    let mut section = "";
    for (sec, c) in cells {
        if *sec != section {
            section = sec;
            out.push_str(&format!("-- {section}\n"));
        }
        out.push_str(&line(c));
        out.push('\n');
    }
    out
}

/// One line of the ferrotls-against-itself table: the same row with a feature on
/// and off (ECH: rustls has no ECH server, so there is nothing to hold it against).
#[derive(Clone, Debug)]
pub struct SelfRow {
    pub section: &'static str,
    pub name: String,
    /// "hs/s" (higher is better).
    pub unit: &'static str,
    /// ferrotls with the feature, in `unit`.
    pub with: f64,
    /// ferrotls without it, in `unit`.
    pub without: f64,
    /// µs per operation the feature adds (with less without).
    pub extra_us: f64,
    /// µs per operation of the feature's raw aws-lc-rs primitives.
    pub raw_us: f64,
    pub detail: Value,
}

impl SelfRow {
    pub fn ratio(&self) -> f64 {
        self.with / self.without
    }

    pub fn to_json(&self) -> Value {
        json!({
            "section": self.section,
            "name": self.name,
            "unit": self.unit,
            "higher_is_better": true,
            "ferrotls_with_ech": self.with,
            "ferrotls_without_ech": self.without,
            "ratio_with_over_without": self.ratio(),
            "extra_us": self.extra_us,
            "raw_hpke_us": self.raw_us,
            "detail": self.detail,
        })
    }
}

/// The heading printed above [`ech_table`].
pub const ECH_HEADING: &str = "\
ECH cost: ferrotls against itself, with and without Encrypted Client Hello (both ends
ferrotls; rustls has no ECH server to compare with)";

/// The ECH cost rows as plain text, in the style of [`table`].
pub fn ech_table(rows: &[SelfRow]) -> String {
    let head = [
        "row",
        "unit",
        "with ECH",
        "plain",
        "ECH/plain",
        "extra µs",
        "HPKE µs",
    ];
    let cells: Vec<(&str, Vec<String>)> = rows
        .iter()
        .map(|r| {
            (
                r.section,
                vec![
                    r.name.clone(),
                    r.unit.to_string(),
                    fmt_num(r.with),
                    fmt_num(r.without),
                    format!("{:.2}", r.ratio()),
                    fmt_num(r.extra_us),
                    fmt_num(r.raw_us),
                ],
            )
        })
        .collect();
    grid(&head, &cells)
}

/// The legend printed under [`ech_table`].
pub const ECH_LEGEND: &str = "\
ECH/plain = ferrotls with ECH / ferrotls without, below 1 is ECH's cost; extra µs = CPU
µs per handshake ECH adds to that side; HPKE µs = its raw aws-lc-rs share of that
(client: X25519 key generation and agreement for the encapsulation; server: the
agreement for the decapsulation). ECH accepted on every ECH handshake (checked).";

/// The legend printed under the table.
pub const LEGEND: &str = "\
f/r = ferrotls / rustls in the row's unit: above 1 is better for ferrotls in MB/s, hs/s
and verif/s rows, below 1 is better in bytes rows. hs/s = handshakes per second of that
side's own CPU time (the time inside its calls only, less the CPU clock's own cost of
about half a µs per timed span, the same for both libraries). limit = the same row done with raw
aws-lc-rs primitives only (AEAD seal/open of the same records; key generation,
encapsulation, agreement, signing or verification of one handshake side); %lim = share
of that limit a library reaches. Medians of alternating ferrotls/rustls samples.";

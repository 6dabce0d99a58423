//! End-of-run summary: what a person reads first, and `--summary json` for
//! machines.
//!
//! Everything is counted per call (per [`Outcome`]), never per message, so
//! retransmissions, re-INVITEs and forked responses cannot inflate a ratio.
//! All maps are ordered and percentiles are exact, so the same outcomes
//! always render byte-for-byte the same summary.

use crate::outcome::{Correlation, Direction, Outcome, Status};
use crate::sink::webhook::WebhookStats;
use crate::stats::Counters;
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;
use std::fmt::Write as _;

/// How many failure causes to list per direction.
const TOP_CAUSES: usize = 5;

/// Counters that measure ordinary traffic that is not SIP (or not for a
/// call), not faults: shown apart from the problems so a clean capture reads
/// "none" there. Everything else counted is a problem.
const OTHER_TRAFFIC: &[(&str, &str)] = &[
    ("link", "not_ip"),
    ("ip", "other_protocol"),
    ("tcp", "retransmission"),
    ("tls", "encrypted_bytes"),
    ("media", "udp_not_media"),
    ("media", "rtp_after_call_end"),
    ("track", "late_retransmission"),
    ("track", "duplicate_frame"),
];

/// Split counters into (problems, other traffic).
fn split_problems(all: &Counters) -> (Counters, Counters) {
    let mut problems = Counters::new();
    let mut other = Counters::new();
    for (layer, reason, n) in all.iter() {
        if OTHER_TRAFFIC.contains(&(layer, reason)) {
            other.add(layer, reason, n);
        } else {
            problems.add(layer, reason, n);
        }
    }
    (problems, other)
}

fn by_layer_json(c: &Counters) -> Map<String, Value> {
    let mut by_layer: Map<String, Value> = Map::new();
    for (layer, reason, n) in c.iter() {
        let entry = by_layer
            .entry(layer.to_string())
            .or_insert_with(|| Value::Object(Map::new()));
        if let Value::Object(m) = entry {
            m.insert(reason.to_string(), json!(n));
        }
    }
    by_layer
}

/// Aggregates outcomes; cheap per call (a few map updates and three `u64`s).
#[derive(Clone, Debug, Default)]
pub struct Summary {
    total: u64,
    finals: u64,
    by_status: BTreeMap<Status, u64>,
    by_code: BTreeMap<CodeRow, CodeStats>,
    asr: BTreeMap<Direction, Asr>,
    pdd_ms: Vec<u64>,
    ring_ms: Vec<u64>,
    talk_ms: Vec<u64>,
    failures: BTreeMap<Direction, BTreeMap<String, CauseStats>>,
    correlation: BTreeMap<Correlation, u64>,
    open_by_status: BTreeMap<Status, u64>,
    anomalies: BTreeMap<String, u64>,
    retransmissions: u64,
    auth_challenged: u64,
    first_invite: Option<String>,
    last_invite: Option<String>,
    webhook: Option<WebhookStats>,
}

/// A row of the by-code table: real codes in order, then calls that ended
/// without a final response, then calls still open without one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum CodeRow {
    Code(u16),
    NoResponse,
    OpenNoResponse,
}

impl CodeRow {
    fn of(o: &Outcome) -> CodeRow {
        match (o.sip_code, o.is_final) {
            (Some(c), _) => CodeRow::Code(c),
            (None, true) => CodeRow::NoResponse,
            (None, false) => CodeRow::OpenNoResponse,
        }
    }

    fn code(self) -> Option<u16> {
        match self {
            CodeRow::Code(c) => Some(c),
            _ => None,
        }
    }
}

#[derive(Clone, Debug, Default)]
struct CodeStats {
    calls: u64,
    /// Reason phrases as sent (carriers localise them), with counts.
    reasons: BTreeMap<String, u64>,
    /// (meaning, action) pairs from the classifier, with counts: the most
    /// frequent one is shown (it can differ by direction).
    advice: BTreeMap<(String, String), u64>,
}

#[derive(Clone, Copy, Debug, Default)]
struct Asr {
    answered: u64,
    seized: u64,
}

#[derive(Clone, Debug, Default)]
struct CauseStats {
    calls: u64,
    codes: BTreeMap<Option<u16>, u64>,
}

/// Options for [`Summary::render_text_with`].
#[derive(Clone, Copy, Debug, Default)]
pub struct TextOptions {
    /// ANSI bold section titles and highlighted problems (for a terminal).
    pub color: bool,
}

/// Exact percentiles (nearest-rank) of a set of values.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Percentiles {
    pub count: usize,
    pub p50: u64,
    pub p90: u64,
    pub p99: u64,
    pub max: u64,
}

impl Percentiles {
    /// Nearest-rank percentiles: the smallest value with at least p% of the
    /// values at or below it. `None` for no values.
    pub fn of(values: &[u64]) -> Option<Percentiles> {
        if values.is_empty() {
            return None;
        }
        let mut v = values.to_vec();
        v.sort_unstable();
        let n = v.len();
        let at = |p: usize| v[(p * n).div_ceil(100).clamp(1, n) - 1];
        Some(Percentiles {
            count: n,
            p50: at(50),
            p90: at(90),
            p99: at(99),
            max: v[n - 1],
        })
    }
}

fn is_answered(o: &Outcome) -> bool {
    o.answered_at.is_some() || matches!(o.status, Status::Completed | Status::InProgress)
}

fn is_failure(o: &Outcome) -> bool {
    o.is_final
        && matches!(
            o.status,
            Status::Busy | Status::NoAnswer | Status::Failed | Status::Canceled
        )
}

impl Summary {
    pub fn new() -> Self {
        Self::default()
    }

    /// Count one call.
    pub fn add(&mut self, o: &Outcome) {
        self.total += 1;
        *self.by_status.entry(o.status).or_default() += 1;

        let code = self.by_code.entry(CodeRow::of(o)).or_default();
        code.calls += 1;
        if let Some(r) = &o.sip_reason {
            *code.reasons.entry(r.clone()).or_default() += 1;
        }
        *code
            .advice
            .entry((o.meaning.clone(), o.action.clone()))
            .or_default() += 1;

        let answered = is_answered(o);
        if o.is_final || answered {
            let asr = self.asr.entry(o.direction).or_default();
            asr.seized += 1;
            asr.answered += u64::from(answered);
        }
        if o.is_final {
            self.finals += 1;
        } else {
            *self.open_by_status.entry(o.status).or_default() += 1;
        }
        self.pdd_ms.extend(o.post_dial_delay_ms);
        self.ring_ms.extend(o.ring_ms);
        self.talk_ms.extend(o.talk_ms);

        if is_failure(o) {
            let cause = if o.cause.is_empty() {
                o.meaning.clone()
            } else {
                o.cause.clone()
            };
            let c = self
                .failures
                .entry(o.direction)
                .or_default()
                .entry(cause)
                .or_default();
            c.calls += 1;
            *c.codes.entry(o.sip_code).or_default() += 1;
        }
        *self.correlation.entry(o.correlation).or_default() += 1;
        for a in &o.anomalies {
            *self.anomalies.entry(a.kind.clone()).or_default() += 1;
        }
        self.retransmissions += u64::from(o.retransmissions);
        self.auth_challenged += u64::from(o.auth_challenged);

        // RFC 3339 UTC strings of one format order like the times they name.
        if self
            .first_invite
            .as_deref()
            .is_none_or(|f| o.invite_at.as_str() < f)
        {
            self.first_invite = Some(o.invite_at.clone());
        }
        if self
            .last_invite
            .as_deref()
            .is_none_or(|l| o.invite_at.as_str() > l)
        {
            self.last_invite = Some(o.invite_at.clone());
        }
    }

    /// Include the webhook sink's final counts (a "Webhook" section and the
    /// `webhook` JSON key, which is null when no webhook was configured).
    pub fn set_webhook(&mut self, stats: WebhookStats) {
        self.webhook = Some(stats);
    }

    /// Calls counted so far.
    pub fn calls(&self) -> u64 {
        self.total
    }

    fn asr_total(&self) -> Asr {
        self.asr.values().fold(Asr::default(), |a, b| Asr {
            answered: a.answered + b.answered,
            seized: a.seized + b.seized,
        })
    }

    fn correlated(&self) -> u64 {
        [
            Correlation::Header,
            Correlation::Token,
            Correlation::Records,
        ]
        .iter()
        .map(|c| self.correlation.get(c).copied().unwrap_or(0))
        .sum()
    }

    /// The first [`TOP_CAUSES`] failure causes of one direction.
    fn top_causes(&self, dir: Direction) -> Vec<(&str, &CauseStats)> {
        let mut v = self.all_causes(dir);
        v.truncate(TOP_CAUSES);
        v
    }

    /// Failure causes of one direction, most frequent first, ties by name.
    fn all_causes(&self, dir: Direction) -> Vec<(&str, &CauseStats)> {
        let mut v: Vec<_> = self
            .failures
            .get(&dir)
            .map(|m| m.iter().map(|(k, s)| (k.as_str(), s)).collect())
            .unwrap_or_default();
        v.sort_by(|a, b| b.1.calls.cmp(&a.1.calls).then(a.0.cmp(b.0)));
        v
    }

    /// Plain-text summary without colour.
    pub fn render_text(&self, problems: &Counters) -> String {
        self.render_text_with(problems, &TextOptions::default())
    }

    /// Plain-text summary: sections with aligned columns.
    pub fn render_text_with(&self, problems: &Counters, opts: &TextOptions) -> String {
        let mut out = String::new();
        let title = |s: &str| {
            if opts.color {
                format!("\x1b[1m{s}\x1b[0m\n")
            } else {
                format!("{s}\n")
            }
        };

        out += &title("trunkwatch summary");
        let open = self.total - self.finals;
        let mut head = Table::new(&[Align::Left, Align::Left]);
        head.row(vec![
            "calls".into(),
            format!(
                "{} ({} ended, {} open at end)",
                self.total, self.finals, open
            ),
        ]);
        if let (Some(a), Some(b)) = (&self.first_invite, &self.last_invite) {
            head.row(vec!["first/last INVITE".into(), format!("{a} .. {b}")]);
        }
        head.row(vec![
            "retransmissions".into(),
            format!(
                "{} (INVITE transactions, summed over calls)",
                self.retransmissions
            ),
        ]);
        head.row(vec![
            "auth challenged".into(),
            format!(
                "{} of {} calls (401/407 before the final answer)",
                self.auth_challenged, self.total
            ),
        ]);
        out += &head.render(2);

        if self.total == 0 {
            out += "\nNo calls seen (no INVITE in the input).\n";
        } else {
            out += "\n";
            out += &title("Calls by status");
            let mut t = Table::new(&[Align::Left, Align::Right, Align::Right]);
            for (s, n) in &self.by_status {
                t.row(vec![s.as_str().into(), n.to_string(), pct(*n, self.total)]);
            }
            out += &t.render(2);

            out += "\n";
            out += &title("Calls by SIP final response");
            let mut t = Table::new(&[Align::Right, Align::Right, Align::Left, Align::Left]);
            t.row(vec![
                "code".into(),
                "calls".into(),
                "reason".into(),
                "meaning".into(),
            ]);
            let mut actions = Vec::new();
            for (row, s) in &self.by_code {
                let (meaning, action) = s.top_advice();
                let reason = match row {
                    CodeRow::Code(_) => s.top_reason().unwrap_or("").to_string(),
                    CodeRow::NoResponse => "(no final response)".into(),
                    CodeRow::OpenNoResponse => "(open, none yet)".into(),
                };
                t.row(vec![
                    row.code().map_or("-".into(), |c| c.to_string()),
                    s.calls.to_string(),
                    reason,
                    meaning.to_string(),
                ]);
                actions.push(action.to_string());
            }
            let rendered = t.render(2);
            let mut lines = rendered.lines();
            // Actions go under the reason column, on their own line: they are sentences.
            let mut indent = 15;
            if let Some(h) = lines.next() {
                indent = h.find("reason").unwrap_or(indent);
                out += h;
                out += "\n";
            }
            for (line, action) in lines.zip(&actions) {
                out += line;
                out += "\n";
                if !action.is_empty() {
                    let _ = writeln!(out, "{:indent$}action: {action}", "");
                }
            }

            out += "\n";
            out +=
                &title("Answer-seizure ratio (answered calls / calls that ended or were answered)");
            let mut t = Table::new(&[Align::Left, Align::Right, Align::Left]);
            let all = self.asr_total();
            t.row(vec![
                "all".into(),
                ratio(all.answered, all.seized),
                format!("{} of {}", all.answered, all.seized),
            ]);
            for (d, a) in &self.asr {
                t.row(vec![
                    d.as_str().into(),
                    ratio(a.answered, a.seized),
                    format!("{} of {}", a.answered, a.seized),
                ]);
            }
            out += &t.render(2);

            out += "\n";
            out += &title("Timing (exact percentiles over calls that have the value)");
            let mut t = Table::new(&[
                Align::Left,
                Align::Right,
                Align::Right,
                Align::Right,
                Align::Right,
                Align::Right,
            ]);
            t.row(
                ["", "calls", "p50", "p90", "p99", "max"]
                    .map(String::from)
                    .to_vec(),
            );
            for (name, vals) in [
                ("post-dial delay", &self.pdd_ms),
                ("ring time", &self.ring_ms),
                ("talk time", &self.talk_ms),
            ] {
                match Percentiles::of(vals) {
                    Some(p) => t.row(vec![
                        name.into(),
                        p.count.to_string(),
                        fmt_ms(p.p50),
                        fmt_ms(p.p90),
                        fmt_ms(p.p99),
                        fmt_ms(p.max),
                    ]),
                    None => t.row(vec![
                        name.into(),
                        "0".into(),
                        "-".into(),
                        "-".into(),
                        "-".into(),
                        "-".into(),
                    ]),
                }
            }
            out += &t.render(2);

            out += "\n";
            out += &title("Top failure causes (busy, no-answer, failed, canceled)");
            if self.failures.is_empty() {
                out += "  none\n";
            }
            for dir in self.failures.keys() {
                let _ = writeln!(out, "  {}", dir.as_str());
                let mut t = Table::new(&[Align::Right, Align::Left, Align::Left]);
                for (cause, s) in self.top_causes(*dir) {
                    t.row(vec![
                        s.calls.to_string(),
                        codes_list(&s.codes),
                        cause.to_string(),
                    ]);
                }
                out += &t.render(4);
                let shown: u64 = self.top_causes(*dir).iter().map(|(_, s)| s.calls).sum();
                let all: u64 = self.failures[dir].values().map(|s| s.calls).sum();
                let more = self.failures[dir].len().saturating_sub(TOP_CAUSES);
                if more > 0 {
                    let _ = writeln!(
                        out,
                        "    ... and {more} more cause(s), {} call(s) (see --summary json)",
                        all - shown
                    );
                }
            }

            out += "\n";
            out += &title("Butter call id correlation");
            let mut t = Table::new(&[Align::Left, Align::Right, Align::Right]);
            t.row(vec![
                "correlated".into(),
                self.correlated().to_string(),
                pct(self.correlated(), self.total),
            ]);
            for (c, n) in &self.correlation {
                t.row(vec![
                    format!("  {}", c.as_str()),
                    n.to_string(),
                    pct(*n, self.total),
                ]);
            }
            out += &t.render(2);

            out += "\n";
            out += &title("Open calls at end of input");
            if self.open_by_status.is_empty() {
                out += "  none\n";
            } else {
                let mut t = Table::new(&[Align::Left, Align::Right]);
                for (s, n) in &self.open_by_status {
                    t.row(vec![s.as_str().into(), n.to_string()]);
                }
                out += &t.render(2);
            }

            if !self.anomalies.is_empty() {
                out += "\n";
                out += &title("Anomalies (calls)");
                let mut t = Table::new(&[Align::Left, Align::Right]);
                for (k, n) in &self.anomalies {
                    t.row(vec![k.clone(), n.to_string()]);
                }
                out += &t.render(2);
            }
        }

        if let Some(w) = &self.webhook {
            out += "\n";
            out += &title("Webhook");
            let mut t = Table::new(&[Align::Left, Align::Right]);
            for (k, v) in [
                ("queued", w.queued),
                ("delivered", w.delivered),
                ("retries", w.retries),
                ("rejected (3xx/4xx)", w.rejected),
                ("gave up after retries", w.retries_exhausted),
                ("dropped, queue full", w.dropped),
                ("abandoned at shutdown", w.abandoned),
            ] {
                t.row(vec![k.into(), v.to_string()]);
            }
            out += &t.render(2);
        }

        let (problems, other) = split_problems(problems);
        let problems = &problems;
        if !other.is_empty() {
            out += "\n";
            out += &title("Other traffic (counted, not problems)");
            let mut t = Table::new(&[Align::Left, Align::Left, Align::Right]);
            for (layer, reason, n) in other.iter() {
                t.row(vec![layer.into(), reason.into(), n.to_string()]);
            }
            out += &t.render(2);
        }

        out += "\n";
        // No grand total: layers count different things (packets, messages, bytes).
        out += &title("Problems by layer and reason (counted, never dropped silently)");
        if problems.is_empty() {
            out += "  none\n";
        } else {
            let mut t = Table::new(&[Align::Left, Align::Left, Align::Right]);
            for (layer, reason, n) in problems.iter() {
                t.row(vec![layer.into(), reason.into(), n.to_string()]);
            }
            let body = t.render(2);
            if opts.color {
                for line in body.lines() {
                    let _ = writeln!(out, "\x1b[33m{line}\x1b[0m");
                }
            } else {
                out += &body;
            }
        }
        out
    }

    /// Machine-readable summary (`--summary json`). Keys are stable; maps
    /// come out sorted; durations are integer milliseconds.
    pub fn render_json(&self, problems: &Counters) -> Value {
        let by_status: Map<String, Value> = Status::ALL
            .iter()
            .map(|s| {
                (
                    s.as_str().to_string(),
                    json!(self.by_status.get(s).copied().unwrap_or(0)),
                )
            })
            .collect();
        let by_code: Vec<Value> = self
            .by_code
            .iter()
            .map(|(row, s)| {
                let (meaning, action) = s.top_advice();
                json!({
                    "code": row.code(),
                    "open": *row == CodeRow::OpenNoResponse,
                    "calls": s.calls,
                    "reason": s.top_reason(),
                    "meaning": meaning,
                    "action": action,
                })
            })
            .collect();
        let asr_json = |a: Asr| {
            json!({
                "answered": a.answered,
                "seized": a.seized,
                "ratio": if a.seized == 0 { Value::Null } else { json!(round4(a.answered as f64 / a.seized as f64)) },
            })
        };
        let by_dir: Map<String, Value> = self
            .asr
            .iter()
            .map(|(d, a)| (d.as_str().to_string(), asr_json(*a)))
            .collect();
        let mut asr = asr_json(self.asr_total());
        asr["by_direction"] = Value::Object(by_dir);

        let pct_json = |v: &[u64]| match Percentiles::of(v) {
            Some(p) => {
                json!({"count": p.count, "p50": p.p50, "p90": p.p90, "p99": p.p99, "max": p.max})
            }
            None => json!({"count": 0, "p50": null, "p90": null, "p99": null, "max": null}),
        };
        let failures: Map<String, Value> = self
            .failures
            .keys()
            .map(|d| {
                let list: Vec<Value> = self
                    .all_causes(*d)
                    .into_iter()
                    .map(|(cause, s)| {
                        let codes: Vec<Value> = s
                            .codes
                            .iter()
                            .map(|(c, n)| json!({"code": c, "calls": n}))
                            .collect();
                        json!({"cause": cause, "calls": s.calls, "codes": codes})
                    })
                    .collect();
                (d.as_str().to_string(), Value::Array(list))
            })
            .collect();
        let mut correlation: Map<String, Value> = [
            Correlation::Header,
            Correlation::Token,
            Correlation::Records,
            Correlation::Ambiguous,
            Correlation::None,
        ]
        .iter()
        .map(|c| {
            (
                c.as_str().to_string(),
                json!(self.correlation.get(c).copied().unwrap_or(0)),
            )
        })
        .collect();
        correlation.insert("correlated".into(), json!(self.correlated()));
        correlation.insert(
            "rate".into(),
            if self.total == 0 {
                Value::Null
            } else {
                json!(round4(self.correlated() as f64 / self.total as f64))
            },
        );
        let open: Map<String, Value> = self
            .open_by_status
            .iter()
            .map(|(s, n)| (s.as_str().to_string(), json!(n)))
            .collect();
        let (problems, other) = split_problems(problems);
        let by_layer = by_layer_json(&problems);
        json!({
            "calls": {
                "total": self.total,
                "ended": self.finals,
                "open": self.total - self.finals,
                "retransmissions": self.retransmissions,
                "auth_challenged": self.auth_challenged,
                "first_invite_at": self.first_invite,
                "last_invite_at": self.last_invite,
            },
            "by_status": by_status,
            "by_code": by_code,
            "answer_seizure_ratio": asr,
            "post_dial_delay_ms": pct_json(&self.pdd_ms),
            "ring_ms": pct_json(&self.ring_ms),
            "talk_ms": pct_json(&self.talk_ms),
            "failure_causes": failures,
            "correlation": correlation,
            "open_at_end": {"total": self.total - self.finals, "by_status": open},
            "anomalies": self.anomalies,
            "problems": {"total": problems.total(), "by_layer": by_layer},
            "other_traffic": {"by_layer": by_layer_json(&other)},
            "webhook": self.webhook,
        })
    }
}

impl CodeStats {
    fn top_reason(&self) -> Option<&str> {
        top_key(&self.reasons).map(String::as_str)
    }

    fn top_advice(&self) -> (&str, &str) {
        top_key(&self.advice).map_or(("", ""), |(m, a)| (m.as_str(), a.as_str()))
    }
}

/// Most frequent key; ties go to the smallest key, so the result does not
/// depend on arrival order.
fn top_key<K: Ord>(m: &BTreeMap<K, u64>) -> Option<&K> {
    let mut best: Option<(&K, u64)> = None;
    for (k, &n) in m {
        if best.is_none_or(|(_, b)| n > b) {
            best = Some((k, n));
        }
    }
    best.map(|(k, _)| k)
}

fn round4(x: f64) -> f64 {
    (x * 10_000.0).round() / 10_000.0
}

fn pct(n: u64, of: u64) -> String {
    if of == 0 {
        "-".into()
    } else {
        format!("{:.1}%", n as f64 * 100.0 / of as f64)
    }
}

fn ratio(n: u64, of: u64) -> String {
    pct(n, of)
}

/// `486`, `480,486` or `-` (no final response): the codes behind a cause.
fn codes_list(codes: &BTreeMap<Option<u16>, u64>) -> String {
    let parts: Vec<String> = codes
        .keys()
        .map(|c| c.map_or("-".to_string(), |c| c.to_string()))
        .collect();
    parts.join(",")
}

/// Milliseconds for people: `850ms`, `2.35s`, `4m05s`, `1h02m03s`.
pub fn fmt_ms(ms: u64) -> String {
    if ms < 1_000 {
        format!("{ms}ms")
    } else if ms < 60_000 {
        format!("{:.2}s", ms as f64 / 1000.0)
    } else {
        let s = ms / 1000;
        let (h, m, s) = (s / 3600, (s % 3600) / 60, s % 60);
        if h > 0 {
            format!("{h}h{m:02}m{s:02}s")
        } else {
            format!("{m}m{s:02}s")
        }
    }
}

#[derive(Clone, Copy)]
enum Align {
    Left,
    Right,
}

/// Rows of cells padded to the widest cell of each column.
struct Table {
    align: Vec<Align>,
    rows: Vec<Vec<String>>,
}

impl Table {
    fn new(align: &[Align]) -> Self {
        Table {
            align: align.to_vec(),
            rows: Vec::new(),
        }
    }

    fn row(&mut self, cells: Vec<String>) {
        self.rows.push(cells);
    }

    fn render(&self, indent: usize) -> String {
        let cols = self.align.len();
        let mut width = vec![0usize; cols];
        for r in &self.rows {
            for (i, c) in r.iter().enumerate().take(cols) {
                width[i] = width[i].max(c.chars().count());
            }
        }
        let mut out = String::new();
        for r in &self.rows {
            let mut line = " ".repeat(indent);
            for (i, c) in r.iter().enumerate().take(cols) {
                if i > 0 {
                    line += "  ";
                }
                let pad = width[i] - c.chars().count();
                match self.align[i] {
                    Align::Left => {
                        line += c;
                        line += &" ".repeat(pad);
                    }
                    Align::Right => {
                        line += &" ".repeat(pad);
                        line += c;
                    }
                }
            }
            out += line.trim_end();
            out += "\n";
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentiles() {
        assert_eq!(Percentiles::of(&[]), None);
        let one = Percentiles::of(&[7]).unwrap();
        assert_eq!((one.p50, one.p90, one.p99, one.max), (7, 7, 7, 7));
        let v: Vec<u64> = (1..=100).rev().collect();
        let p = Percentiles::of(&v).unwrap();
        assert_eq!((p.p50, p.p90, p.p99, p.max), (50, 90, 99, 100));
        let p = Percentiles::of(&[10, 20, 30, 40]).unwrap();
        // ceil(0.5*4)=2nd, ceil(0.9*4)=4th, ceil(0.99*4)=4th
        assert_eq!((p.p50, p.p90, p.p99), (20, 40, 40));
    }

    #[test]
    fn human_durations() {
        assert_eq!(fmt_ms(850), "850ms");
        assert_eq!(fmt_ms(2_345), "2.35s");
        assert_eq!(fmt_ms(245_000), "4m05s");
        assert_eq!(fmt_ms(3_723_000), "1h02m03s");
    }

    #[test]
    fn top_key_is_order_independent() {
        let mut m = BTreeMap::new();
        m.insert("b", 2);
        m.insert("a", 2);
        m.insert("c", 1);
        assert_eq!(top_key(&m), Some(&"a"));
    }
}

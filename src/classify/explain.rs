//! `trunkwatch explain CODE`: one code's entry, both directions.

use super::codes::{lookup_or_class, CodeEntry};
use crate::outcome::Status;
use serde::Serialize;
use std::fmt;

/// Cause and action for one direction.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Advice {
    pub cause: &'static str,
    pub action: &'static str,
}

/// Everything trunkwatch says about one SIP response code.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Explanation {
    pub code: u16,
    /// Standard reason phrase (of the class `x00` when the code is unregistered).
    pub reason: &'static str,
    /// False outside 100..=699: not a SIP response code at all.
    pub valid: bool,
    /// False when the code is not registered and its class entry was used.
    pub registered: bool,
    pub rfc: &'static str,
    pub meaning: &'static str,
    /// Butter status when this code is the final response to the initial INVITE.
    pub status: Status,
    /// When the status depends on more than the code.
    pub status_note: Option<&'static str>,
    /// The carrier sent it to the platform's INVITE.
    pub outbound: Advice,
    /// The platform sent it to the carrier's INVITE.
    pub inbound: Advice,
}

/// The Butter status for a final response code, before CANCEL and ring time
/// are considered (see [`super::Classifier`] for those).
pub fn status_for_code(code: u16) -> (Status, Option<&'static str>) {
    match code {
        100..=199 => (
            if code == 100 { Status::Initiated } else { Status::Ringing },
            Some("provisional: the call is still being set up"),
        ),
        200..=299 => (
            Status::Completed,
            Some("in-progress until a BYE ends the call, then completed"),
        ),
        486 | 600 | 603 => (Status::Busy, None),
        408 | 480 => (Status::NoAnswer, None),
        487 => (
            Status::Canceled,
            Some("canceled after a CANCEL; no-answer when the CANCEL or the 487 carries Q.850 cause 19 or the ring timeout passed; failed without a CANCEL"),
        ),
        _ => (Status::Failed, None),
    }
}

/// Explain a code. Outside 100..=699 the entry says so (`valid: false`).
pub fn explain(code: u16) -> Explanation {
    let Some((e, registered)) = lookup_or_class(code) else {
        const NOT: Advice = Advice {
            cause: "not a SIP response code (they run from 100 to 699)",
            action: "check the code",
        };
        return Explanation {
            code,
            valid: false,
            reason: "Unknown",
            registered: false,
            rfc: "RFC 3261 §7.2",
            meaning: "not a SIP response code",
            status: Status::Failed,
            status_note: None,
            outbound: NOT,
            inbound: NOT,
        };
    };
    let e: &CodeEntry = e;
    let (status, status_note) = status_for_code(code);
    Explanation {
        code,
        valid: true,
        reason: e.reason,
        registered,
        rfc: e.rfc,
        meaning: e.meaning,
        status,
        status_note,
        outbound: Advice {
            cause: e.out_cause,
            action: e.out_action,
        },
        inbound: Advice {
            cause: e.in_cause,
            action: e.in_action,
        },
    }
}

impl fmt::Display for Explanation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !self.valid {
            return writeln!(
                f,
                "{}: not a SIP response code (they run from 100 to 699)",
                self.code
            );
        }
        if self.registered {
            writeln!(f, "{} {} ({})", self.code, self.reason, self.rfc)?;
        } else {
            writeln!(
                f,
                "{}: not a registered code: treated as {}00 {} (RFC 3261 §8.1.3.2)",
                self.code,
                self.code / 100,
                self.reason
            )?;
        }
        writeln!(f, "  meaning: {}", self.meaning)?;
        match self.status_note {
            Some(n) => writeln!(f, "  status:  {} ({n})", self.status.as_str())?,
            None => writeln!(f, "  status:  {}", self.status.as_str())?,
        }
        if self.outbound == self.inbound {
            writeln!(f, "  cause:   {}", self.outbound.cause)?;
            writeln!(f, "  action:  {}", self.outbound.action)?;
        } else {
            writeln!(f, "  outbound call (the carrier sent it):")?;
            writeln!(f, "    cause:  {}", self.outbound.cause)?;
            writeln!(f, "    action: {}", self.outbound.action)?;
            writeln!(f, "  inbound call (the Butter platform sent it):")?;
            writeln!(f, "    cause:  {}", self.inbound.cause)?;
            writeln!(f, "    action: {}", self.inbound.action)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_final_code_has_advice_and_the_table_status() {
        for code in 300..=699u16 {
            let e = explain(code);
            assert!(
                e.valid && !e.meaning.is_empty() && !e.outbound.action.is_empty(),
                "{code}"
            );
            let want = match code {
                486 | 600 | 603 => Status::Busy,
                408 | 480 => Status::NoAnswer,
                487 => Status::Canceled,
                _ => Status::Failed,
            };
            assert_eq!(e.status, want, "{code}");
        }
        assert!(!explain(700).valid);
        assert!(!explain(42).valid);
    }

    #[test]
    fn direction_changes_the_404_advice() {
        let e = explain(404);
        assert_eq!(e.outbound.action, "check the call's to_number");
        assert!(e.inbound.cause.contains("not linked to an agent"));
        let text = e.to_string();
        assert!(
            text.contains("inbound call") && text.contains("Agents > Phone Numbers"),
            "{text}"
        );
        assert!(explain(488).outbound.cause.contains("codec"));
        assert!(explain(603).outbound.action.contains("do not retry soon"));
        assert!(explain(499).to_string().contains("not a registered code"));
    }
}

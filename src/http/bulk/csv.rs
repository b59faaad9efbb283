//! CSV (RFC 4180) of bulk diff rows, and the records of any other export: a header row, CRLF
//! line ends, quoting where needed, formulas neutralised.

use std::fmt::Write;

use std::sync::Arc;

use uuid::Uuid;

use super::export::{Position, Shared, Sink};
use super::DiffKind;
use crate::domain::diff::{Change, Op};
use crate::domain::facet::dimension_name;

/// Names beside their ids, for a spreadsheet.
pub const HEADER: &str = "kind,organization_id,organization_name,post_id,post_title,tenure_id,person_id,person_name,from_tenure_id,from_person_id,from_person_name,revision_id,from_time,to_time,dimension,key,label,op,before,after,guardrail,cursor\r\n";

/// RFC 4180: quote a field that holds a comma, a quote or a line break; double its quotes. A
/// field a spreadsheet would run as a formula (it starts with `=`, `+`, `-`, `@`, a tab or a
/// carriage return: a vocabulary label `=HYPERLINK(…)`, say) is written as text, behind a `'`
/// (OWASP's advice on CSV injection): names and labels are anyone's text, while the
/// service's own values (ids, times) never start so, and a weight below zero is neutralised
/// like text (`weight`).
fn field(out: &mut String, value: &str) {
    if value.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        out.push('"');
        out.push('\'');
        out.push_str(&value.replace('"', "\"\""));
        out.push('"');
    } else if value.contains([',', '"', '\n', '\r']) {
        out.push('"');
        out.push_str(&value.replace('"', "\"\""));
        out.push('"');
    } else {
        out.push_str(value);
    }
}

/// CSV rows written as a page's diffs and changes come: a diff's columns (kind, ids, names,
/// revision, times) are formatted once, at its first row, into `shared`, then copied before
/// each of its changes, and the cursor's group part once a group. The service's own values (kinds, ids, times,
/// weights, the cursor, which is base64 of an id and starts with a letter) are written as they
/// are, anyone's text (names, keys, labels) through `field`, and a negative weight as `field`
/// writes it. Rows past `limit` are left out.
#[derive(Default)]
pub struct CsvRows {
    pub out: String,
    /// Rows written.
    pub rows: usize,
    /// Rows wanted at most.
    pub limit: Option<usize>,
    /// The current diff's columns, once formatted.
    shared: Option<String>,
    /// The group whose cursor part `cursor` holds.
    group: Option<Uuid>,
    cursor: String,
}

impl CsvRows {
    pub fn new(limit: Option<usize>) -> CsvRows {
        CsvRows { limit, ..CsvRows::default() }
    }
}

impl Sink for CsvRows {
    fn diff(&mut self, _: &Shared) {
        self.shared = None;
    }

    fn row(&mut self, shared: &Shared, change: Change, label: Option<&Arc<str>>, cursor: Position) {
        if self.limit.is_some_and(|limit| self.rows >= limit) {
            return;
        }
        self.rows += 1;
        let out = &mut self.out;
        out.push_str(self.shared.get_or_insert_with(|| shared_columns(shared)));
        out.push_str(dimension_name(change.dimension));
        out.push(',');
        text(out, &change.key);
        text(out, label.map(|l| &**l).unwrap_or_default());
        out.push_str(match change.op {
            Op::Added => "added,",
            Op::Removed => "removed,",
            Op::Changed => "changed,",
        });
        weight(out, change.before);
        weight(out, change.after);
        text(out, if change.breached { "breached" } else { "" });
        if self.group != Some(cursor.group) {
            self.cursor.clear();
            Position::encode_group(cursor.group, &mut self.cursor);
            self.group = Some(cursor.group);
        }
        out.push_str(&self.cursor);
        Position::encode_index(cursor.index, out);
        out.push_str("\r\n");
    }
}

/// The columns of a diff's rows before the change's, each with its comma.
fn shared_columns(shared: &Shared) -> String {
    let mut out = String::with_capacity(320);
    let mut buffer = Uuid::encode_buffer();
    let mut id = |out: &mut String, id: Option<Uuid>| {
        if let Some(id) = id {
            out.push_str(id.hyphenated().encode_lower(&mut buffer));
        }
        out.push(',');
    };
    out.push_str(match shared.kind {
        DiffKind::Formal => "formal,",
        DiffKind::Revision => "revision,",
        DiffKind::Succession => "succession,",
    });
    id(&mut out, Some(shared.organization_id));
    text(&mut out, &shared.organization_name);
    id(&mut out, Some(shared.post_id));
    text(&mut out, &shared.post_title);
    id(&mut out, Some(shared.tenure_id));
    id(&mut out, Some(shared.person_id));
    text(&mut out, &shared.person_name);
    let predecessor = shared.predecessor.as_ref();
    id(&mut out, predecessor.map(|p| p.0));
    id(&mut out, predecessor.map(|p| p.1));
    text(&mut out, predecessor.map(|p| &*p.2).unwrap_or_default());
    id(&mut out, shared.revision_id);
    for time in [shared.from_time, shared.to_time] {
        out.push_str(&time.to_rfc3339());
        out.push(',');
    }
    out
}

/// Anyone's text and its comma.
fn text(out: &mut String, value: &str) {
    field(out, value);
    out.push(',');
}

/// A weight and its comma; one below zero starts with `-`, so it is neutralised like text (see
/// `field`).
fn weight(out: &mut String, w: Option<f64>) {
    match w {
        Some(w) if w.is_sign_negative() => {
            let _ = write!(out, "\"'{w}\"");
        }
        Some(w) => {
            let _ = write!(out, "{w}");
        }
        None => {}
    }
    out.push(',');
}

/// One record of `fields`, each quoted or neutralised as it needs.
pub fn record(out: &mut String, fields: &[&str]) {
    for (i, value) in fields.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        field(out, value);
    }
    out.push_str("\r\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_with_commas_quotes_or_breaks_are_quoted() {
        let mut out = String::new();
        field(&mut out, "Sub, \"Claims\"");
        assert_eq!(out, "\"Sub, \"\"Claims\"\"\"");
        let mut plain = String::new();
        field(&mut plain, "price");
        assert_eq!(plain, "price");
    }

    #[test]
    fn a_row_is_its_fields_in_header_order_with_anyones_text_quoted_or_neutralised() {
        use chrono::TimeZone;
        let id = |n: u128| Uuid::from_u128(n);
        let side = Shared {
            kind: DiffKind::Succession,
            organization_id: id(1),
            organization_name: "Acme, Inc.".into(),
            post_id: id(2),
            post_title: "=CMD()".into(),
            tenure_id: id(3),
            person_id: id(4),
            person_name: "Ana \"the Buyer\"".into(),
            predecessor: Some((id(5), id(8), "Bo".into())),
            revision_id: None,
            from_time: chrono::Utc.with_ymd_and_hms(2026, 1, 2, 3, 4, 5).unwrap(),
            to_time: chrono::Utc.timestamp_opt(1_767_323_045, 500_000_000).unwrap(),
        };
        let change = |key: &str, after: f64| Change {
            dimension: crate::domain::facet::Dimension::Priority,
            key: key.into(),
            op: Op::Changed,
            before: Some(0.25),
            after: Some(after),
            breached: after < 0.0,
        };
        let label: Arc<str> = "Growth, fast".into();
        let mut rows = CsvRows::new(Some(2));
        rows.diff(&side);
        for (index, (key, after)) in
            [("growth", -0.5), ("cost", 0.5), ("more", 0.1)].into_iter().enumerate()
        {
            let cursor = Position { group: id(6), index: index + 7 };
            rows.row(&side, change(key, after), (index == 0).then_some(&label), cursor);
        }
        let uuid = |n: u128| id(n).to_string();
        let cursor = |index| Position { group: id(6), index }.encode();
        let shared = [
            "succession".to_owned(),
            uuid(1),
            "\"Acme, Inc.\"".into(),
            uuid(2),
            "\"'=CMD()\"".into(),
            uuid(3),
            uuid(4),
            "\"Ana \"\"the Buyer\"\"\"".into(),
            uuid(5),
            uuid(8),
            "Bo".into(),
            String::new(),
            "2026-01-02T03:04:05+00:00".into(),
            "2026-01-02T03:04:05.500+00:00".into(),
        ]
        .join(",");
        let first = [
            "priority",
            "growth",
            "\"Growth, fast\"",
            "changed",
            "0.25",
            "\"'-0.5\"",
            "breached",
            &format!("{}\r\n", cursor(7)),
        ]
        .join(",");
        let second =
            ["priority", "cost", "", "changed", "0.25", "0.5", "", &format!("{}\r\n", cursor(8))]
                .join(",");
        assert_eq!(
            rows.out,
            format!("{shared},{first}{shared},{second}"),
            "the third is past the limit"
        );
        assert_eq!(rows.rows, 2);
        assert_eq!(HEADER.split(',').count(), 22);
        assert_eq!(format!("{shared},{first}").split(',').count(), 22 + 2, "two quoted commas");
    }

    #[test]
    fn what_a_spreadsheet_would_run_as_a_formula_is_written_as_text() {
        for (value, written) in [
            ("=HYPERLINK(\"http://x\")", "\"'=HYPERLINK(\"\"http://x\"\")\""),
            ("+1", "\"'+1\""),
            ("-2+3", "\"'-2+3\""),
            ("@SUM(A1)", "\"'@SUM(A1)\""),
            ("\tcmd", "\"'\tcmd\""),
            ("\rcmd", "\"'\rcmd\""),
            ("a=b", "a=b"),
        ] {
            let mut out = String::new();
            field(&mut out, value);
            assert_eq!(out, written, "{value:?}");
        }
    }
}

//! CSV (RFC 4180) of bulk diff rows, and the records of any other export: a header row, CRLF
//! line ends, quoting where needed, formulas neutralised.

use uuid::Uuid;

use super::{DiffKind, DiffRow};
use crate::domain::diff::Op;
use crate::domain::facet::dimension_name;

/// Names beside their ids, for a spreadsheet.
pub const HEADER: &str = "kind,organization_id,organization_name,post_id,post_title,tenure_id,person_id,person_name,from_tenure_id,from_person_id,from_person_name,revision_id,from_time,to_time,dimension,key,label,op,before,after,guardrail,cursor\r\n";

/// RFC 4180: quote a field that holds a comma, a quote or a line break; double its quotes. A
/// field a spreadsheet would run as a formula (it starts with `=`, `+`, `-`, `@`, a tab or a
/// carriage return: a vocabulary label `=HYPERLINK(…)`, say) is written as text, behind a `'`
/// (OWASP's advice on CSV injection): names and labels are anyone's text, while the
/// service's own values (ids, times, weights in [0, 1]) never start so.
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

pub fn write_row(out: &mut String, row: &DiffRow) {
    let opt = |id: Option<Uuid>| id.map(|i| i.to_string()).unwrap_or_default();
    let num = |w: Option<f64>| w.map(|w| w.to_string()).unwrap_or_default();
    let op = match row.op {
        Op::Added => "added",
        Op::Removed => "removed",
        Op::Changed => "changed",
    };
    let kind = match row.kind {
        DiffKind::Formal => "formal",
        DiffKind::Revision => "revision",
        DiffKind::Succession => "succession",
    };
    let fields = [
        kind.to_owned(),
        row.organization_id.to_string(),
        row.organization_name.clone(),
        row.post_id.to_string(),
        row.post_title.clone(),
        row.tenure_id.to_string(),
        row.person_id.to_string(),
        row.person_name.clone(),
        opt(row.from_tenure_id),
        opt(row.from_person_id),
        row.from_person_name.clone().unwrap_or_default(),
        opt(row.revision_id),
        row.from_time.to_rfc3339(),
        row.to_time.to_rfc3339(),
        dimension_name(row.dimension).to_owned(),
        row.key.clone(),
        row.label.clone().unwrap_or_default(),
        op.to_owned(),
        num(row.before),
        num(row.after),
        row.guardrail.clone().unwrap_or_default(),
        row.cursor.clone(),
    ];
    record(out, &fields.each_ref().map(String::as_str));
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

//! The schema's migrations and how they are applied. On PostgreSQL each migration's SQL is sent
//! statement by statement, in the migration's one transaction: Citus refuses `DROP COLUMN` and
//! `CREATE INDEX` on a distributed table when they come in one string with other statements
//! (docs/scaling.md §2.3), and plain PostgreSQL takes either. SQLite takes diesel's embedded
//! migrations as they are (its triggers hold `;` inside `BEGIN … END`).

use std::fmt;

use diesel::connection::BoxableConnection;
use diesel::migration::{
    self, Migration, MigrationMetadata, MigrationName, MigrationSource, MigrationVersion,
};
use diesel::pg::Pg;
use diesel_migrations::{embed_migrations, EmbeddedMigrations};

use crate::error::Error;

pub const SQLITE: EmbeddedMigrations = embed_migrations!("migrations/sqlite");

/// Every PostgreSQL migration as (directory name, `up.sql`, `down.sql`), in order, embedded by
/// `build.rs`.
pub const POSTGRES_SQL: &[(&str, &str, &str)] =
    include!(concat!(env!("OUT_DIR"), "/postgres_migrations.rs"));

/// The PostgreSQL migrations, each run statement by statement.
#[derive(Debug, Clone, Copy)]
pub struct Postgres;

impl MigrationSource<Pg> for Postgres {
    fn migrations(&self) -> migration::Result<Vec<Box<dyn Migration<Pg>>>> {
        Ok(POSTGRES_SQL
            .iter()
            .map(|&(name, up, down)| {
                Box::new(Statements { name: Name(name), up, down }) as Box<dyn Migration<Pg>>
            })
            .collect())
    }
}

/// One migration whose SQL is sent a statement at a time.
struct Statements {
    name: Name,
    up: &'static str,
    down: &'static str,
}

impl Statements {
    fn execute(&self, conn: &mut dyn BoxableConnection<Pg>, sql: &str) -> migration::Result<()> {
        for (i, statement) in statements(sql).into_iter().enumerate() {
            conn.batch_execute(statement)
                .map_err(|e| format!("migration {}, statement {}: {e}", self.name, i + 1))?;
        }
        Ok(())
    }
}

/// Every migration runs in a transaction of its own (diesel's default).
struct InTransaction;

impl MigrationMetadata for InTransaction {}

impl Migration<Pg> for Statements {
    fn run(&self, conn: &mut dyn BoxableConnection<Pg>) -> migration::Result<()> {
        self.execute(conn, self.up)
    }

    fn revert(&self, conn: &mut dyn BoxableConnection<Pg>) -> migration::Result<()> {
        self.execute(conn, self.down)
    }

    fn metadata(&self) -> &dyn MigrationMetadata {
        &InTransaction
    }

    fn name(&self) -> &dyn MigrationName {
        &self.name
    }
}

/// A migration's directory name, `2026-11-22-000000_foundation`; its version is what diesel
/// records, the part before the first `_` without dashes (`20261122000000`).
struct Name(&'static str);

impl fmt::Display for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

impl MigrationName for Name {
    fn version(&self) -> MigrationVersion<'_> {
        let prefix = self.0.split('_').next().unwrap_or(self.0);
        MigrationVersion::from(prefix.replace('-', ""))
    }
}

/// The statements of some SQL, each trimmed and without its `;`; pieces holding only comments
/// or blanks are left out. A `;` inside a string (`'…'`, `E'…'` with its backslash escapes), a
/// quoted identifier, a dollar-quoted body (`$$…$$`, `$tag$…$tag$`), parentheses (a rule's
/// `DO (…; …)`) or a comment (nested or not) does not end a statement. A SQL-standard function
/// body (`BEGIN ATOMIC … END`) is not recognised: write function bodies dollar-quoted.
pub fn statements(sql: &str) -> Vec<&str> {
    let bytes = sql.as_bytes();
    let end_of = |from: usize, closing: &str| sql[from..].find(closing).map(|n| from + n);
    let mut found = Vec::new();
    let (mut start, mut i, mut code, mut depth) = (0, 0, false, 0_usize);
    while i < bytes.len() {
        let next = bytes.get(i + 1).copied();
        match bytes[i] {
            b'-' if next == Some(b'-') => {
                i = end_of(i, "\n").map_or(bytes.len(), |n| n + 1);
                continue;
            }
            b'/' if next == Some(b'*') => {
                i = after_block_comment(bytes, i);
                continue;
            }
            b'(' => (depth, code) = (depth + 1, true),
            b')' => (depth, code) = (depth.saturating_sub(1), true),
            b';' if depth == 0 => {
                if code {
                    found.push(sql[start..i].trim());
                }
                (start, code) = (i + 1, false);
            }
            b'\'' | b'"' => {
                let escapes = bytes[i] == b'\''
                    && i > 0
                    && matches!(bytes[i - 1], b'E' | b'e')
                    && (i < 2 || !is_word(bytes[i - 2]));
                i = after_quoted(bytes, i, escapes);
                code = true;
                continue;
            }
            // `$` within a name (`t$1`) is part of it, not a quote.
            b'$' if i > 0 && is_word(bytes[i - 1]) => code = true,
            b'$' => {
                code = true;
                if let Some(tag) = dollar_tag(&sql[i..]) {
                    i = end_of(i + tag.len(), tag).map_or(bytes.len(), |n| n + tag.len());
                    continue;
                }
            }
            c if !c.is_ascii_whitespace() => code = true,
            _ => {}
        }
        i += 1;
    }
    if code {
        found.push(sql[start..].trim());
    }
    found
}

/// A byte of a name: letters (any non-ASCII byte is part of one), digits, `_`, `$`.
fn is_word(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_' || c == b'$' || c >= 0x80
}

/// Just past the block comment opening at `open`; block comments nest.
fn after_block_comment(bytes: &[u8], open: usize) -> usize {
    let (mut depth, mut i) = (0_usize, open);
    while i + 1 < bytes.len() {
        match (bytes[i], bytes[i + 1]) {
            (b'/', b'*') => (depth, i) = (depth + 1, i + 2),
            (b'*', b'/') if depth == 1 => return i + 2,
            (b'*', b'/') => (depth, i) = (depth - 1, i + 2),
            _ => i += 1,
        }
    }
    bytes.len()
}

/// Just past the quote that closes the one at `open` (a doubled quote stays inside; with
/// `escapes`, so does a backslash-escaped one).
fn after_quoted(bytes: &[u8], open: usize, escapes: bool) -> usize {
    let quote = bytes[open];
    let mut i = open + 1;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' if escapes => i += 2,
            c if c == quote && bytes.get(i + 1) == Some(&quote) => i += 2,
            c if c == quote => return i + 1,
            _ => i += 1,
        }
    }
    bytes.len()
}

/// The dollar-quote tag `text` starts with (`$$`, `$body$`), if it starts with one; `$1` is a
/// parameter, not a tag.
fn dollar_tag(text: &str) -> Option<&str> {
    let rest = &text.as_bytes()[1..];
    let name = rest.iter().take_while(|c| is_word(**c) && **c != b'$').count();
    let starts_well = rest.first().is_some_and(|c| !c.is_ascii_digit());
    (starts_well && rest.get(name) == Some(&b'$')).then(|| &text[..name + 2])
}

/// Refuses a database with a migration this build does not know, then applies the pending
/// ones (with `apply`; without, refuses a database that lacks one); how many it applied.
pub fn migrate_with<C, DB, S>(conn: &mut C, migrations: S, apply: bool) -> Result<usize, Error>
where
    DB: diesel::backend::Backend,
    C: diesel_migrations::MigrationHarness<DB> + diesel::Connection<Backend = DB>,
    S: MigrationSource<DB>,
{
    let known: Vec<String> = migrations
        .migrations()
        .map_err(Error::Internal)?
        .iter()
        .map(|m| m.name().version().to_string())
        .collect();
    let applied = conn.applied_migrations().map_err(Error::Internal)?;
    if let Some(unknown) = applied.iter().map(|v| v.to_string()).find(|v| !known.contains(v)) {
        return Err(Error::Setup(format!(
            "the database has migration {unknown}, which this build of jobcraft does not know \
             (its latest is {}): the schema is newer than this instance; run the newer jobcraft",
            known.last().map_or("none", String::as_str)
        )));
    }
    if !apply {
        let pending = conn.pending_migrations(migrations).map_err(Error::Internal)?;
        if let Some(first) = pending.first() {
            return Err(Error::Setup(format!(
                "the database lacks {} migration(s) of this build, the first {}: run \
                 `jobcraft migrate` first (this instance does not migrate on start)",
                pending.len(),
                first.name().version()
            )));
        }
        return Ok(0);
    }
    Ok(conn.run_pending_migrations(migrations).map_err(Error::Internal)?.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statements_end_at_semicolons_outside_strings_identifiers_bodies_and_comments() {
        let sql = "-- a comment; not a statement\n\
                   CREATE TABLE \"a;b\" (note TEXT DEFAULT 'it''s; fine');\n\
                   /* block; comment */ INSERT INTO t VALUES (E'\\'; still', 'x');\n\
                   DO $body$ BEGIN PERFORM 1; END $body$;\n\
                   CREATE FUNCTION f() RETURNS int AS $$ SELECT 1; $$ LANGUAGE sql;\n\
                   SELECT $1 ; ;\n\
                   -- trailing comment only";
        assert_eq!(
            statements(sql),
            vec![
                "-- a comment; not a statement\nCREATE TABLE \"a;b\" (note TEXT DEFAULT 'it''s; fine')",
                "/* block; comment */ INSERT INTO t VALUES (E'\\'; still', 'x')",
                "DO $body$ BEGIN PERFORM 1; END $body$",
                "CREATE FUNCTION f() RETURNS int AS $$ SELECT 1; $$ LANGUAGE sql",
                "SELECT $1",
            ]
        );
    }

    #[test]
    fn nested_comments_parentheses_and_dollars_in_names_do_not_end_statements() {
        let sql = "/* a /* b; */ c; */ SELECT 1;\n\
                   CREATE RULE r AS ON INSERT TO t DO ALSO (SELECT 1; SELECT 2);\n\
                   SELECT t$x$y FROM t$1; SELECT é'a\\'; SELECT 3";
        assert_eq!(
            statements(sql),
            vec![
                "/* a /* b; */ c; */ SELECT 1",
                "CREATE RULE r AS ON INSERT TO t DO ALSO (SELECT 1; SELECT 2)",
                "SELECT t$x$y FROM t$1",
                "SELECT é'a\\'",
                "SELECT 3",
            ]
        );
    }

    #[test]
    fn a_last_statement_needs_no_semicolon_and_a_plain_quote_has_no_backslash_escape() {
        assert_eq!(statements("SELECT 'a\\'; SELECT 2"), vec!["SELECT 'a\\'", "SELECT 2"]);
        assert_eq!(statements("SELECT 1e'\\'; SELECT 2"), vec!["SELECT 1e'\\'", "SELECT 2"]);
        assert_eq!(statements("  \n-- nothing\n"), Vec::<&str>::new());
        assert_eq!(statements("SELECT 'unclosed; x"), vec!["SELECT 'unclosed; x"]);
    }

    #[test]
    fn postgres_migrations_are_embedded_in_order_with_diesels_versions() {
        let names: Vec<&str> = POSTGRES_SQL.iter().map(|(name, _, _)| *name).collect();
        let mut sorted = names.clone();
        sorted.sort();
        assert_eq!(names, sorted);
        assert_eq!(names[0], "2026-11-22-000000_foundation");
        assert_eq!(Name(names[0]).version().to_string(), "20261122000000");
        for (name, up, down) in POSTGRES_SQL {
            assert!(!statements(up).is_empty(), "{name}: up.sql has no statement");
            assert!(!statements(down).is_empty(), "{name}: down.sql has no statement");
        }
    }
}

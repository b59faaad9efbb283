//! Embeds the SQL of every PostgreSQL migration as text, so that `store::migrations` can send it
//! statement by statement (diesel's embedded migrations keep their SQL private and send each
//! file as one string, which Citus refuses for some statements on distributed tables).

use std::path::Path;
use std::{env, fs};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = Path::new(&env::var("CARGO_MANIFEST_DIR")?).join("migrations/postgres");
    println!("cargo:rerun-if-changed={}", dir.display());
    let mut names = Vec::new();
    for entry in fs::read_dir(&dir)? {
        let name = entry?.file_name().to_string_lossy().into_owned();
        if !name.starts_with('.') {
            names.push(name);
        }
    }
    names.sort();
    let mut table = String::from("&[\n");
    for name in names {
        let file = |f: &str| dir.join(&name).join(f).display().to_string();
        table += &format!(
            "    ({name:?}, include_str!({:?}), include_str!({:?})),\n",
            file("up.sql"),
            file("down.sql")
        );
    }
    table += "]\n";
    fs::write(Path::new(&env::var("OUT_DIR")?).join("postgres_migrations.rs"), table)?;
    Ok(())
}

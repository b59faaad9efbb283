use crate::harness::{on_both_backends, TestApp};

on_both_backends!(every_down_migration_undoes_its_up_migration);

async fn every_down_migration_undoes_its_up_migration(app: &TestApp) {
    let tables = app.table_names();
    assert!(tables.contains(&"crafting_revisions".to_owned()), "{tables:?}");
    app.db.revert_all_migrations().unwrap();
    assert_eq!(app.table_names(), Vec::<String>::new());
    app.db.migrate().unwrap();
    assert_eq!(app.table_names(), tables);
}

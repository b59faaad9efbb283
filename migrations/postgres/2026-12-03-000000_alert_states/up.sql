-- What sales managers decided about the alerts of a coverage report: the current state of an
-- alert (acknowledged, snoozed until a date, dismissed, or open again) with the alert's
-- condition when it was decided (a material change makes it open again), and every decision
-- in order. Alerts themselves are computed from the account; only decisions are stored.
CREATE TABLE alert_states (
    tenant_id TEXT NOT NULL REFERENCES tenants (id),
    alert_id TEXT NOT NULL,
    account_id TEXT NOT NULL,
    alert_type TEXT NOT NULL,
    condition TEXT NOT NULL,
    state TEXT NOT NULL,
    snoozed_until DATE,
    note TEXT,
    changed_by TEXT NOT NULL,
    changed_at TIMESTAMP NOT NULL,
    version BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, alert_id)
);
CREATE INDEX alert_states_by_account ON alert_states (tenant_id, account_id);
CREATE TABLE alert_events (
    tenant_id TEXT NOT NULL REFERENCES tenants (id),
    id TEXT NOT NULL,
    alert_id TEXT NOT NULL,
    condition TEXT NOT NULL,
    state TEXT NOT NULL,
    snoozed_until DATE,
    note TEXT,
    changed_by TEXT NOT NULL,
    changed_at TIMESTAMP NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX alert_events_by_alert ON alert_events (tenant_id, alert_id, id);

DROP TABLE development_settings;
DROP TABLE development_plans;

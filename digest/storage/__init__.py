"""Storage: the only code that speaks SQL (SQLAlchemy 2.x): the engine and transactions (`db`), the schema
(`models`), the migrations, the service's data-folder lock and whole-file writes."""

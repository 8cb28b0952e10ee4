"""Case storage on SQLite and PostgreSQL: tables, engine, repositories, unit of work, migrations.

The only package that speaks SQL. Domain values cross it through `mapping`; the schema is
created and evolved only by the Alembic migrations in `migrations/` (`migrate(url)`).
"""

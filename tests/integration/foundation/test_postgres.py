"""SQLModel reads and writes rows in the project's real PostgreSQL."""

from sqlalchemy import MetaData
from sqlmodel import Field, Session, SQLModel, create_engine, select


class ProbeBase(SQLModel):
    # Its own metadata: the probe table must not join the application's schema, which other
    # tests compare with the migrations.
    metadata = MetaData()


class Probe(ProbeBase, table=True):
    __tablename__ = "foundation_probe"
    id: int | None = Field(default=None, primary_key=True)
    label: str


def test_a_sqlmodel_row_round_trips_through_postgresql(pg_url: str) -> None:
    engine = create_engine(pg_url)
    ProbeBase.metadata.create_all(engine)
    with Session(engine) as session:
        session.add(Probe(label="sea_arrival"))
        session.commit()
    with Session(engine) as session:
        rows = session.exec(select(Probe)).all()
    engine.dispose()
    assert [row.label for row in rows] == ["sea_arrival"]
    assert engine.dialect.name == "postgresql"

"""The pure core: no Kafka, database, HTTP, environment, clock or randomness not passed in."""

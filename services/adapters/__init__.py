"""Infrastructure shared by every service: settings, Kafka, database, telemetry, clock."""

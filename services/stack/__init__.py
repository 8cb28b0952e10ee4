"""The whole stack on one machine: `mixflow up | down | status | demo`.

Starts the local broker, prepares the database and topics, publishes the default ruleset when
none is published, then runs every service as its own background process (`mixflow serve X`),
each with a pid file and a log under the state folder, and waits until each is ready. It never
imports the services themselves: it knows them only as commands, consumer groups and ports.
"""

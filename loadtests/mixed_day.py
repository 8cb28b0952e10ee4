"""A working day in one locustfile: every kind of user, weighted as they are met in the field.

Most load comes from agencies: registration desks posting single events, agency systems
uploading batches over HTTP and partner integrations producing to Kafka. Caseworkers read and
update referrals; a few monitoring teams poll the flows. The weights are each class's `weight`:
desks 6, batch uploads 2, Kafka integrations 1, caseworkers 4, monitors 1.
"""

# Modules, not classes, are imported: Locust runs every user class it finds in this namespace.
import casework_users
import ingest_users
import kafka_user
import monitor_users


class Desk(ingest_users.AgencyHttpUser):
    weight = 6


class AgencyUpload(ingest_users.AgencyBatchUser):
    weight = 2


class PartnerIntegration(kafka_user.AgencyKafkaUser):
    weight = 1


class Caseworker(casework_users.CaseworkerUser):
    weight = 4


class Monitor(monitor_users.MonitorUser):
    weight = 1

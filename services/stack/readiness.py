"""How the stack tells a service is ready: an HTTP answer, or a consumer group with members."""

import urllib.error
import urllib.request

from kafka import KafkaAdminClient
from kafka.errors import KafkaError

from services.adapters.kafka import kafka_python_options
from services.adapters.settings import KafkaSettings


def http_ready(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return bool(response.status < 500)
    except (urllib.error.URLError, OSError):
        return False


def group_ready(settings: KafkaSettings, group_id: str) -> bool:
    """True when the consumer group is stable with at least one member."""
    try:
        admin = KafkaAdminClient(client_id="mixflow-stack", **kafka_python_options(settings))
    except (KafkaError, OSError):
        return False
    try:
        groups = admin.describe_groups([group_id])
    except (KafkaError, OSError):
        return False
    finally:
        admin.close()
    group = groups.get(group_id) or {}
    return bool(group.get("group_state") == "Stable" and group.get("members"))

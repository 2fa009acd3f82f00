from tests.collectors.conftest import collector  # noqa: F401
from tests.fixtures.kafka import kafka_broker  # noqa: F401
from tests.fixtures.postgres import postgres_server  # noqa: F401

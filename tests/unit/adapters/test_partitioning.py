"""The fast partitioner must choose exactly the partitions Kafka's clients choose."""

from aiokafka.partitioner import murmur2 as aiokafka_murmur2
from hypothesis import given
from hypothesis import strategies as st
from kafka.partitioner.default import murmur2 as kafka_python_murmur2

from services.adapters.partitioning import murmur2, partition_for

# org.apache.kafka.common.utils.UtilsTest#testMurmur2: the Java client's signed results.
JAVA_VECTORS = {
    b"21": -973932308,
    b"foobar": -790332482,
    b"a-little-bit-long-string": -985981536,
    b"a-little-bit-longer-string": -1486304829,
    b"lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8": -58897971,
    b"abc": 479470107,
}


def test_matches_the_java_client() -> None:
    for key, signed in JAVA_VECTORS.items():
        assert murmur2(key) == signed & 0xFFFFFFFF, key


@given(st.binary(max_size=200))
def test_matches_aiokafka_and_kafka_python(key: bytes) -> None:
    assert murmur2(key) == aiokafka_murmur2(key)
    assert murmur2(key) & 0x7FFFFFFF == kafka_python_murmur2(key) & 0x7FFFFFFF


@given(st.uuids().map(lambda u: str(u).encode()), st.integers(min_value=1, max_value=64))
def test_partition_is_the_default_partitioners(key: bytes, partitions: int) -> None:
    expected = (aiokafka_murmur2(key) & 0x7FFFFFFF) % partitions
    assert partition_for(key, partitions) == expected

"""100,000 mutations of a real consumer RPM (and of its payload): each one is read as a
package or refused as bad data (exit 65), never an escaping struct.error/ValueError/IndexError,
and memory stays bounded. Deterministic: the same seed gives the same corpus."""
import os
import random
import struct
import tracemalloc

from lbenroll import consumer
from lbenroll.errors import DataError, ExitCode
from tests.conftest import DATA

RPM = os.path.join(DATA, "rpm", "katello-ca-consumer-proxy01.lab.test-1.0-1.noarch.rpm")
CPIO = os.path.join(DATA, "rpm", "katello-ca-consumer-proxy01.lab.test-1.0-1.cpio")
URL = "http://balancer.example.test/pub/katello-ca-consumer-latest.noarch.rpm"
SEED = 18
MUTATIONS = 100000
# What one parse may allocate at its peak: the package (10 kB), its header's values and the
# script are a few hundred kB at most; 16 MiB would still flag a payload or header held whole.
PEAK_BOUND = 16 << 20
INTERESTING = (0, 1, 2, 4, 8, 15, 16, 17, 0x7f, 0x80, 0xff, 0x100, 0x7fff, 0xffff, 0x10000,
               0x7fffffff, 0x80000000, 0xfffffff0, 0xffffffff)


def mutate(rng, data, hot_end):
    """One to four random edits: bit flips, bytes, big-endian counts and offsets (mostly in the
    lead and headers, below hot_end), truncation, deletion, duplication."""
    data = bytearray(data)
    for _ in range(rng.randint(1, 4)):
        if not data:
            break
        pos = rng.randrange(min(hot_end, len(data)) if rng.random() < 0.8 else len(data))
        kind = rng.randrange(7)
        if kind == 0:
            data[pos] ^= 1 << rng.randrange(8)
        elif kind == 1:
            data[pos] = rng.choice((0, 0xff, 0x7f, 0x80, rng.randrange(256)))
        elif kind in (2, 3):  # a count, offset, size or type: the header's 32-bit fields
            pos -= pos % 4 if kind == 2 else 0
            value = rng.choice(INTERESTING + (len(data), rng.randrange(1 << 32)))
            data[pos:pos + 4] = struct.pack(">I", value)
        elif kind == 4:
            del data[pos:]
        elif kind == 5:
            del data[pos:pos + rng.randint(1, 64)]
        else:
            data[pos:pos] = data[pos:pos + rng.randint(1, 64)]
    return bytes(data)


def test_every_mutation_of_a_real_consumer_rpm_is_a_package_or_a_data_error():
    with open(RPM, "rb") as f:
        original = f.read()
    with open(CPIO, "rb") as f:
        payload = f.read()
    assert consumer.parse(URL, original, lambda consume: consume(payload)).fingerprint
    rng = random.Random(SEED)
    parsed = refused = peak = 0
    for number in range(MUTATIONS):
        data = mutate(rng, original, 5000)  # the lead and both headers: ~4.9 kB
        # Half of the cases also damage the payload rpm2cpio would print.
        served = mutate(rng, payload, len(payload)) if number % 2 else payload
        # Every tenth parse is traced (tracing all would make the test several times slower).
        traced = number % 10 == 0
        if traced:
            tracemalloc.start()
        try:
            consumer.parse(URL, data, lambda consume, served=served: consume(served))
            parsed += 1
        except DataError as exc:
            assert exc.exit_code == ExitCode.DATAERR
            refused += 1
        except Exception as exc:  # the failure being tested for
            raise AssertionError("mutation %d (seed %d) escaped as %r" % (
                number, SEED, exc)) from exc
        finally:
            if traced:
                peak = max(peak, tracemalloc.get_traced_memory()[1])
                tracemalloc.stop()
    assert parsed + refused == MUTATIONS
    # Both outcomes are exercised: the corpus is neither all noise nor all harmless.
    assert parsed > MUTATIONS // 100 and refused > MUTATIONS // 2, (parsed, refused)
    assert 0 < peak < PEAK_BOUND, "peak %d bytes" % peak

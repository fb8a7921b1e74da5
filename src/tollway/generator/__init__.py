"""A seeded synthetic enterprise-telecom operator, for demos, tests and benchmarks.

Owns: generating a whole world — catalog, customers with account hierarchies and agreements,
circuits with lifecycles, and usage per cycle (data, voice, security events, 5-minute bandwidth
samples) with late, duplicate and bad records — as the files tollway reads (docs/input-formats.md,
docs/usage-records.md).
Invariants: the same arguments give byte-identical files (numpy PCG64 streams spawned from the
seed); usage is vectorized (no Python loop per record) and only falls in a circuit's active
windows; quantities are integers scaled to exact decimals, never floats.
May import: the core, `tollway.io`, numpy and pyarrow. The core never imports this package.
"""

from tollway.generator._generate import CycleUsage, GeneratedWorld, GeneratorError, generate
from tollway.generator._sizes import SIZES, GeneratorSizeError, SizeProfile, size_profile

__all__ = [
    "SIZES",
    "CycleUsage",
    "GeneratedWorld",
    "GeneratorError",
    "GeneratorSizeError",
    "SizeProfile",
    "generate",
    "size_profile",
]

"""``python -m bench.worker MODULE:FACTORY '{"kwarg": ...}'``: one isolated run.

Calls ``FACTORY(**kwargs)`` untimed (imports, schema compilation), then times the
callable it returns and prints one ``BENCH-RESULT {json}`` line with the time,
the result and this process's peak RSS."""

import sys

from bench.measure import worker_main

if __name__ == "__main__":
    sys.exit(worker_main(sys.argv[1:]))

"""Idle authenticated sockets held by one server process: 10,000, their memory, and event
delivery to a socket among them.

Starts a real ``hocovisio run`` and an embedded PostgreSQL, and opens 10,000 sockets (the
measured consultation's three included) from a few holder processes: 334 consultations
whose three sessions hold 10 sockets each (``HOCOVISIO_MAX_SOCKETS_PER_SESSION=10`` for the
run), as many browser tabs as a clinic's day would leave open, without creating 3,334
consultations first. It reports the server's resident memory growth per socket, its CPU per
socket opened, and ``infoUpdate`` delivery at 10 updates/s to the measured consultation's
sockets among them (bench/_sockets.py describes the scenario). Targets: 10,000 sockets,
< 40 KiB each, delivery p99 < 50 ms.

The open-files limit is raised to its hard limit, for the server too; the deployment's unit
(deploy/hocovisio.service) sets ``LimitNOFILE=65536``.

    MEDIASOUP_WORKER_BIN=... .venv/bin/python -m bench.idle_sockets

About 4 minutes with the defaults on the code of issue 16's start (2 vCPUs, shared), most of it
opening the sockets (80 a second).
"""

import argparse

from ._common import percentile
from ._sockets import MEASURED, Scenario, run

TARGET_KIB = 40
TARGET_P99 = 0.050


def main(arguments: argparse.Namespace) -> None:
    scenario = Scenario(
        total=arguments.sockets,
        sockets_per_session=arguments.sockets_per_session,
        holders=arguments.holders,
        rate=arguments.rate,
        seconds=arguments.seconds,
    )
    figures = run(f"{arguments.sockets} idle authenticated sockets on one process", scenario)
    per_socket = (figures.rss_after - figures.rss_before) / max(figures.opened, 1) / 1024
    p99 = percentile(figures.deliveries, 0.99)
    checks = {
        f"{arguments.sockets} sockets open": figures.opened + MEASURED >= arguments.sockets,
        f"< {TARGET_KIB} KiB per socket": per_socket < TARGET_KIB,
        f"delivery p99 < {TARGET_P99 * 1000:.0f} ms": p99 < TARGET_P99
        and figures.expected == len(figures.deliveries),
    }
    print(
        "targets: "
        + ", ".join(f"{name}: {'met' if ok else 'missed'}" for name, ok in checks.items())
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sockets", type=int, default=10_000, help="sockets open in all")
    parser.add_argument("--sockets-per-session", type=int, default=10)
    parser.add_argument("--holders", type=int, default=4, help="processes holding the sockets")
    parser.add_argument("--rate", type=float, default=10.0, help="updates per second")
    parser.add_argument("--seconds", type=float, default=30.0, help="of updates")
    main(parser.parse_args())

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

from ._common import percentile
from ._sockets import MEASURED, Scenario, run

TARGET_KIB = 40
TARGET_P99 = 0.050


def main(scenario: Scenario) -> None:
    figures = run(f"{scenario.total} idle authenticated sockets on one process", scenario)
    per_socket = (figures.rss_after - figures.rss_before) / max(figures.opened, 1) / 1024
    p99 = percentile(figures.deliveries, 0.99)
    checks = {
        f"{scenario.total} sockets open": figures.opened + MEASURED >= scenario.total,
        f"< {TARGET_KIB} KiB per socket": per_socket < TARGET_KIB,
        f"delivery p99 < {TARGET_P99 * 1000:.0f} ms": p99 < TARGET_P99
        and figures.expected == len(figures.deliveries),
    }
    print(
        "targets: "
        + ", ".join(f"{name}: {'met' if ok else 'missed'}" for name, ok in checks.items())
    )


if __name__ == "__main__":
    main(
        Scenario.from_command_line(
            __doc__.split("\n\n")[0],
            sockets=10_000,
            sockets_per_session=10,
            holders=4,
            seconds=30.0,
        )
    )

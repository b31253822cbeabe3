"""``infoUpdate`` delivery at 10 updates/s with 1,000 authenticated sockets open.

Starts a real ``hocovisio run`` and an embedded PostgreSQL, opens 1,000 sockets spread over
consultations as a clinic's would be (one socket per participant: 333 idle consultations of
three, and the measured one), then updates the measured consultation's form 10 times a
second and times each ``infoUpdate`` at the doctor's and the guest's sockets, from the
moment the request was sent (bench/_sockets.py describes the scenario). Target: p99 < 10 ms.

    MEDIASOUP_WORKER_BIN=... .venv/bin/python -m bench.event_delivery

About 1.5 minutes with the defaults on the code of issue 16's start (2 vCPUs).
"""

from ._common import percentile
from ._sockets import Scenario, run

TARGET_P99 = 0.010


def main(scenario: Scenario) -> None:
    figures = run(
        f"infoUpdate delivery at {scenario.rate:g} updates/s, {scenario.total} sockets open",
        scenario,
    )
    p99 = percentile(figures.deliveries, 0.99)
    verdict = (
        "met" if p99 < TARGET_P99 and figures.expected == len(figures.deliveries) else "missed"
    )
    print(f"target p99 < {TARGET_P99 * 1000:.0f} ms, every event delivered: {verdict}")


if __name__ == "__main__":
    main(
        Scenario.from_command_line(
            __doc__.split("\n\n")[0], sockets=1000, sockets_per_session=1, holders=1, seconds=60.0
        )
    )

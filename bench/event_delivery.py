"""``infoUpdate`` delivery at 10 updates/s with 1,000 authenticated sockets open.

Starts a real ``hocovisio run`` and an embedded PostgreSQL, opens 1,000 sockets spread over
consultations as a clinic's would be (one socket per participant: 333 idle consultations of
three, and the measured one), then updates the measured consultation's form 10 times a
second and times each ``infoUpdate`` at the doctor's and the guest's sockets, from the
moment the request was sent (bench/_sockets.py describes the scenario). Target: p99 < 10 ms.

    MEDIASOUP_WORKER_BIN=... .venv/bin/python -m bench.event_delivery

About 1.5 minutes with the defaults on the code of issue 16's start (2 vCPUs).
"""

import argparse

from ._common import percentile
from ._sockets import Scenario, run

TARGET_P99 = 0.010


def main(arguments: argparse.Namespace) -> None:
    scenario = Scenario(
        total=arguments.sockets,
        sockets_per_session=arguments.sockets_per_session,
        holders=arguments.holders,
        rate=arguments.rate,
        seconds=arguments.seconds,
    )
    figures = run(
        f"infoUpdate delivery at {arguments.rate:g} updates/s, {arguments.sockets} sockets open",
        scenario,
    )
    p99 = percentile(figures.deliveries, 0.99)
    verdict = (
        "met" if p99 < TARGET_P99 and figures.expected == len(figures.deliveries) else "missed"
    )
    print(f"target p99 < {TARGET_P99 * 1000:.0f} ms, every event delivered: {verdict}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sockets", type=int, default=1000, help="sockets open in all")
    parser.add_argument("--sockets-per-session", type=int, default=1)
    parser.add_argument("--holders", type=int, default=1, help="processes holding the sockets")
    parser.add_argument("--rate", type=float, default=10.0, help="updates per second")
    parser.add_argument("--seconds", type=float, default=60.0, help="of updates")
    main(parser.parse_args())

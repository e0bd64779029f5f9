"""The worker process of bench/bench_outbox.py: Django set up, then "ready" on stdout;
on a line "go" on stdin it runs ``manage.py notify_outbox_worker`` (the command users
run) until SIGTERM. With ``--profile FILE`` the run is profiled with pyinstrument."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent / "src")]
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench_settings")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--interval", type=float, default=1.0, help="the command's default")
    parser.add_argument("--profile", default="")
    args = parser.parse_args()

    import django
    from django.core.management import call_command

    django.setup()
    from django_govuk_notify_outbox import observe
    from django_govuk_notify_outbox.engine import run

    # What a worker does once as it starts, long before its emails: not measured.
    run.is_due()  # connect
    observe.warm()  # load prometheus_client (the command does it too, as it starts)
    print("ready", flush=True)
    sys.stdin.readline()
    if args.profile.endswith(".pstats"):
        import cProfile

        cprofile = cProfile.Profile()
        cprofile.enable()
    elif args.profile:
        from pyinstrument import Profiler

        profiler = Profiler(interval=0.0005)
        profiler.start()
    try:
        with open(os.devnull, "w") as devnull:
            call_command("notify_outbox_worker", interval=args.interval, stdout=devnull)
    finally:
        if args.profile.endswith(".pstats"):
            cprofile.disable()
            cprofile.dump_stats(args.profile)
        elif args.profile:
            profiler.stop()
            Path(args.profile).write_text(profiler.output_text(unicode=True, show_all=False))


if __name__ == "__main__":
    main()

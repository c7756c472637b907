"""The command line: ``python -m robustgan study``."""

import argparse
import json
import sys

from .study import contamination_study, format_table, rows_as_dicts

__all__ = ["main"]


def _study(args):
    rows = contamination_study(
        n_samples=args.n_samples,
        n_features=args.n_features,
        contaminations=args.contamination,
        seeds=range(args.seeds),
    )
    print(
        f"‖θ̂ − θ‖₂, median over {args.seeds} seed(s); n={args.n_samples}, p={args.n_features}, "
        "inliers N(0, I)"
    )
    print(format_table(rows))
    if args.json:
        with open(args.json, "w") as handle:
            json.dump(rows_as_dicts(rows), handle, indent=1)
    return 0


def _fraction(text):
    value = float(text)
    if not 0.0 <= value < 0.5:
        raise argparse.ArgumentTypeError(f"contamination must be in [0, 0.5), got {text}")
    return value


def build_parser():
    parser = argparse.ArgumentParser(prog="robustgan", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    study = commands.add_parser(
        "study",
        help="contamination study on simulated data: a table of ‖θ̂ − θ‖₂ per estimator",
    )
    study.add_argument("--n-samples", type=int, default=10_000)
    study.add_argument("--n-features", type=int, default=50)
    study.add_argument("--contamination", type=_fraction, nargs="+", default=[0.1, 0.2])
    study.add_argument("--seeds", type=int, default=1, help="data sets per cell")
    study.add_argument("--json", help="also write the rows to this JSON file")
    study.set_defaults(run=_study)
    return parser


def main(argv=None):
    """Run the command line; returns the exit status.

    Examples
    --------
    >>> main(["study", "--n-samples", "200", "--n-features", "2", "--contamination", "0.1"])
    ... # doctest: +ELLIPSIS
    ‖θ̂ − θ‖₂...
    0
    """
    args = build_parser().parse_args(argv)
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())

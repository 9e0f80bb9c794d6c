#!/usr/bin/env python3
"""Effective permissions of every principal of a GAAD with iam-ape, in one Python process.

iam-ape (1.1.x) evaluates one principal per CLI run (`iam-ape --input GAAD --arn ARN`) and has
no all-principals mode. Running the CLI 2,500 times would mostly time interpreter start-up and
re-parsing of the GAAD, so this driver does what `iam_ape.main.main` does for one ARN, for every
user, group and role, in one process: load the GAAD once (`load_auth_details_from_json`), build
one `EffectivePolicyEvaluator` (no SCPs: the CLI with `--input` and no `--scp-policy` passes
none), then per principal `evaluate(arn, entity_type)` and the CLI's default `--format clean`
output, `policy_expander.shrink_policy(res.allowed_permissions)`, written as one JSON line
(`{"arn": ..., "policy": ...}`) to `--out` (default /dev/null).

With --limit N only N principals are evaluated: by default N spread evenly over the GAAD's
order (every (total/N)-th; users come first and cost the most, so a prefix is not
representative), with --first the first N; the summary extrapolates to every principal.

usage: ape_all.py GAAD [--out FILE] [--limit N [--first]] [--kinds user,group,role]
"""
import argparse
import json
import logging
import sys
import time

from iam_ape.evaluator import EffectivePolicyEvaluator
from iam_ape.exceptions import IamApeException
from iam_ape.helper_types import EntityType
from iam_ape.main import load_auth_details_from_json


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("gaad")
    ap.add_argument("--out", default="/dev/null")
    ap.add_argument("--limit", type=int, default=0, help="N principals only (0: all)")
    ap.add_argument("--first", action="store_true", help="with --limit: the first N, not spread")
    ap.add_argument("--kinds", default="user,group,role")
    args = ap.parse_args()
    logging.basicConfig(level=logging.ERROR, stream=sys.stderr)

    t0 = time.perf_counter()
    auth = load_auth_details_from_json(args.gaad)
    evaluator = EffectivePolicyEvaluator(authorization_details=auth, scp_policies=None)
    t_load = time.perf_counter() - t0

    kinds = {"user": EntityType.user, "group": EntityType.group, "role": EntityType.role}
    todo = []
    for k in args.kinds.split(","):
        table = getattr(auth, kinds[k].value)
        todo.extend((arn, kinds[k]) for arn in table)  # GAAD order
    total = len(todo)
    if args.limit and args.limit < total:
        if args.first:
            todo = todo[: args.limit]
        else:
            todo = [todo[i * total // args.limit] for i in range(args.limit)]

    done = errors = statements = 0
    t1 = time.perf_counter()
    with open(args.out, "w") as out:
        for arn, kind in todo:
            try:
                res = evaluator.evaluate(arn=arn, entity_type=kind)
                policy = evaluator.policy_expander.shrink_policy(res.allowed_permissions)
            except (IamApeException, Exception) as e:  # noqa: BLE001 - count and go on
                errors += 1
                print(f"ape_all: {arn}: {type(e).__name__}: {e}", file=sys.stderr)
                continue
            statements += len(policy.get("Statement", []))
            out.write(json.dumps({"arn": arn, "policy": policy}) + "\n")
            done += 1
            if done % 100 == 0:
                el = time.perf_counter() - t1
                print(f"ape_all: {done}/{len(todo)} in {el:.1f} s", file=sys.stderr, flush=True)
    t_eval = time.perf_counter() - t1
    per = t_eval / max(1, done + errors)
    print(
        json.dumps(
            {
                "principals_in_gaad": total,
                "evaluated": done,
                "errors": errors,
                "statements": statements,
                "load_s": round(t_load, 3),
                "eval_s": round(t_eval, 3),
                "per_principal_s": round(per, 4),
                "extrapolated_all_s": round(t_load + per * total, 1),
            }
        ),
        file=sys.stderr,
    )
    return 0 if errors == 0 else 1


if __name__ == "__main__":
    sys.exit(main())

"""The ESS of pyabc's ABC-SMC under wider perturbation kernels, on a toy shaped like our fits.

Run from the repository root::

    uv run python benchmarks/abc_kernel.py                        # scalings 1 and 3, 5 seeds
    uv run python benchmarks/abc_kernel.py --scaling 1 --scaling 2 --seeds 3
    uv run python benchmarks/abc_kernel.py --space logit \
        --output benchmarks/results/abc_kernel-logit.json

Every fit of ``experiments/calibration*.toml`` with more than a few parameters lost its
effective sample size (ESS) from generation to generation under pyabc's default kernel (a
multivariate normal with Silverman's bandwidth): the eleven-parameter fit had 18.7, 10.4 and
6.6 of 80 particles in generations 1-3. The model is too slow to compare kernels on, so this
toy has the fit's shape: 13 parameters with uniform priors on [0, 1], 8 targets that are noisy
linear functions of them (a sparse random matrix: at least five directions unidentified, as
8 targets leave them, and three parameters with almost no effect; five of the truth's values
within 0.03 of a bound, a sixth at 0.95), 80 particles, pyabc's median epsilon, Euclidean
distance. For each
``--scaling`` (the factor on the kernel's covariance, ``abc.kernel_scaling`` of a calibration
file), in the parameters' units or, with ``--space logit`` (``abc.kernel_space``), in their
logits, and for each seed it records, per generation, the ESS, the simulations it took and
epsilon. A wider kernel lowers epsilon more slowly, so compare ESS at the same epsilon, not
the same generation (``--generations``). pyabc's documentation advises a scaling of at most
1, since Silverman's bandwidth is usually wide; at 13 parameters its squared factor is 0.5-0.7, so a
scaling of 3 gives the kernel 1.5-2 times the population's covariance. A toy, not the model:
it shows what a wider kernel can do for the weights, and the fit's own diagnostics show what
it did. JSON goes to ``benchmarks/results/abc_kernel.json``.
"""

from __future__ import annotations

import argparse
import json
import logging
import statistics
from pathlib import Path

import numpy as np

D, K, POPULATION = 13, 8, 80
NAMES = [f"p{i}" for i in range(D)]


def toy() -> tuple[np.ndarray, np.ndarray]:
    """The targets' matrix and the observed targets (fixed, seed 1)."""
    rs = np.random.RandomState(1)
    a = rs.normal(size=(K, D)) * (rs.rand(K, D) < 0.4)   # sparse: some parameters barely act
    a[:, -3:] *= 0.05                                      # three nearly unidentified
    truth = rs.rand(D)
    truth[:3] = [0.03, 0.95, 0.02]                         # three set near a bound
    return a, a @ truth


def fit(scaling: float, seed: int, generations: int, space: str = "natural") -> list[dict]:
    import pyabc
    from pyabc.weighted_statistics import effective_sample_size
    from scipy.special import expit

    logging.getLogger("ABC").setLevel(logging.ERROR)   # after the import, which sets it
    a, observed = toy()
    noise = np.random.RandomState(seed)
    np.random.seed(seed)  # noqa: NPY002 (pyabc draws from numpy's global generator)

    def model(p):
        x = np.array([p[n] for n in NAMES])
        x = expit(x) if space == "logit" else x
        return {"y": a @ x + noise.normal(scale=0.05, size=K)}

    # the uniform prior, or its logit's (abc.kernel_space of a calibration file)
    prior = pyabc.Distribution(**{n: pyabc.RV("uniform", 0, 1) if space == "natural"
                                  else pyabc.RV("logistic", 0, 1) for n in NAMES})
    abc = pyabc.ABCSMC(model, prior, lambda x, y: float(np.linalg.norm(x["y"] - y["y"])),
                       population_size=POPULATION,
                       transitions=pyabc.MultivariateNormalTransition(scaling=scaling),
                       sampler=pyabc.sampler.SingleCoreSampler())
    abc.new("sqlite://", {"y": observed})
    history = abc.run(max_nr_populations=generations)
    pops = history.get_all_populations()
    pops = pops[pops.t >= 0]
    return [{"generation": int(t), "ess": float(effective_sample_size(
                 history.get_distribution(t=int(t))[1])),
             "simulations": int(n), "epsilon": float(e)}
            for t, n, e in zip(pops.t, pops.samples, pops.epsilon, strict=True)]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scaling", type=float, action="append",
                    help="kernel covariance factor (repeat; default 1 and 3)")
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--generations", type=int, default=5)
    ap.add_argument("--space", choices=["natural", "logit"], default="natural",
                    help="where the kernel perturbs (abc.kernel_space)")
    ap.add_argument("--output", default="benchmarks/results/abc_kernel.json")
    args = ap.parse_args()
    results = {}
    for scaling in args.scaling or [1.0, 3.0]:
        fits = [fit(scaling, seed, args.generations, args.space) for seed in range(args.seeds)]
        results[f"{scaling:g}"] = fits
        for seed, gens in enumerate(fits):
            print(f"{args.space}, scaling {scaling:g}, seed {seed}: ESS "
                  + " ".join(f"{g['ess']:.1f}" for g in gens) + "; simulations "
                  + " ".join(str(g["simulations"]) for g in gens) + "; epsilon "
                  + " ".join(f"{g['epsilon']:.3f}" for g in gens), flush=True)
        last = [gens[-1] for gens in fits]
        print(f"{args.space}, scaling {scaling:g}: last generation's ESS median "
              f"{statistics.median(g['ess'] for g in last):.1f} (range "
              f"{min(g['ess'] for g in last):.1f}-{max(g['ess'] for g in last):.1f}), "
              f"simulations in all {sum(g['simulations'] for f in fits for g in f)}, epsilon "
              f"median {statistics.median(g['epsilon'] for g in last):.3f}", flush=True)
    out = Path(args.output)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"population": POPULATION, "parameters": D, "targets": K,
                               "space": args.space,
                               "fits": results}, indent=1))


if __name__ == "__main__":
    main()

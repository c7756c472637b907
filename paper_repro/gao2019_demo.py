"""The authors' published demo runs (Demo.ipynb of zhuwzh/Robust-GAN-Center; DESIGN.md §6), rerun
by ours: error ‖θ̂ − θ‖₂, n = 50,000, ε = 0.2 drawn with a Bernoulli mask as in their code.

- "Gaussian Example": inliers N(0, I_p), Q = N(5·1_p, I_p), p = 100; theirs 0.0478 (JS-GAN).
- "Cauchy Example": inliers Cauchy(0, I_p), Q = Cauchy(5·1_p, I_p), p = 50; theirs 0.0639
  (JS-GAN with the elliptical generator).

Ours: RobustGANMean() (JS-GAN), RobustGANScatter(model="elliptical") (its location_, the
Cauchy cell) and the coordinatewise median (their start, whose error each cell also prints),
5 replicates; the report sets the median of ours beside theirs with the ratio.

    python paper_repro/gao2019_demo.py            # both cells, 5 replicates (≈ 5 min on 2 cores)
    python paper_repro/gao2019_demo.py --quick    # n=5,000, p=10, 2 replicates (figures: n/a)

Exit status 1 when a GAN estimator is not at least twice as good as the coordinatewise median.
"""

import sys

from _repro import parse_args, reproduce

if __name__ == "__main__":
    args = parse_args(__doc__)
    status = reproduce("gao2019-demo-gaussian", args, robust=["JS-GAN"],
                       references=["coordinatewise median"], designs=["N(5·1, I)"], bar=1.25)
    status |= reproduce("gao2019-demo-cauchy", args, robust=["JS-GAN", "JS-GAN elliptical"],
                        references=["coordinatewise median"],
                        designs=["Cauchy(5·1, I), Cauchy inliers"], bar=1.25)
    sys.exit(status)

"""Gao, Yao & Zhu (2020), the robust-scatter comparison: error ‖Σ̂ − Σ‖_op, inliers N(0, Σ) with
Σ = I or AR(0.5), outliers N(5·1, I) or N(2·1, I); MCD, OGK, Kendall's τ, Tyler's M, the spatial
sign covariance and the sample covariance (JS-GAN scatter joins when RobustGANScatter exists).

    python paper_repro/gao2020_scatter.py --quick    # CI: n=2,000, p=10, ε ∈ {0.1, 0.2}, 2 reps
    python paper_repro/gao2020_scatter.py --jobs 2   # n=50,000, p=100, ε ∈ {0.05, 0.1, 0.2}, 10 reps

The exit status is 1 when a robust estimator is not at least twice as good as the sample
covariance with outliers at N(5·1, I).
"""

from _repro import main

if __name__ == "__main__":
    main("gao2020-scatter", __doc__,
         robust=["JS-GAN", "MCD", "OGK", "Kendall τ"],
         references=["sample covariance"], designs=["Σ=I, Q=N(5·1, I)"])

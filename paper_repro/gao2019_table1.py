"""Gao, Liu, Yao & Zhu (ICLR 2019), the robust-mean table: TV-GAN, JS-GAN, dimension halving and
iterative filtering (with the coordinatewise median and the sample mean as references), error
‖θ̂ − θ‖₂, inliers N(0, I_p), Q ∈ {N(5·1, I), N(0.5·1, I), Cauchy(0.5·1), N(0.3·1, I/3)}.

    python paper_repro/gao2019_table1.py --quick     # CI: n=5,000, p=20, ε ∈ {0.1, 0.2}, 2 designs,
                                                     # 2 replicates; ≈45 s with --jobs 2
    python paper_repro/gao2019_table1.py --jobs 2    # the paper's size: n=50,000, p=100,
                                                     # ε ∈ {0.05, 0.1, 0.2}, 4 designs, 10 replicates

The exit status is 1 when the papers' ordering (GAN ≈ filter ≪ coordinatewise median ≪ sample
mean) fails with outliers at N(5·1, I).
"""

from _repro import main

if __name__ == "__main__":
    main("gao2019-table1", __doc__,
         robust=["JS-GAN", "TV-GAN", "iterative filter"],
         references=["coordinatewise median", "sample mean"], designs=["N(5·1, I)"])

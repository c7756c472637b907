"""The README's main job: a small contamination study run through the simulation runner.

JS-GAN and TV-GAN against the coordinatewise median and the sample mean, with outliers far
(N(5·1, I)) and close (N(0.5·1, I)), printed as a table. It is the ``study`` preset of
:mod:`robustgan.simulate`; ``robustgan simulate`` runs any other grid the same way.
"""

from .simulate import format_table, preset, run

__all__ = ["contamination_study", "format_table"]


def contamination_study(*, n_samples=10_000, n_features=50, contaminations=(0.1, 0.2), seeds=1,
                        estimators=None, jobs=1, out=None, progress=False):
    """Fit every estimator of the study on every (design, ε, replicate); the result rows.

    Parameters
    ----------
    n_samples, n_features : int
    contaminations : sequence of float
    seeds : int
        Data sets per cell; every estimator sees the same ones.
    estimators : dict of label -> estimator spec, optional
        Replaces the study's estimators (specs as in a grid's ``[estimators]`` table).
    jobs : int, default=1
        Local worker processes.
    out : str or Path, optional
        A result store directory, making the study resumable.
    progress : bool, default=False

    Returns
    -------
    pandas.DataFrame
        The rows of :func:`robustgan.simulate.run`.

    Examples
    --------
    >>> rows = contamination_study(n_samples=300, n_features=2, contaminations=(0.2,),
    ...                            estimators={"median": "coordinatewise-median"})
    >>> rows[["design", "estimator", "status"]]
            design estimator status
    0    N(5·1, I)    median     ok
    1  N(0.5·1, I)    median     ok
    """
    grid = preset("study", n_samples=n_samples, n_features=n_features,
                  contamination=tuple(contaminations), seeds=seeds)
    if estimators is not None:
        grid["estimators"] = estimators
    return run(grid, out, jobs=jobs, progress=progress)

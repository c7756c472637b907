"""Samples from Huber's contamination model.

X₁, …, Xₙ ~ (1 − ε)·P_θ + ε·Q, with P_θ an elliptical law (Gaussian, multivariate t or Cauchy) of
location η and scatter Σ, and Q one of the outlier designs used in the robust-GAN papers, or any
sampler the caller supplies.

The outlier designs are a registry: a name maps to one small sampler ``(rng, n, centre, scale)``;
adding a design is adding one entry to ``_OUTLIER_SAMPLERS``.
"""

from numbers import Integral, Real

import numpy as np
from sklearn.utils import Bunch

from ._validation import check_generator


__all__ = ["INLIER_FAMILIES", "OUTLIER_DESIGNS", "make_huber_contamination"]


# ---------------------------------------------------------------------------------------------
# Random numbers
# ---------------------------------------------------------------------------------------------




def _standard_t(rng, n, p, df):
    """n draws of Z/√(W/ν), Z ~ N(0, I_p), W ~ χ²_ν: the multivariate t with scatter I_p."""
    z = rng.standard_normal((n, p))
    w = rng.chisquare(df, size=n)
    z /= np.sqrt(w / df)[:, None]
    return z


# ---------------------------------------------------------------------------------------------
# Inlier families P_θ: η + A·Z (Gaussian) or η + A·Z/√(W/ν) (t), A = chol(Σ)
# ---------------------------------------------------------------------------------------------

INLIER_FAMILIES = ("gaussian", "t", "cauchy")


def _sample_inliers(rng, n, location, chol, df):
    p = location.size
    z = rng.standard_normal((n, p)) if df is None else _standard_t(rng, n, p, df)
    if np.count_nonzero(chol - np.diag(np.diagonal(chol))):
        z = z @ chol.T
    else:
        # A diagonal (default: identity) scatter needs no O(n·p²) product.
        z *= np.diagonal(chol)
    z += location
    return z


# ---------------------------------------------------------------------------------------------
# Outlier designs Q, each centred at location + shift·1_p
# ---------------------------------------------------------------------------------------------


def _gaussian_shift(rng, n, centre, scale):
    return centre + scale * rng.standard_normal((n, centre.size))


def _point_mass(rng, n, centre, scale):
    return np.tile(centre, (n, 1))


def _cauchy(rng, n, centre, scale):
    return centre + scale * _standard_t(rng, n, centre.size, df=1)


def _uniform_box(rng, n, centre, scale):
    return centre + scale * rng.uniform(-1.0, 1.0, size=(n, centre.size))


# name -> (sampler, description template); {c} is the shift, {s} the outlier_scale.
_OUTLIER_SAMPLERS = {
    "gaussian_shift": (_gaussian_shift, "N(location + {c:g}*1_p, {s:g}^2*I_p)"),
    # Same law as gaussian_shift: the name reads better for the "close" designs such as
    # N(0.3*1_p, (1/3)*I_p), which are gaussian_shift with shift=0.3, outlier_scale=sqrt(1/3).
    "scaled_gaussian": (_gaussian_shift, "N(location + {c:g}*1_p, {s:g}^2*I_p)"),
    "point_mass": (_point_mass, "point mass at location + {c:g}*1_p"),
    "cauchy": (_cauchy, "multivariate Cauchy(location + {c:g}*1_p, {s:g}^2*I_p)"),
    "uniform_box": (_uniform_box, "uniform on the cube location + {c:g}*1_p + [-{s:g}, {s:g}]^p"),
}

OUTLIER_DESIGNS = tuple(_OUTLIER_SAMPLERS)


def _sample_callable_outliers(design, rng, n, p):
    name = getattr(design, "__name__", repr(design))
    out = np.asarray(design(n, rng), dtype=np.float64)
    if out.shape != (n, p):
        raise ValueError(
            f"outlier callable {name} must return an array of shape (n, n_features) = "
            f"({n}, {p}), got shape {out.shape}"
        )
    if not np.all(np.isfinite(out)):
        raise ValueError(f"outlier callable {name} returned non-finite values (nan or inf)")
    return out


# ---------------------------------------------------------------------------------------------
# Validation
# ---------------------------------------------------------------------------------------------


def _check_positive_int(value, name):
    if isinstance(value, bool) or not isinstance(value, Integral) or value < 1:
        raise ValueError(f"{name} must be an int >= 1, got {value!r}")
    return int(value)


def _check_finite_real(value, name):
    if isinstance(value, bool) or not isinstance(value, Real) or not np.isfinite(value):
        raise ValueError(f"{name} must be a finite real number, got {value!r}")
    return float(value)


def _check_contamination(contamination):
    if (
        isinstance(contamination, bool)
        or not isinstance(contamination, Real)
        or not 0.0 <= contamination < 1.0  # False for nan as well
    ):
        raise ValueError(f"contamination must be a number in [0, 1), got {contamination!r}")
    return float(contamination)


def _check_location(location, p):
    if location is None:
        return np.zeros(p)
    location = np.array(location, dtype=np.float64)
    if location.shape != (p,):
        raise ValueError(
            f"location must have shape (n_features,) = ({p},), got shape {location.shape}"
        )
    if not np.all(np.isfinite(location)):
        raise ValueError("location must be finite (no nan or inf)")
    return location


def _check_scatter(scatter, p):
    """The scatter Σ (a copy) and its lower Cholesky factor A, Σ = A·Aᵀ."""
    if scatter is None:
        return np.eye(p), np.eye(p)
    scatter = np.array(scatter, dtype=np.float64)
    if scatter.shape != (p, p):
        raise ValueError(
            f"scatter must have shape (n_features, n_features) = ({p}, {p}), "
            f"got shape {scatter.shape}"
        )
    if not np.all(np.isfinite(scatter)):
        raise ValueError("scatter must be finite (no nan or inf)")
    # Cholesky reads only one triangle, so an asymmetric matrix would pass it unnoticed.
    message = "scatter must be symmetric positive definite"
    if np.max(np.abs(scatter - scatter.T)) > 1e-8 * np.max(np.abs(scatter)):
        raise ValueError(f"{message}; it is not symmetric")
    try:
        chol = np.linalg.cholesky(scatter)
    except np.linalg.LinAlgError:
        raise ValueError(f"{message}; its Cholesky factorisation failed") from None
    return scatter, chol


def _check_inlier_df(inliers, df):
    """ν of the inlier family: None for the Gaussian, 1 for the Cauchy, the given df for t."""
    if not isinstance(inliers, str) or inliers not in INLIER_FAMILIES:
        raise ValueError(f"unknown inliers {inliers!r}; valid names are {INLIER_FAMILIES}")
    if df is not None:
        df = _check_finite_real(df, "df")
        if df <= 0:
            raise ValueError(f"df must be > 0, got {df!r}")
    if inliers == "t":
        if df is None:
            raise ValueError("inliers='t' requires df (the degrees of freedom), got None")
        return df
    if inliers == "cauchy":
        if df not in (None, 1.0):
            raise ValueError(f"inliers='cauchy' is the t with df=1, got df={df!r}")
        return 1.0
    if df is not None:
        raise ValueError(
            f"df is only used by inliers='t' or 'cauchy', got df={df!r} with inliers='gaussian'"
        )
    return None


def _check_outliers(outliers):
    if callable(outliers):
        return outliers
    if isinstance(outliers, str) and outliers in _OUTLIER_SAMPLERS:
        return outliers
    raise ValueError(
        f"unknown outliers {outliers!r}; valid names are {OUTLIER_DESIGNS}, "
        "or pass a callable (n, rng) -> array of shape (n, n_features)"
    )


# ---------------------------------------------------------------------------------------------
# The generator
# ---------------------------------------------------------------------------------------------


def make_huber_contamination(
    n_samples,
    n_features,
    contamination,
    outliers="gaussian_shift",
    location=None,
    scatter=None,
    inliers="gaussian",
    *,
    df=None,
    shift=5.0,
    outlier_scale=1.0,
    exact=True,
    shuffle=True,
    random_state=None,
):
    r"""Draw a sample from Huber's contamination model (1 − ε)·P_θ + ε·Q.

    Inliers are drawn from an elliptical law P_θ with location η and scatter Σ; outliers from a
    design Q placed a shift away from η. The row labels are returned, so the sample serves both
    robust estimation (compare an estimate with ``location`` / ``scatter``) and outlier
    detection (compare a labelling with ``inlier_mask``).

    Parameters
    ----------
    n_samples : int
        Number of rows n, at least 1.
    n_features : int
        Dimension p, at least 1.
    contamination : float in [0, 1)
        The contamination proportion ε.
    outliers : str or callable, default="gaussian_shift"
        The outlier distribution Q. With c = location + shift·1_p and s = ``outlier_scale``:

        - ``"gaussian_shift"``: N(c, s²·I_p). With zero location and the defaults this is the
          papers' Q = N(5·1_p, I_p); ``shift=0.5`` gives their "close" design N(0.5·1_p, I_p),
          ``shift=0.3, outlier_scale=sqrt(1/3)`` gives N(0.3·1_p, (1/3)·I_p).
        - ``"scaled_gaussian"``: the same law as ``"gaussian_shift"``, a name for the designs
          with ``outlier_scale != 1``.
        - ``"point_mass"``: every outlier equal to c (``outlier_scale`` is ignored).
        - ``"cauchy"``: multivariate Cauchy (t with one degree of freedom) with centre c and
          scatter s²·I_p, Gao et al.'s Q = Cauchy(t·1_p, I_p) for zero location.
        - ``"uniform_box"``: uniform on the cube c + [−s, s]^p (half-width s, default 1).
        - a callable ``f(n, rng)`` returning an array of shape ``(n, n_features)``, where ``n``
          is the number of outliers and ``rng`` the ``numpy.random.Generator`` that draws the
          rest of the sample (use it, and the output stays reproducible). It is not called
          when there are no outliers; ``shift`` and ``outlier_scale`` are not passed to it.

        The valid names are in :data:`OUTLIER_DESIGNS`.
    location : array-like of shape (n_features,), default=None
        The inlier location η (the mean when it exists). None means zeros(p).
    scatter : array-like of shape (n_features, n_features), default=None
        The inlier scatter Σ, symmetric positive definite. None means the identity. It is the
        covariance of the Gaussian family; the t family's covariance is df/(df − 2)·Σ for
        df > 2.
    inliers : {"gaussian", "t", "cauchy"}, default="gaussian"
        The inlier family P_θ: N(η, Σ); the multivariate t with ``df`` degrees of freedom,
        η + A·Z/√(W/df) with A = chol(Σ), Z ~ N(0, I_p), W ~ χ²_df; or the multivariate
        Cauchy, the t with df = 1. The valid names are in :data:`INLIER_FAMILIES`.
    df : float, default=None
        Degrees of freedom of the t family, > 0; required for ``inliers="t"``, must be None or
        1 for ``"cauchy"`` and None for ``"gaussian"``.
    shift : float, default=5.0
        Distance of the outlier centre from the inlier location along 1_p, in every coordinate:
        the outliers sit at location + shift·1_p, so a design stays "a shift away from the
        inliers" whatever the location. With zero location this is the papers' absolute centre.
    outlier_scale : float, default=1.0
        The spread s of the outlier design around its centre: the standard deviation of
        ``"gaussian_shift"``, the scale of ``"cauchy"``, the half-width of ``"uniform_box"``.
    exact : bool, default=True
        If True, exactly round(ε·n) rows are outliers (Python's ``round``, halves to even): the
        fixed-count variant of Huber's model, which fixes the realised contamination. If False,
        each row is an outlier independently with probability ε, as in the papers' code (drawn
        as a Binomial(n, ε) count placed on uniformly random rows, which has the same law).
    shuffle : bool, default=True
        If True, the outliers sit at uniformly random rows; if False, they are the last rows.
    random_state : None, int, numpy.random.Generator or numpy.random.RandomState, default=None
        Source of randomness. An int seeds ``numpy.random.default_rng(seed)``, so
        ``random_state=0`` and ``random_state=np.random.default_rng(0)`` give the same sample.
        A Generator is used and advanced in place. A RandomState seeds a fresh Generator from
        its next draws. None draws fresh entropy from the operating system. One generator draws
        everything, in this order: the outlier count (``exact=False`` only), the outlier rows
        (``shuffle=True`` only), the inliers, then the outliers. Hence, for a given seed, the
        mask and the inlier rows do not depend on the outlier design, ``shift`` or
        ``outlier_scale``: designs can be compared on common random numbers.

    Returns
    -------
    data : sklearn.utils.Bunch
        With the fields

        X : ndarray of shape (n_samples, n_features), float64
            The sample.
        location : ndarray of shape (n_features,)
            The true location η.
        scatter : ndarray of shape (n_features, n_features)
            The true scatter Σ.
        inlier_mask : ndarray of shape (n_samples,), bool
            True for the rows drawn from P_θ.
        contamination : float
            The realised fraction of outliers, (number of outliers)/n.
        outliers : str
            A description of Q, e.g. ``"gaussian_shift: N(location + 5*1_p, 1^2*I_p)"``.
        inliers : str
            The inlier family's name.
        df : float or None
            The inliers' degrees of freedom (None for the Gaussian, 1 for the Cauchy).

    Raises
    ------
    ValueError
        If a parameter is out of range, the shapes disagree with ``n_features``, ``scatter``
        is not symmetric positive definite, a name is unknown, or a callable design returns an
        array of the wrong shape or with non-finite values.

    References
    ----------
    .. [1] P. J. Huber, "Robust estimation of a location parameter", The Annals of
       Mathematical Statistics 35(1), 73-101, 1964.
    .. [2] C. Gao, J. Liu, Y. Yao and W. Zhu, "Robust estimation and generative adversarial
       nets", ICLR 2019, arXiv:1810.02030.
    .. [3] C. Gao, Y. Yao and W. Zhu, "Generative adversarial nets for robust scatter
       estimation: a proper scoring rule perspective", JMLR 21(160), 1-48, 2020.

    Examples
    --------
    >>> import numpy as np
    >>> from robustgan.datasets import make_huber_contamination
    >>> data = make_huber_contamination(1000, 3, 0.2, random_state=0)
    >>> data.X.shape
    (1000, 3)
    >>> int((~data.inlier_mask).sum()), data.contamination
    (200, 0.2)
    >>> bool(np.all(np.abs(data.X[data.inlier_mask].mean(axis=0)) < 0.2))
    True
    >>> data.outliers
    'gaussian_shift: N(location + 5*1_p, 1^2*I_p)'
    """
    n = _check_positive_int(n_samples, "n_samples")
    p = _check_positive_int(n_features, "n_features")
    eps = _check_contamination(contamination)
    outliers = _check_outliers(outliers)
    df = _check_inlier_df(inliers, df)
    shift = _check_finite_real(shift, "shift")
    outlier_scale = _check_finite_real(outlier_scale, "outlier_scale")
    if outlier_scale <= 0:
        raise ValueError(f"outlier_scale must be > 0, got {outlier_scale!r}")
    location = _check_location(location, p)
    scatter, chol = _check_scatter(scatter, p)
    rng = check_generator(random_state)

    # A Binomial(n, ε) count placed on a uniformly random subset of rows has the law of n
    # independent Bernoulli(ε) labels, so both variants share the placement below.
    n_out = round(eps * n) if exact else int(rng.binomial(n, eps))
    inlier_mask = np.ones(n, dtype=bool)
    if shuffle:
        inlier_mask[rng.permutation(n)[:n_out]] = False
    else:
        inlier_mask[n - n_out:] = False

    X = np.empty((n, p), dtype=np.float64)
    X[inlier_mask] = _sample_inliers(rng, n - n_out, location, chol, df)

    if callable(outliers):
        name = getattr(outliers, "__name__", repr(outliers))
        description = f"callable {name}"
        if n_out:
            X[~inlier_mask] = _sample_callable_outliers(outliers, rng, n_out, p)
    else:
        sampler, template = _OUTLIER_SAMPLERS[outliers]
        description = f"{outliers}: " + template.format(c=shift, s=outlier_scale)
        X[~inlier_mask] = sampler(rng, n_out, location + shift, outlier_scale)

    return Bunch(
        X=X,
        location=location,
        scatter=scatter,
        inlier_mask=inlier_mask,
        contamination=n_out / n,
        outliers=description,
        inliers=inliers,
        df=df,
    )

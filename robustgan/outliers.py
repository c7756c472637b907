"""What every robust location/scatter estimator shares: outlier labelling and a robust score.

A neutral module: the estimators and the baselines both build on it, and it imports neither.
It also says when two distances computed from the data are tied (``TIE_TOLERANCE``): equal in
exact arithmetic and apart only by the rounding of the data's values.

An estimator provides ``location_`` and the method ``_squared_distances(X)`` (its Mahalanobis
distances, squared) and ``_log_det_scatter()``; this mixin turns them into scikit-learn's outlier
detector face, the way ``EllipticEnvelope`` adds only a decision rule to ``MinCovDet``.
"""

import math
from numbers import Real

import numpy as np
from scipy import stats
from sklearn.base import OutlierMixin
from sklearn.utils._param_validation import Interval, Options, StrOptions

from ._validation import check_fitted_data, leaves_unchanged_on_failure

__all__ = [
    "AUTO_INLIER_QUANTILE",
    "CONTAMINATION_CONSTRAINT",
    "ENVELOPE_CONTAMINATION_CONSTRAINT",
    "TIE_TOLERANCE",
    "squared_tie_margin",
    "RobustLocationMixin",
]

# The χ²_p quantile that MCD's reweighting step uses (Rousseeuw & Van Driessen, 1999).
AUTO_INLIER_QUANTILE = 0.975

# How far apart, in standard deviations, two values computed from standardised data can be and
# still count as equal (``squared_tie_margin`` for squared distances). Counts, scores and
# rounded values tie exactly (a count of 7 and one of 15 about a centre of 11), and the data's
# units and the rows' order round such ties apart one way or another: on 300 Poisson counts,
# a concentration step kept the other side's tied rows under 1.79e-6·X·D + b, and the location
# moved by 0.02 of a standard deviation. The tolerance is above the rounding where the data
# keep about nine significant digits of each feature's spread (values within 1e6 spreads of 0:
# 2e-10) and below the gaps of distinct values (squared distances 7.8e-7 of themselves apart
# among 4,000 rows, which a relative 1e-6 read as tied, and a fit moved). One value for every
# data set: a tolerance that followed each one's own rounding read two Kolmogorov distances
# 1.3e-5 apart as tied in 1e-6·X·D + b (values 2e9 spreads from 0) and not in X, and the two
# fits took different candidates.
TIE_TOLERANCE = 1e-8


def squared_tie_margin(squared_distance):
    """How far apart two squared distances near ``squared_distance`` can be and still count as
    equal: 2·√d²·``TIE_TOLERANCE``, the tolerance of the distances themselves.

    Examples
    --------
    >>> squared_tie_margin(25.0)
    1e-07
    """
    return 2.0 * TIE_TOLERANCE * math.sqrt(abs(squared_distance))


CONTAMINATION_CONSTRAINT = [
    StrOptions({"auto"}),
    Interval(Real, 0.0, 0.5, closed="neither"),
    Options(Real, {0.0}),
]
# ``EllipticEnvelope``'s range, (0, 0.5], for the estimators that stand in for it.
ENVELOPE_CONTAMINATION_CONSTRAINT = [
    StrOptions({"auto"}),
    Interval(Real, 0.0, 0.5, closed="right"),
    Options(Real, {0.0}),
]


class RobustLocationMixin(OutlierMixin):
    """Outlier labelling and scoring from a robust fit, shared by every robustgan estimator.

    Points are scored by their squared Mahalanobis distance d²(x) to the fitted location under
    the fitted scatter. With ``contamination="auto"`` a point is an outlier when d²(x) exceeds
    the 0.975 quantile of χ²_p, the law of d² for Gaussian inliers; with a number c, the
    threshold is the c-quantile of the training scores, so a fraction c of the training rows is
    labelled an outlier, as in ``sklearn.covariance.EllipticEnvelope``. Where that quantile
    falls inside a run of tied scores, the run is labelled whole or not at all, whichever
    leaves the labelled share nearer c.

    Every subclass's ``fit`` leaves the estimator as it was where it raises
    (``robustgan._validation.leaves_unchanged_on_failure``).
    """

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if "fit" in vars(cls):
            cls.fit = leaves_unchanged_on_failure(cls.fit)

    def mahalanobis(self, X):
        """Squared Mahalanobis distances of the rows of X to ``location_``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples,)
        """
        return self._squared_distances(check_fitted_data(self, X))

    def score_samples(self, X):
        """Minus the squared Mahalanobis distance: the higher, the more typical.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples,)
        """
        return -self.mahalanobis(X)

    def decision_function(self, X):
        """``score_samples(X) - offset_``: negative for outliers, positive for inliers.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples,)
        """
        return self.score_samples(X) - self.offset_

    def predict(self, X):
        """+1 for inliers, −1 for outliers (scikit-learn's convention).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples,), int
        """
        return np.where(self.decision_function(X) >= 0, 1, -1)

    def score(self, X, y=None):
        """The trimmed Gaussian log-likelihood of X: ``trimmed_score``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : None
            Ignored; present for the scikit-learn API.

        Returns
        -------
        float
        """
        return self.trimmed_score(X)

    def trimmed_score(self, X, y=None):
        """Trimmed Gaussian log-likelihood of X under the fit: a robust score for model selection.

        The mean log-density of N(``location_``, scatter) over the half of the rows with the
        highest density (the trimming of least trimmed squares and MCD, which tolerates any
        contamination below 1/2; ``contamination`` is a labelling rule, not an estimate of ε,
        so it does not set the trimming), as a density of the model truncated to the ellipsoid
        those rows fill: minus the log of the model's mass there, P(χ²_p ≤ d²), d² the largest
        kept squared distance. A plain log-likelihood would reward following the outliers; the
        trimmed one does not, so ``GridSearchCV`` can choose between robust fits by it. Without
        the truncation term a scatter too small would win (on clean N(0, I) data, 0.4·I
        scored above I); with it the score is consistent, largest at the inliers' own scatter
        as n grows. It is flat in the scatter's size, though: the kept half says little about
        scale, least at p ≤ 2 (N(0, 1) data, n = 100: a variance of 10⁶ scored highest on 4
        samples in 10). It tells fits apart by their location and shape far better than by
        their size.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : None
            Ignored; present for the scikit-learn API.

        Returns
        -------
        float
        """
        X = check_fitted_data(self, X)
        distances = self._squared_distances(X)
        log_density = -0.5 * (
            distances + self._log_det_scatter() + X.shape[1] * math.log(2 * math.pi)
        )
        keep = max(1, math.ceil(0.5 * len(log_density)))
        kept = np.argpartition(distances, keep - 1)[:keep]
        # The model's mass inside the kept rows' ellipsoid; rows all at the centre fill none.
        log_mass = stats.chi2.logcdf(distances[kept].max(), self._model_dimension(X.shape[1]))
        truncation = log_mass if np.isfinite(log_mass) else 0.0
        return float(np.mean(log_density[kept]) - truncation)

    def _model_dimension(self, n_features):
        """The dimension of the fitted model's density (``RobustGANMean``'s leaves out the
        features that were constant in training)."""
        return n_features

    def _set_offset(self, X, squared_distances=None):
        """Fix ``offset_`` from the training data, per the ``contamination`` rule above
        (``squared_distances``: the fitted model's of X's rows, where the caller has them)."""
        if self.contamination == "auto":
            self.offset_ = -self._inlier_cutoff(X.shape[1])
            return
        if squared_distances is None:
            squared_distances = self._squared_distances(X)
        self.offset_ = _offset_for_fraction(-squared_distances, self.contamination)

    def _inlier_cutoff(self, n_features):
        """The squared distance below which a row is typical of the fitted model: the 0.975
        quantile of χ²_p, the law of d² for Gaussian inliers (MCD's reweighting rule)."""
        return float(stats.chi2.ppf(AUTO_INLIER_QUANTILE, df=n_features))


def _offset_for_fraction(scores, fraction):
    """The offset below which ``fraction`` of ``scores`` lie: their ``fraction`` percentile,
    as ``EllipticEnvelope``'s, except where it falls inside a run of tied scores.

    A row scoring exactly the offset is an inlier, so a tie there decides how many rows are
    flagged: all of the run or none of it. Ties come from a model that is degenerate along a
    feature its inliers hold at one value (count data: on statsmodels' randhie, 2,387 of
    20,190 rows shared the largest squared distance, 2.6e32, and ``contamination=0.1`` flagged
    no row). The run is flagged where that brings the flagged share nearer ``fraction``.
    Scores that tie to rounding (``squared_tie_margin``) are a run.
    """
    lower, higher = (np.percentile(scores, 100.0 * fraction, method=method)
                     for method in ("lower", "higher"))
    # Between two equal scores the percentile is that score, also where it is -inf (rows at an
    # infinite distance), which interpolation would turn into NaN; between -inf and a finite
    # score, the finite one (not interpolated: NaN, with NumPy's "invalid value" warning).
    if lower == higher or not np.isfinite(lower):
        offset = higher
    else:
        offset = np.percentile(scores, 100.0 * fraction)
    # Tied to rounding: rows of counts at one distance in exact arithmetic are some ulps
    # apart in a·X·D + b, and a run split by the offset flagged a row in one and not the other.
    if np.isfinite(offset):
        margin = squared_tie_margin(offset)
        run = np.abs(scores - offset) <= margin
    else:  # rows at an infinite distance tie exactly
        margin, run = 0.0, scores == offset
    tied = np.count_nonzero(run)
    if not tied:
        return offset
    below = np.count_nonzero(scores < offset - margin)
    target = fraction * len(scores)
    if abs(below + tied - target) < abs(below - target):
        # Just above the run's scores: the tied rows fall below the offset, no other row does.
        return np.nextafter(scores[run].max(), np.inf)
    # The run's least score: every tied row is an inlier.
    return scores[run].min()

"""What the adversarial estimators' games share before training: the rows in memory (a seeded
subsample of an out-of-core array), the training tensor in a row order that makes fits
permutation-invariant, step counts that follow n, and discriminators seeded without touching
torch's global RNG.
"""

import copy
import math
from numbers import Integral

import numpy as np
import torch
from sklearn.utils import check_random_state

from ..nets import MLPDiscriminator, seeded_torch
from ..sources import is_out_of_core, sample_rows

__all__ = [
    "MAX_STEPS",
    "OUT_OF_CORE_ROWS",
    "TRAINING_RADIUS",
    "as_training_tensor",
    "rows_in_memory",
    "auto_n_steps",
    "check_hidden_sizes",
    "principal_directions",
    "pull_in_far_rows",
    "second_moment_directions",
    "seeded_discriminator",
]


def second_moment_directions(Z):
    """The eigenvectors of ZᵀZ/n as rows (p, p), largest eigenvalue first.

    Examples
    --------
    >>> Z = torch.tensor([[3.0, 0.0], [-3.0, 0.1], [0.0, 0.2]])
    >>> second_moment_directions(Z).abs().round()
    tensor([[1., 0.],
            [0., 1.]])
    """
    second_moment = Z.T @ Z / Z.shape[0]
    # The p × p eigenproblem on the CPU, once per game: torch loads its CUDA eigensolver on
    # the first call, and that load is not thread-safe ("lazy wrapper should be called at most
    # once": on an H200 fit_many's concurrent members failed 7 of 8 fits of a simulation); the
    # directions are then also the same on every device.
    _, vectors = torch.linalg.eigh(second_moment.double().cpu())
    return vectors.T.flip(0).to(device=Z.device, dtype=Z.dtype)


def principal_directions(Z, k):
    """The ``k`` eigenvectors of ZᵀZ/n with the largest eigenvalues, as rows (k, p).

    With Z centred at a robust location, contamination that shifts the mean also inflates the
    second moment along its direction (the observation behind the filter of Diakonikolas et al.),
    so these are where a discriminator should look first.

    Examples
    --------
    >>> Z = torch.tensor([[3.0, 0.0], [-3.0, 0.1], [0.0, 0.2]])
    >>> principal_directions(Z, 1).abs().round()
    tensor([[1., 0.]])
    """
    return second_moment_directions(Z)[:k]



# The largest step count the estimators take. Step counts enter float arithmetic (the first
# averaged step, the learning-rate schedule), exact for integers up to 2⁵³; at 10⁴⁰⁰ it
# overflowed. 2⁵³ steps are 285,000 years at 1,000 steps a second.
MAX_STEPS = 2**53


def auto_n_steps(epochs, n_samples, batch_size, bounds):
    """Generator steps for ``epochs`` passes over the data in batches, clipped to ``bounds``.

    Examples
    --------
    >>> auto_n_steps(4, 50_000, 500, (300, 3000))
    400
    """
    steps = math.ceil(epochs * n_samples / min(batch_size, n_samples))
    return int(np.clip(steps, *bounds))


# Rows of the standardised data (robust units) farther out than this, in their largest
# coordinate, are pulled in along their own direction to this distance before the game sees
# them: a gross outlier at 1e20 made the float32 second moment of the first layer's seeding
# overflow (torch's eigh then failed), and at 1e39 float32 cannot hold it at all. 1e10 robust
# units leave squares and sums of squares of a million rows far inside float32, and no inlier
# and no scale a user may pass (a scale wrong by 10⁹) near it; for the bounded discriminators a
# row at 1e10 and one at 1e20 are both simply outside.
TRAINING_RADIUS = 1e10


def pull_in_far_rows(Z, radius=TRAINING_RADIUS):
    """Z with every row whose largest absolute coordinate exceeds ``radius`` rescaled to
    Euclidean norm ``radius`` (same direction); Z itself where no row does.

    Examples
    --------
    >>> pull_in_far_rows(np.array([[1.0, 2.0], [3e30, 4e30]]))
    array([[1.e+00, 2.e+00],
           [6.e+09, 8.e+09]])
    """
    # Two reductions instead of one over np.abs(Z): no temporary of the data's size.
    peak = np.maximum(np.max(Z, axis=1, initial=0.0), -np.min(Z, axis=1, initial=0.0))
    far = peak > radius
    if not far.any():
        return Z
    Z = np.array(Z, dtype=np.float64)
    # Divided by the peak first: squares of rows at 1e200 overflow, of rows in [-1, 1] never.
    rows = Z[far] / peak[far, None]
    Z[far] = rows * (radius / np.linalg.norm(rows, axis=1))[:, None]
    return Z


def as_training_tensor(Z, device, out=None, order=None):
    """Z as the float32 tensor on ``device`` that the game trains on, written into ``out`` if given.

    Rows beyond ``TRAINING_RADIUS`` are pulled in to it first (``pull_in_far_rows``). ``out``
    lets a batched fit place every data set in one preallocated buffer, so that each is copied
    once (``robustgan.batched``); the values are the same either way. ``order``: the rows are
    taken in this order (``Z[order]``, the same values), a block of rows at a time, so that
    no reordered float64 copy of Z is made (at 50,000 × 100 it was the fit's peak, beside Z).

    Examples
    --------
    >>> as_training_tensor(np.ones((2, 3)), "cpu").dtype
    torch.float32
    >>> as_training_tensor(np.array([[1.0], [2.0]]), "cpu", order=np.array([1, 0])).ravel()
    tensor([2., 1.])
    """
    Z = pull_in_far_rows(Z)
    target = out if out is not None and tuple(out.shape) == Z.shape else None
    if order is None:
        if target is not None:
            return target.copy_(torch.from_numpy(np.ascontiguousarray(Z)))
        return torch.as_tensor(Z, dtype=torch.float32).to(device)
    if target is None:
        target = torch.empty(Z.shape, dtype=torch.float32, device=device)
    for start in range(0, len(Z), _ORDER_ROWS):
        rows = order[start:start + _ORDER_ROWS]
        target[start:start + len(rows)].copy_(torch.from_numpy(Z[rows]))
    return target


# Rows per block of ``as_training_tensor``'s reordering: a float64 block of 8,192 × 100 is 6.5 MB.
_ORDER_ROWS = 8192


def check_hidden_sizes(hidden_sizes):
    """``hidden_sizes`` as a tuple of positive ints, or a ValueError that names it.

    Examples
    --------
    >>> check_hidden_sizes([20, 5])
    (20, 5)
    """
    sizes = tuple(np.atleast_1d(np.asarray(hidden_sizes)).tolist())
    if not sizes or not all(isinstance(s, Integral) and s >= 1 for s in sizes):
        raise ValueError(
            f"hidden_sizes must be a non-empty sequence of positive ints, got {hidden_sizes!r}"
        )
    return sizes


def seeded_discriminator(in_features, seed, device, **network):
    """An ``MLPDiscriminator`` initialised from ``seed`` without touching torch's global RNG.

    Examples
    --------
    >>> a = seeded_discriminator(3, 0, "cpu", hidden_sizes=(4,))
    >>> b = seeded_discriminator(3, 0, "cpu", hidden_sizes=(4,))
    >>> torch.equal(a.first_layer.weight, b.first_layer.weight)
    True
    """
    with seeded_torch(seed):
        return MLPDiscriminator(in_features, **network).to(device)


# Rows an out-of-core array is fitted on: the sampling error √(p/m) is then 0.045 at p = 100,
# under the contamination term, and a fit's memory is that of a 50,000-row fit (about 5.5 times
# the rows' float64 size: 2,000,000 × 100 float32 memmap, peak RSS growth 546 MB with 100,000
# rows, bench_out_of_core.py).
OUT_OF_CORE_ROWS = 50_000


def rows_in_memory(X, random_state):
    """X itself, or for an out-of-core array a seeded random subsample of its rows.

    A ``numpy.memmap``, an h5py/zarr-like array or a Dask array (``robustgan.sources.
    is_out_of_core``) is never read whole: ``OUT_OF_CORE_ROWS`` rows drawn uniformly without
    replacement, with a seed drawn from ``random_state``, are read chunk by chunk
    (``robustgan.sources.sample_rows``) and the fit sees those. The same seed gives the same
    rows whatever the storage, so a memmap and a Dask array of the same data give the same
    fit. Anything else is returned unchanged, for the estimator's own validation.

    Examples
    --------
    >>> X = np.zeros((3, 2))
    >>> rows_in_memory(X, 0) is X
    True
    """
    if not is_out_of_core(X):
        return X
    # From a copy of a RandomState instance: the fit draws its own seeds from the instance
    # next, and they must be those of the same fit on rows in memory (as with an int seed).
    if isinstance(random_state, np.random.RandomState):
        random_state = copy.deepcopy(random_state)
    seed = check_random_state(random_state).randint(2**31 - 1)
    return sample_rows(X, OUT_OF_CORE_ROWS, random_state=int(seed))

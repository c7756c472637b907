"""The fitting protocol of the adversarial estimators, and the ``fit`` it gives them.

An adversarial estimator states the game(s) its fit plays; the engine plays them; the
estimator reads the answers. The statement is one generator method::

    def _adversarial_games(self, X, out=None):
        # 1. validate X, preprocess it, set the attributes known before training
        fit = yield AdversarialProblem(...)   # 2. a game; its solution comes back
        # ... more games if the fit has stages, each built from the answers so far ...
        # 3. store the fitted attributes (return nothing)

Each ``yield`` hands a ``robustgan.engine.AdversarialProblem`` to the driver, which solves it
and sends back its ``AdversarialFit`` (the averaged generator parameters, the ``History``);
solving also trains the problem's generator and discriminator in place, so a later game can
continue from them. When the generator returns, the estimator is fitted (``next_game`` then
answers None). TV-GAN is the two-stage case (``RobustGANMean(divergence="tv")``): it yields
the JS-GAN game, then the TV game started at the JS-GAN estimate with the JS-trained
discriminator.

What the drivers rely on:

- The estimator's parameters are checked (``_parameter_constraints``) before the generator
  starts; it checks the values that need X.
- Every draw comes from the estimator's own ``random_state``, never from global state, and a
  problem depends only on the estimator, X and the answers sent to it, so that the order in
  which many estimators' games are played changes nothing.
- ``out``, when given, is a float32 tensor of X's shape on the estimator's device, into which
  the game's training tensor may be written (``game_setup.as_training_tensor``): a batched fit
  places every member's data in one buffer.
- A failure is an exception: raised from the generator (bad input: ``ValueError`` or
  ``TypeError``), or the ``FloatingPointError`` of a diverged game, which a driver raises or
  records and does not send. ``fit`` first throws it into the generator, which may catch it
  and go on: RobustGANMean plays the rest of its game while its robust start is computed on
  another thread, before it knows whether it needs it. ``fit_many`` computes every start
  before the games (``robustgan._threads.in_line``), so no member yields such a game, and
  closes a failed member's generator. Clean-up belongs in ``finally`` (or ``except
  BaseException``), which runs either way.

The drivers:

- ``fit_adversarial(estimator, X)``: ``fit``. Each problem is solved alone
  (``AdversarialProblem.solve``).
- ``robustgan.fit_many(estimator, datasets)``: many estimators' generators in lockstep; each
  round's problems are grouped by configuration and each group is solved as one batched game
  (``robustgan.batched.solve_many``), so TV-GAN's two stages are both batched.

Both hand answers back through ``next_game``. ``is_adversarial(estimator)`` says whether an
estimator follows the protocol (the simulation runner batches the tasks of those that do).

The ``device`` constraint the estimators share is here too: ``UsableDevice`` (a device this
machine has, of a type the games train on).
"""

import numpy as np
import torch
from sklearn.utils._param_validation import Options

from .._threads import blas_threads_for, n_columns
from ..engine import available_devices, resolve_device

__all__ = [
    "TRAINING_DEVICE_TYPES",
    "ProgressBar",
    "UsableDevice",
    "fit_adversarial",
    "is_adversarial",
    "next_game",
]

# The device types the estimators train on. Their games read tensors back in float64, which MPS
# does not have, and a "meta" tensor holds no values at all.
TRAINING_DEVICE_TYPES = ("cpu", "cuda")


class UsableDevice(Options):
    """The ``device`` constraint: ``"auto"``, or the name or ``torch.device`` of a CPU or CUDA
    device this machine has (``"cpu"``, ``"cuda"``, ``"cuda:N"``).

    Checked with the other parameters, so that a device the fit cannot train on (an absent
    GPU, ``torch.device("mps")``, ``"meta"``) is refused before any work, with the devices
    there are. An ``Options`` because scikit-learn's validation takes no other constraint class.

    Examples
    --------
    >>> UsableDevice().is_satisfied_by("cpu"), UsableDevice().is_satisfied_by("meta")
    (True, False)
    """

    def __init__(self):
        super().__init__(object, {"auto"})

    def is_satisfied_by(self, val):
        if isinstance(val, str) and val == "auto":
            return True
        if not isinstance(val, (str, torch.device)):
            return False
        try:
            return resolve_device(val).type in TRAINING_DEVICE_TYPES
        except ValueError:
            return False

    def __str__(self):
        here = ", ".join(repr(name) for name in available_devices(TRAINING_DEVICE_TYPES))
        return ("'auto', or the name or torch.device of a CPU or CUDA device this machine has "
                f"('cpu', 'cuda', 'cuda:N'; here: {here})")


class ProgressBar:
    """Context manager: a tqdm bar when ``verbose``, else nothing; yields the bar's ``update``.

    Examples
    --------
    >>> with ProgressBar(False, 10) as update:
    ...     update is None
    True
    """

    def __init__(self, verbose, total, desc=None):
        self.verbose, self.total, self.desc, self.bar = verbose, total, desc, None

    def __enter__(self):
        if not self.verbose:
            return None
        from tqdm.auto import tqdm

        self.bar = tqdm(total=self.total, desc=self.desc, unit="step")
        return self.bar.update

    def __exit__(self, *exc):
        if self.bar is not None:
            self.bar.close()
        return False


def is_adversarial(estimator):
    """Whether ``estimator`` states its fit as games (the protocol above), so that
    ``robustgan.fit_many`` can batch it.

    Examples
    --------
    >>> from robustgan import RobustGANMean, TrimmedMean
    >>> is_adversarial(RobustGANMean()), is_adversarial(TrimmedMean())
    (True, False)
    """
    return callable(getattr(estimator, "_adversarial_games", None))


def fit_adversarial(estimator, X):
    """``fit`` of an adversarial estimator: its games solved one at a time, alone.

    Where X has few features its NumPy and SciPy work runs on one BLAS thread
    (``robustgan._threads.blas_threads_for``).

    Parameters
    ----------
    estimator : estimator following the protocol above, parameters checked
    X : array-like of shape (n_samples, n_features)

    Returns
    -------
    estimator
        Fitted.
    """
    with blas_threads_for(n_columns(X)):
        return _fit_adversarial(estimator, X)


def _fit_adversarial(estimator, X):
    games = estimator._adversarial_games(X)
    try:
        problem = next(games, None)
        while problem is not None:
            try:
                with ProgressBar(getattr(estimator, "verbose", False),
                                 problem.options.get("n_steps"),
                                 desc=type(estimator).__name__) as progress:
                    fit = problem.solve(progress)
            except FloatingPointError as error:
                # The estimator's games see their game fail: one they no longer need (a
                # game played while they waited for other work) is not the fit's failure.
                problem = _thrown(games, error)
                continue
            problem = next_game(games, fit)
    except BaseException:
        # Closed now, not when the error's traceback is let go: an estimator's games clean up
        # on close (RobustGANMean waits there for the robust start it computes beside them).
        games.close()
        raise
    return estimator


def _thrown(games, error):
    """Raise a failed game's ``error`` inside an estimator's games: their next problem, or None
    when they end fitted all the same; the error propagates where they do not catch it."""
    try:
        return games.throw(error)
    except StopIteration:
        return None


def next_game(games, fit):
    """Send the solved game's ``fit`` to an estimator's ``_adversarial_games``: its next
    problem, or None when the estimator is fitted."""
    try:
        return games.send(fit)
    except StopIteration:
        return None

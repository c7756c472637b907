import os

import pytest

# scikit-learn's check_array_api_input (run by parametrize_with_checks for every estimator)
# skips itself unless SciPy's array-API mode is on, and SciPy reads this once, at import: set
# here, before any test module imports SciPy, so the check runs instead of being skipped.
os.environ.setdefault("SCIPY_ARRAY_API", "1")

from hypothesis import settings  # noqa: E402 - after the environment above, which must come first

# Property tests draw the same examples on every run (a failure found once is found again, and
# CI never fails on an example no one has seen); HYPOTHESIS_PROFILE=explore searches afresh.
settings.register_profile("ci", derandomize=True, print_blob=True)
settings.register_profile("explore", derandomize=False)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


# ---------------------------------------------------------------------------------------------
# Shared by the batched-game tests (test_batched, test_estimators_many, test_estimators_base,
# test_simulate_runner). Torch and robustgan are imported inside the fixtures so that this file
# stays light and cannot import SciPy ahead of the environment set above.
# ---------------------------------------------------------------------------------------------


@pytest.fixture
def one_thread():
    # Bit-for-bit statements hold on one thread (the split points of multithreaded kernels move
    # with the batch's size). Not autouse: modules that need it say so with
    # `pytestmark = pytest.mark.usefixtures("one_thread")`, and the rest of the suite keeps
    # torch's default.
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


# Module scope, as each module had it: made once per module, never shared between modules.
@pytest.fixture(scope="module")
def datasets():
    """Six seeded Huber-contaminated data sets, 600 × 4 at ε = 0.2 (seeds 0 to 5)."""
    from robustgan import make_huber_contamination

    return [make_huber_contamination(600, 4, 0.2, random_state=r) for r in range(6)]


@pytest.fixture
def game_sizes(monkeypatch):
    """The number of members of every batched game that ``fit_many`` plays, in order."""
    from robustgan.estimators import many

    sizes = []
    original = many.solve_many

    def spy(problems, **kwargs):
        sizes.append(len(problems))
        return original(problems, **kwargs)

    monkeypatch.setattr(many, "solve_many", spy)
    return sizes

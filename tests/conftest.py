import os

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

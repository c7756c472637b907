import os

# scikit-learn's check_array_api_input (run by parametrize_with_checks for every estimator)
# skips itself unless SciPy's array-API mode is on, and SciPy reads this once, at import: set
# here, before any test module imports SciPy, so the check runs instead of being skipped.
os.environ.setdefault("SCIPY_ARRAY_API", "1")

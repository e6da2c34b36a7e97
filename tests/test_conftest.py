"""The suite's own rule: a test skipped because a dependency is missing fails."""
import pathlib

pytest_plugins = ["pytester"]

CONFTEST = pathlib.Path(__file__).with_name("conftest.py").read_text()


def test_skips_for_missing_modules_fail_and_other_skips_stay(pytester):
    pytester.makeconftest(CONFTEST)
    pytester.makepyfile(
        test_module_level="""
            import pytest
            pytest.importorskip("lamina_no_such_dependency")

            def test_never_runs():
                pass
        """,
        test_inside="""
            import pytest

            def test_importorskip():
                pytest.importorskip("lamina_no_such_dependency")

            def test_not_installed():
                pytest.skip("PyTorch not installed")

            def test_a_deliberate_skip():
                pytest.skip("only on Windows")

            def test_passes():
                pass
        """)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider",
                                           "--continue-on-collection-errors")
    result.assert_outcomes(passed=1, skipped=1, failed=2, errors=1)
    result.stdout.fnmatch_lines(["*install every extra*"])

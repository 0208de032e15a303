"""Packaging: one `payercert` package, plus the optional C extension of the NDJSON fast path.

The checkout keeps `specs/`, `validators/`, `suites/` and `simulators/` at its top; `payercert/`
holds a symbolic link to each, so the installed wheel, type checkers and IDEs all see them as
`payercert.specs`, `payercert.validators`, ... Sub-packages are discovered through the links
(setuptools follows them), so a new feed needs no edit here.
"""

from setuptools import Extension, find_namespace_packages, setup

DATA = [
    "*.yaml",
    "*.yml",
    "*.json",
    "*.xsd",
    "*.wsdl",
    "*.csv",
    "*.ndjson",
    "*.txt",
    "*.xml",
    "*.x12",
    "*.gz",
    "*.mime",
    "*.html",
    "*.mjs",
    "*.js",
    "*.css",
    "*.pem",
    "*.md",
    "py.typed",
]

packages = find_namespace_packages(include=["payercert", "payercert.*"], exclude=["*__pycache__*"])

# The NDJSON fast path's line checker (validators/_linecheck.c). Optional: without a C compiler the
# package still installs, and the fast path decodes every line into typed Structs instead.
LINECHECK = Extension(
    "payercert.validators._linecheck", ["validators/_linecheck.c"], optional=True, extra_compile_args=["-O3", "-Wall"]
)

setup(packages=packages, package_data={"": DATA}, zip_safe=False, ext_modules=[LINECHECK])

"""Map the checkout's top-level folders into the one `payercert` package.

The design keeps `specs/`, `validators/`, `suites/` and `simulators/` at the top of the checkout,
but an installed harness must import as `payercert.*` only. Sub-packages are discovered, so a new
feed needs no edit here.
"""
from setuptools import Extension, find_namespace_packages, setup

ROOTS = {
    "payercert": "payercert",
    "payercert.validators": "validators",
    "payercert.suites": "suites",
    "payercert.simulators": "simulators",
    "payercert.specs": "specs",
}
DATA = ["*.yaml", "*.yml", "*.json", "*.xsd", "*.wsdl", "*.csv", "*.ndjson", "*.txt", "*.xml",
        "*.x12", "*.gz", "*.mime", "*.html", "*.mjs", "*.pem", "*.md"]

packages, package_dir = [], {}
for package, folder in ROOTS.items():
    package_dir[package] = folder
    packages.append(package)
    found = find_namespace_packages(where=folder, exclude=["*__pycache__*"])
    packages += [f"{package}.{sub}" for sub in found]

# The NDJSON fast path's line checker (validators/_linecheck.c). Optional: without a C compiler the
# package still installs, and the fast path decodes every line into typed Structs instead.
LINECHECK = Extension("payercert.validators._linecheck", ["validators/_linecheck.c"], optional=True,
                      extra_compile_args=["-O3", "-Wall"])

setup(packages=packages, package_dir=package_dir, package_data={"": DATA}, zip_safe=False, ext_modules=[LINECHECK])

"""Packaging that setup.cfg cannot express: the top-level ``templates/`` and ``letters/`` folders are
mapped into the package as ``foia/_bundled/templates`` and ``foia/_bundled/letters``, so a wheel
carries them (``foia/resources.py`` finds them there, or beside the package in a checkout)."""
from setuptools import find_namespace_packages, setup

BUNDLED = {"templates": "foia._bundled.templates", "letters": "foia._bundled.letters"}
DATA = {"foia.data": ["*.csv", "*.md"], "foia.static": ["*.css", "*.js"]}

packages = [p for p in find_namespace_packages(include=["foia", "foia.*"]) if "__pycache__" not in p]
package_dir = {}
package_data = dict(DATA)
for folder, name in BUNDLED.items():
    package_dir[name] = folder
    for sub in [""] + find_namespace_packages(where=folder):
        package = f"{name}.{sub}" if sub else name
        packages.append(package)
        package_data[package] = ["*"]

setup(packages=packages, package_dir=package_dir, package_data=package_data)

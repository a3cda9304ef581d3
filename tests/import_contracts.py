"""An import-linter contract type: other apps may import only a package's public modules.

``reception`` and ``integration`` build on ``casework`` through a small set of modules that
casework keeps stable (its models, choices, services, the deadline registry, the admin and
API conventions, …). Anything else in casework is its own business and may change in any
commit. ``lint-imports`` (run by ``make test``) fails when an app imports a module of another
that is not on that list, and names the import.

Configured in ``pyproject.toml`` (``[tool.importlinter]``)::

    [[tool.importlinter.contracts]]
    type = "public_modules"
    importers = ["reception", "integration"]
    package = "casework"
    public_modules = ["casework.models", "casework.*.choices", …]
"""

from __future__ import annotations

from importlinter.application import output
from importlinter.domain import fields
from importlinter.domain.contract import Contract, ContractCheck
from importlinter.domain.helpers import module_expressions_to_modules


class PublicModulesContract(Contract):
    """Modules of ``importers`` import from ``package`` only its ``public_modules``."""

    type_name = "public_modules"

    importers = fields.ListField(subfield=fields.ModuleExpressionField())
    package = fields.ModuleField()
    public_modules = fields.ListField(subfield=fields.ModuleExpressionField())

    def check(self, graph, verbose: bool) -> ContractCheck:
        importers = {
            m.name for m in module_expressions_to_modules(graph, self.importers, as_packages=True)
        }
        public = {m.name for m in module_expressions_to_modules(graph, self.public_modules)}
        package = self.package.name
        broken = []
        for importer in sorted(importers):
            for imported in sorted(graph.find_modules_directly_imported_by(importer)):
                inside = imported == package or imported.startswith(package + ".")
                if inside and imported not in public:
                    lines = graph.get_import_details(importer=importer, imported=imported)
                    line = lines[0]["line_number"] if lines else "?"
                    broken.append(f"{importer}:{line} imports {imported}")
        return ContractCheck(kept=not broken, metadata={"broken": broken})

    def render_broken_contract(self, check: ContractCheck) -> None:
        for item in check.metadata["broken"]:
            output.print_error(item, bold=False)
            output.new_line()
        output.print(
            f"Import from the public modules of {self.package.name} only (listed in "
            "pyproject.toml), or make the module public there, on purpose."
        )

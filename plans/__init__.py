"""From a plan document to a target catalogue (`thidua plan import`): pure, no Prefect, no other package.

``import_plan(path, unit_code, year)`` reads a plan (.txt, .docx, .pdf with a text layer), finds its
targets section, types each target sentence with the grammar (plans/grammar.py) and maps it to an
indicator through plans/vocabulary.yaml; ``ImportedPlan.to_yaml()`` is the catalogue
(warehouse/catalogue.py reads it), ``plans.review`` the officer's review report.
"""

from plans.build import NEEDS_REVIEW, ImportedPlan, Target, import_plan, needs_review
from plans.errors import PlanError

__all__ = ["NEEDS_REVIEW", "ImportedPlan", "PlanError", "Target", "import_plan", "needs_review"]
